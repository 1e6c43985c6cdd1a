# What a machine needs before `pulumi up` or `pulumi preview` can build the stack's images: the
# wheelhouses the Docker builds copy (git-ignored, so every machine builds them) and a reachable
# Docker daemon. The workflows call exactly this before every real preview, drift check and deploy.
.PHONY: deploy-prepare doctor

# Image tags hash every file a build sends, wheelhouses included (the Docker provider rebuilds and
# pushes when any changes, and ECR refuses a tag twice): tools/build-images builds the wheels byte
# for byte the same every time, so that a deploy from a fresh runner keeps the last one's tags.

# make deploy-prepare STACK=…: build the wheelhouses, then `showrunner doctor` checks them and Docker.
deploy-prepare: venv
	$(BIN)/python tools/build-images wheelhouse
	$(BIN)/showrunner doctor --stack $(STACK) --offline --check wheelhouse --check docker

# make doctor STACK=…: everything the stack's first `pulumi up` needs (README.md, "Deploying for real").
doctor: venv
	$(BIN)/showrunner doctor --stack $(STACK)
