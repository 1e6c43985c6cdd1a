# The golden-image stand-in: the Image Builder component documents executed by our runner
# (tools/run-component) in a Debian 12 container, committed as showrunner/golden:bookworm.
.PHONY: golden-image integration-golden

golden-image: venv
	tools/docker-up
	images/golden/build-image showrunner/golden:bookworm

# Boots the stand-in with systemd as PID 1 and runs the documents' test phase in it.
integration-golden: golden-image
	$(BIN)/python -m pytest tests/integration/golden -q

INTEGRATION_TARGETS += integration-golden
