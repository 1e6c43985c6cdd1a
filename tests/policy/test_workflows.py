"""The GitHub workflows: what actionlint cannot know about our rules.

Runs call only `make` (plus writing the PR number), actions are pinned to a major version and come
from a short list, every workflow starts from read-only permissions, and fork pull requests never
get a token that can write or a cloud role. Stacks are data: every matrix is the list of stack
files (tools/stacks), and each stack's variables are named by convention, never chosen by name.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.conftest import PROJECT_DIR

WORKFLOWS = sorted((PROJECT_DIR / ".github" / "workflows").glob("*.yml"))
STACKS_TOOL = PROJECT_DIR / "tools" / "stacks"
CONVENTION = ("AWS_PREVIEW_ROLE_ARN", "AWS_DEPLOY_ROLE_ARN", "PULUMI_SECRETS_PROVIDER")
MATRIX_JOBS = {"pull-request.yml": "preview", "pull-request-fork.yml": "offline-review", "pull-request-comment.yml": "comment",
               "drift.yml": "drift", "deploy.yml": "deploy"}
ALLOWED_ACTIONS = {"actions/checkout", "actions/setup-python", "actions/upload-artifact", "actions/download-artifact",
                   "aws-actions/configure-aws-credentials", "pulumi/actions"}


def load(path: Path) -> dict:
    document = yaml.safe_load(path.read_text())
    document["on"] = document.pop(True, document.get("on"))  # YAML 1.1 reads `on:` as true
    return document


def steps(document: dict):
    for name, job in document["jobs"].items():
        for step in job.get("steps", []):
            yield name, job, step


def test_the_workflows_exist():
    assert [p.name for p in WORKFLOWS] == ["base-image.yml", "deploy.yml", "drift.yml", "pull-request-comment.yml",
                                           "pull-request-fork.yml", "pull-request.yml"]


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_runs_call_make_and_actions_are_known(path):
    document = load(path)
    assert document["permissions"] == {"contents": "read"}
    for _, _, step in steps(document):
        if "run" in step:
            assert step["run"].startswith(("make ", "exit 1", 'echo "${{ github.event.pull_request.number }}"')), step["run"]
        else:
            action, _, version = step["uses"].partition("@")
            assert action in ALLOWED_ACTIONS and version.startswith("v"), step["uses"]


def test_pull_requests_preview_each_stack_with_the_pack_and_production_offline():
    document = load(next(p for p in WORKFLOWS if p.name == "pull-request.yml"))
    job = document["jobs"]["preview"]
    assert job["needs"] == "stacks" and job["strategy"]["matrix"] == {"include": "${{ fromJSON(needs.stacks.outputs.stacks).previewed }}"}
    same_repository = document["jobs"]["stacks"]["if"]
    assert same_repository == "github.event.pull_request.head.repo.full_name == github.repository"
    assert job["if"] == f"{same_repository} && fromJSON(needs.stacks.outputs.stacks).previewed[0] != null"
    pulumi = next(s for s in job["steps"] if s.get("uses", "").startswith("pulumi/actions"))["with"]
    assert pulumi["command"] == "preview" and pulumi["comment-on-pr"] is True and pulumi["policyPacks"] == "policies"
    assert pulumi["cloud-url"].startswith("s3://${{ vars.") and pulumi["secrets-provider"] == "${{ env.PULUMI_SECRETS_PROVIDER }}"
    credentials = next(s for s in job["steps"] if s.get("uses", "").startswith("aws-actions/"))["with"]
    assert credentials["role-to-assume"] == "${{ env.AWS_PREVIEW_ROLE_ARN }}"
    assert job["env"]["AWS_PREVIEW_ROLE_ARN"] == "${{ vars[format('AWS_PREVIEW_ROLE_ARN_{0}', matrix.vars)] }}"
    # A production stack's pull requests never get its credentials: the offline review, and nothing else.
    offline = document["jobs"]["offline-review"]
    assert offline["strategy"]["matrix"] == {"include": "${{ fromJSON(needs.stacks.outputs.stacks).offline }}"}
    assert offline["if"] == f"{same_repository} && fromJSON(needs.stacks.outputs.stacks).offline[0] != null"
    assert "id-token" not in offline["permissions"] and "env" not in offline
    assert all("aws-actions" not in s.get("uses", "") and "pulumi/actions" not in s.get("uses", "") for s in offline["steps"])
    assert [s["run"] for s in offline["steps"] if "run" in s][1] == "make review-offline STACK=${{ matrix.stack }} BASE=origin/${{ github.base_ref }}"
    listed = stacks_json(PROJECT_DIR)
    assert [e["stack"] for e in listed["previewed"]] == ["staging"] and [e["stack"] for e in listed["offline"]] == ["prod"]


def test_forks_get_no_write_token_and_no_cloud():
    document = load(next(p for p in WORKFLOWS if p.name == "pull-request-fork.yml"))
    job = document["jobs"]["offline-review"]
    assert "permissions" not in job
    assert all("aws-actions" not in s.get("uses", "") and "pulumi/actions" not in s.get("uses", "") for s in job["steps"])
    assert [s["run"] for s in job["steps"] if "run" in s][1] == "make review-offline STACK=${{ matrix.stack }} BASE=origin/${{ github.base_ref }}"


def test_promoted_stacks_deploy_after_the_others_pinned_to_their_source():
    jobs = load(next(p for p in WORKFLOWS if p.name == "deploy.yml"))["jobs"]
    first, promoted = jobs["deploy"], jobs["promoted"]
    assert first["strategy"]["matrix"] == {"include": "${{ fromJSON(needs.stacks.outputs.stacks).first }}"}
    assert promoted["strategy"]["matrix"] == {"include": "${{ fromJSON(needs.stacks.outputs.stacks).promoted }}"}
    assert promoted["needs"] == ["stacks", "deploy"]
    assert first["environment"] == promoted["environment"] == "${{ matrix.environment }}"
    upload = next(s for s in first["steps"] if s.get("uses", "").startswith("actions/upload-artifact"))["with"]
    download = next(s for s in promoted["steps"] if s.get("uses", "").startswith("actions/download-artifact"))["with"]
    assert (upload["name"], download["name"]) == ("release-manifest-${{ matrix.stack }}", "release-manifest-${{ matrix.promote_from }}")
    runs = [s["run"] for s in promoted["steps"] if "run" in s]
    assert "make promote STACK=${{ matrix.stack }} MANIFEST=out/review/release.json" in runs
    # This repository: prod deploys after staging, behind the prod environment, pinned to staging's digests.
    listed = stacks_json(PROJECT_DIR)
    assert [e["stack"] for e in listed["first"]] == ["staging"]
    assert listed["promoted"] == [{"stack": "prod", "vars": "PROD", "environment": "prod", "promote_from": "staging"}]


def test_drift_is_a_refreshing_preview_that_expects_no_changes():
    job = load(next(p for p in WORKFLOWS if p.name == "drift.yml"))["jobs"]["drift"]
    preview = next(s for s in job["steps"] if s.get("id") == "preview")["with"]
    assert preview["refresh"] is True and preview["expect-no-changes"] is True
    assert any(s.get("run", "").startswith("make drift-issue") for s in job["steps"])


# --- stacks are data -----------------------------------------------------------------------------


def stacks(directory: Path, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(STACKS_TOOL), "--dir", str(directory), *args], capture_output=True,
                          text=True, check=False, env={**os.environ, **(env or {})})


def stacks_json(directory: Path) -> dict:
    result = stacks(directory, "json", env={"GITHUB_OUTPUT": ""})
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def project_copy(tmp_path: Path, **extra_stack_files: str) -> Path:
    for path in PROJECT_DIR.glob("Pulumi*.yaml"):
        shutil.copy(path, tmp_path / path.name)
    for name, text in extra_stack_files.items():
        (tmp_path / f"Pulumi.{name}.yaml").write_text(text)
    return tmp_path


QA = "config:\n  showrunner:images:\n    refresh_key: 2026-W48\n"


def strings(value):
    if isinstance(value, dict):
        for k, v in value.items():
            yield from strings(k)
            yield from strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from strings(v)
    elif isinstance(value, str):
        yield value


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_no_workflow_names_a_stack(path):
    named = [s for s in strings(load(path)) if re.search(r"\b(staging|prod|production)\b", s)]
    assert named == []


@pytest.mark.parametrize("name, job", sorted(MATRIX_JOBS.items()))
def test_every_matrix_is_the_stack_files(name, job):
    jobs = load(next(p for p in WORKFLOWS if p.name == name))["jobs"]
    assert jobs[job]["needs"] == "stacks"
    assert jobs[job]["strategy"]["matrix"]["include"].startswith("${{ fromJSON(needs.stacks.outputs.stacks).")
    listing = jobs["stacks"]
    assert listing["outputs"] == {"stacks": "${{ steps.stacks.outputs.stacks }}"}
    assert [s.get("run") for s in listing["steps"] if s.get("id") == "stacks"] == ["make stacks-json"]


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_variables_are_named_only_by_the_convention(path):
    text = path.read_text()
    assert set(re.findall(r"vars\.([A-Za-z0-9_]+)", text)) <= {"AWS_REGION", "PULUMI_STATE_BUCKET"}
    chosen = re.findall(r"vars\[([^\]]*)\]", text)
    assert set(chosen) <= {f"format('{name}_{{0}}', matrix.vars)" for name in CONVENTION}
    assert "matrix.stack ==" not in text and "||" not in text  # no selection by name, no fallback
    for name, job in load(path)["jobs"].items():
        env = {k: v for k, v in (job.get("env") or {}).items() if "vars[" in v}
        assert all(env[k] == f"${{{{ vars[format('{k}_{{0}}', matrix.vars)] }}}}" for k in env), env
        if env:
            # Checked before anything uses them: a missing variable fails the job, saying which.
            first_run = next(s["run"] for s in job["steps"] if "run" in s)
            assert first_run == f'make require-stack-vars STACK=${{{{ matrix.stack }}}} VARS="{" ".join(env)}"'


def test_a_new_stack_file_joins_previews_and_drift_with_its_own_variables(tmp_path):
    listed = stacks_json(project_copy(tmp_path, **{"qa": QA, "qa-east": QA}))
    assert [e["stack"] for e in listed["stacks"]] == ["prod", "qa", "qa-east", "staging"]
    assert {"stack": "qa", "vars": "QA", "environment": "qa"} in listed["stacks"]
    assert {"stack": "qa-east", "vars": "QA_EAST", "environment": "qa-east"} in listed["first"]
    assert {"stack": "qa", "vars": "QA", "environment": "qa"} in listed["previewed"]
    for name in ("drift.yml", "pull-request-fork.yml"):
        job = load(next(p for p in WORKFLOWS if p.name == name))["jobs"][MATRIX_JOBS[name]]
        assert job["strategy"]["matrix"]["include"] == "${{ fromJSON(needs.stacks.outputs.stacks).stacks }}"


def test_the_stacks_are_also_a_github_step_output(tmp_path):
    output = tmp_path / "github-output"
    (tmp_path / "project").mkdir()
    result = stacks(project_copy(tmp_path / "project", qa=QA), "json", env={"GITHUB_OUTPUT": str(output)})
    assert result.returncode == 0, result.stderr
    name, _, value = output.read_text().partition("=")
    assert name == "stacks" and json.loads(value) == json.loads(result.stdout)


def test_a_missing_variable_fails_naming_it_and_never_falls_back(tmp_path):
    absent = {name: "" for name in CONVENTION}
    result = stacks(tmp_path, "check-vars", "qa-east", "AWS_PREVIEW_ROLE_ARN", "PULUMI_SECRETS_PROVIDER",
                    env={**absent, "AWS_PREVIEW_ROLE_ARN": "arn:aws:iam::123456789012:role/qa-east-preview", "GITHUB_ACTIONS": "true"})
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        "::error::the repository variable PULUMI_SECRETS_PROVIDER_QA_EAST is not set (or empty): stack qa-east needs it; "
        'README.md, "Pull requests and deploys", says what it holds. No other stack\'s value is used.'
    ]
    ok = stacks(tmp_path, "check-vars", "qa", "AWS_DEPLOY_ROLE_ARN", env={"AWS_DEPLOY_ROLE_ARN": "arn:aws:iam::123456789012:role/qa"})
    assert (ok.returncode, ok.stderr) == (0, "")


@pytest.mark.parametrize(
    "files, problem",
    [
        ({"qa": "config:\n  showrunner:delivery:\n    promote_from: qa\n"},
         "stacks: Pulumi.qa.yaml: showrunner:delivery.promote_from: a stack cannot promote from itself"),
        ({"qa": "config:\n  showrunner:delivery:\n    promote_from: stagin\n"},
         "stacks: Pulumi.qa.yaml: showrunner:delivery.promote_from: no stack 'stagin' (stacks: prod, qa, staging)"),
        ({"qa": "config:\n  showrunner:delivery:\n    promote_from: prod\n"},
         "stacks: Pulumi.qa.yaml: showrunner:delivery.promote_from: 'prod' itself promotes from 'staging'; "
         "promote from a stack that builds its own images"),
        ({"QA": QA}, "stacks: Pulumi.QA.yaml: stack name 'QA' is not lower-case letters, digits and dashes"),
    ],
)
def test_promotion_and_stack_names_are_checked(tmp_path, files, problem):
    result = stacks(project_copy(tmp_path, **files), "json")
    assert (result.returncode, result.stderr) == (2, problem + "\n")


def test_a_stack_promoted_from_a_new_stack_deploys_after_it(tmp_path):
    listed = stacks_json(project_copy(tmp_path, qa=QA, **{"qa-prod": "config:\n  showrunner:delivery:\n    promote_from: qa\n    deploy_environment: qa-approval\n"}))
    assert {"stack": "qa-prod", "vars": "QA_PROD", "environment": "qa-approval", "promote_from": "qa"} in listed["promoted"]
    assert "qa" in [e["stack"] for e in listed["first"]]


def test_refresh_base_sets_the_key_by_its_yaml_path_in_every_stack_file(tmp_path):
    indented = "# qa: four-space indentation\nconfig:\n    showrunner:image_pipeline:\n        refresh_key: 2026-W48  # weekly\n"
    flow = "config:\n  showrunner:image_pipeline: {keep_releases: 5, refresh_key: '2026-W48'}\n"
    project = project_copy(tmp_path, qa=indented, dev=flow)
    before = {p.name: p.read_text() for p in project.glob("Pulumi.*.yaml")}
    result = stacks(project, "set", "showrunner:image_pipeline.refresh_key", "2026-W50")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["Pulumi.dev.yaml", "Pulumi.prod.yaml", "Pulumi.qa.yaml", "Pulumi.staging.yaml"]
    for name, text in before.items():
        after = (project / name).read_text()
        assert yaml.safe_load(after)["config"]["showrunner:image_pipeline"]["refresh_key"] == "2026-W50"
        # Nothing else moved: the same text with the one value replaced.
        assert after == re.sub(r"'?2026-W48'?", "2026-W50", text, count=1), name
    again = stacks(project, "set", "showrunner:image_pipeline.refresh_key", "2026-W50")
    assert (again.returncode, again.stdout) == (0, "")


def test_refresh_base_refuses_a_stack_file_without_the_key_and_changes_none(tmp_path):
    project = project_copy(tmp_path, qa="config:\n  showrunner:tags: {Team: qa}\n")
    before = (project / "Pulumi.staging.yaml").read_text()
    result = stacks(project, "set", "showrunner:image_pipeline.refresh_key", "2026-W50")
    assert (result.returncode, result.stderr) == (2, "stacks: Pulumi.qa.yaml: no showrunner:image_pipeline.refresh_key to set (every stack file must set it)\n")
    assert (project / "Pulumi.staging.yaml").read_text() == before


def test_refresh_base_takes_the_key_path_from_one_variable():
    dry = subprocess.run(["make", "-n", "refresh-base", "REFRESH_KEY_PATH=showrunner:image_pipeline.refresh_key"],
                         cwd=PROJECT_DIR, capture_output=True, text=True, check=True).stdout
    assert 'tools/stacks set "showrunner:image_pipeline.refresh_key" "$week"' in dry
    assert "Pulumi.staging.yaml" not in dry and "Pulumi.prod.yaml" not in dry


def test_actionlint_passes_on_the_workflows():
    result = subprocess.run(["make", "--no-print-directory", "lint-workflows"], cwd=PROJECT_DIR, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert ", 0 finding(s)," in result.stdout
