# Fleet hosts: the linters for rendered units and user data, and the boot simulation.
.PHONY: host-linters integration-boot bench-boot

# systemd-analyze and cloud-init (the unit tests also call this when either is missing).
host-linters:
	tools/host-linters

# Boots the golden-image stand-in with a fleet's rendered user data as its NoCloud seed.
integration-boot: venv host-linters golden-image images-push
	$(BIN)/python -m pytest tests/integration/boot -q

bench-boot: venv golden-image images-push
	$(BIN)/python bench/boot.py

INTEGRATION_TARGETS += integration-boot
