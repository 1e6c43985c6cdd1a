# shellcheck (Debian's package; installed when root, otherwise named) over every shell script, found
# by its shebang, and every ExecuteBash step of the golden-image documents as the runner runs it.
.PHONY: lint-shell

lint-shell: venv
	$(BIN)/python tools/lint-shell
