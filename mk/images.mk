# The image pipeline on this machine: the images of showrunner:images (Pulumi.yaml), each after its
# parent, a test stage before its release (today base → www, its tests inside the image → micro).
# Upstream images are Debian 12 stand-ins from mmdebstrap (no public registry here); the tarballs,
# wheelhouses and Docker's layer cache make a second run take seconds.
.PHONY: images images-push integration-images bench-images

images: venv
	tools/docker-up
	$(BIN)/python tools/build-images build

# Pushes the images a service runs to Debian's docker-registry on 127.0.0.1:5000; digests in .cache/images/digests.json.
images-push: venv
	tools/docker-up
	$(BIN)/python tools/build-images push

integration-images: venv images-push
	$(BIN)/python -m pytest tests/integration/images -q

bench-images: venv
	tools/docker-up
	$(BIN)/python bench/images.py

INTEGRATION_TARGETS += integration-images
