# What a machine needs before `pulumi up` or `pulumi preview` can build the stack's images: the
# wheelhouses the Docker builds copy (git-ignored, so every machine builds them) and a reachable
# Docker daemon. The workflows call exactly this before every real preview, drift check and deploy.
.PHONY: deploy-prepare doctor

# Image tags hash every file a build sends, wheelhouses included (the Docker provider rebuilds and
# pushes when any changes, and ECR refuses a tag twice), so a wheel rebuilt with other bytes is a
# new image and a roll of every host. Wheels built from source are therefore built reproducibly:
# fixed zip timestamps, no debug information (which holds the random build directory), never a
# cached wheel from another build.
REPRODUCIBLE_WHEELS := SOURCE_DATE_EPOCH=315532800 CFLAGS=-g0 PIP_NO_CACHE_DIR=1

# make deploy-prepare STACK=…: build the wheelhouses, then `showrunner doctor` checks them and Docker.
deploy-prepare: venv
	$(REPRODUCIBLE_WHEELS) $(BIN)/python tools/build-images wheelhouse
	$(BIN)/showrunner doctor --stack $(STACK) --offline --check wheelhouse --check docker

# make doctor STACK=…: everything the stack's first `pulumi up` needs (README.md, "Deploying for real").
doctor: venv
	$(BIN)/showrunner doctor --stack $(STACK)
