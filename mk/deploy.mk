# What a machine needs before `pulumi up` or `pulumi preview` can build the stack's images: the
# wheelhouses the Docker builds copy (git-ignored, so every machine builds them) and a reachable
# Docker daemon. The workflows call exactly this before every real preview, drift check and deploy.
.PHONY: deploy-prepare doctor

# The Docker provider hashes every file it sends, wheelhouses included, and rebuilds (and pushes,
# under the unchanged immutable tag, which ECR refuses) when that hash moves. So wheels built from
# source are built reproducibly: fixed zip timestamps, no debug information (which holds the
# random build directory), never a cached wheel from another build.
REPRODUCIBLE_WHEELS := SOURCE_DATE_EPOCH=315532800 CFLAGS=-g0 PIP_NO_CACHE_DIR=1

# make deploy-prepare STACK=…: build the wheelhouses, then `showrunner doctor` checks them and Docker.
deploy-prepare: venv
	$(REPRODUCIBLE_WHEELS) $(BIN)/python tools/build-images wheelhouse
	$(BIN)/showrunner doctor --stack $(STACK) --offline --check wheelhouse --check docker

# make doctor STACK=…: everything the stack's first `pulumi up` needs (README.md, "Deploying for real").
doctor: venv
	$(BIN)/showrunner doctor --stack $(STACK)
