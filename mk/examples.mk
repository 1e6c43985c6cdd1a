# The example programs under examples/: other products built from the installed components.
.PHONY: preview-examples

EXAMPLE_STACK_FILES := $(sort $(wildcard examples/*/Pulumi.*.yaml))

# Every example, previewed offline on each of its stack files (as `make preview` previews this program).
preview-examples: venv
	$(foreach file,$(EXAMPLE_STACK_FILES),$(BIN)/showrunner --project-dir $(dir $(file)) preview --stack $(patsubst Pulumi.%.yaml,%,$(notdir $(file)));)
