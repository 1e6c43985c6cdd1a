"""The GitHub workflows: what actionlint cannot know about our rules.

Every workflow starts from read-only permissions, and pull requests from forks never get a token
that can write or a cloud role. Stacks are data: every matrix is the list of stack files
(tools/stacks), and each stack's variables are named by convention, never chosen by name. What
each step runs is covered by test_workflow_steps.py.
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
MATRIX_JOBS = {"pull-request.yml": "preview", "pull-request-checks.yml": "offline-review", "pull-request-comment.yml": "comment",
               "drift.yml": "drift", "deploy.yml": "deploy"}


def load(path: Path) -> dict:
    document = yaml.safe_load(path.read_text())
    document["on"] = document.pop(True, document.get("on"))  # YAML 1.1 reads `on:` as true
    return document


def steps(document: dict):
    for name, job in document["jobs"].items():
        for step in job.get("steps", []):
            yield name, job, step


def test_the_workflows_exist():
    assert [p.name for p in WORKFLOWS] == ["base-image.yml", "deploy.yml", "drift.yml", "pull-request-checks.yml",
                                           "pull-request-comment.yml", "pull-request.yml"]


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_every_workflow_starts_read_only(path):
    assert load(path)["permissions"] == {"contents": "read"}


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
    # A production stack's pull requests never get its credentials: the offline review, which every
    # stack gets on every pull request (pull-request-checks.yml), and nothing else.
    assert sorted(document["jobs"]) == ["preview", "stacks"]
    checks = load(next(p for p in WORKFLOWS if p.name == "pull-request-checks.yml"))["jobs"]["offline-review"]
    assert checks["strategy"]["matrix"] == {"include": "${{ fromJSON(needs.stacks.outputs.stacks).stacks }}"}
    listed = stacks_json(PROJECT_DIR)
    assert [e["stack"] for e in listed["previewed"]] == ["staging"] and [e["stack"] for e in listed["offline"]] == ["prod"]


def test_every_pull_request_is_tested_built_and_reviewed_without_secrets_or_cloud():
    """Forks included: no job of pull-request-checks.yml is skipped for a fork, none gets a token
    that can write, a cloud role or a secret."""
    path = next(p for p in WORKFLOWS if p.name == "pull-request-checks.yml")
    document = load(path)
    assert document["on"] == {"pull_request": {"branches": ["main"]}}
    assert "secrets." not in path.read_text() and "vars." not in path.read_text()
    jobs = document["jobs"]
    assert sorted(jobs) == ["images", "offline-review", "stacks", "tests"]
    for name, job in jobs.items():
        assert "if" not in job and "permissions" not in job, name
        assert all("aws-actions" not in s.get("uses", "") and "pulumi/actions" not in s.get("uses", "") for s in job["steps"]), name
    runs = {name: [s["run"] for s in job["steps"] if "run" in s] for name, job in jobs.items()}
    assert runs["tests"] == ["make test-unit", "make test-policy", "make lint-workflows", "make lint-shell"]
    assert runs["images"] == ["make images"] and jobs["images"]["env"] == {"SHOWRUNNER_UPSTREAM": "official"}
    assert jobs["tests"]["container"] == jobs["images"]["container"] == "python:3.11-bookworm"
    assert runs["offline-review"][1] == (
        "make review-offline STACK=${{ matrix.stack }} BASE=origin/${{ github.base_ref }} PR=${{ github.event.pull_request.number }}")
    # The comment workflow posts what this one reviewed, in this repository's context.
    comment = load(next(p for p in WORKFLOWS if p.name == "pull-request-comment.yml"))
    assert comment["on"]["workflow_run"]["workflows"] == [document["name"]]


def test_the_comment_takes_its_pull_request_from_the_event_never_the_artifact():
    job = load(next(p for p in WORKFLOWS if p.name == "pull-request-comment.yml"))["jobs"]["comment"]
    [step] = [s for s in job["steps"] if "run" in s]
    assert step["run"] == "make pr-comment STACK=${{ matrix.stack }}"
    assert step["env"] == {
        "GH_TOKEN": "${{ github.token }}",
        "HEAD_SHA": "${{ github.event.workflow_run.head_sha }}",
        "HEAD_REPO": "${{ github.event.workflow_run.head_repository.full_name }}",
        "EVENT_PULLS": "${{ toJSON(github.event.workflow_run.pull_requests) }}",
    }


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
    # Each job waits for its fleets' instance refreshes after `pulumi up`; the first stack's manifest
    # (what the promoted stacks pin) is written only once its rollout succeeded.
    wait = "make rollout-wait STACK=${{ matrix.stack }}"
    for job in (first, promoted):
        steps = [s.get("run") or s.get("uses", "").partition("@")[0] + ":" + s.get("with", {}).get("command", "") for s in job["steps"]]
        up = steps.index("pulumi/actions:up")
        assert steps[up + 1] == wait, steps
        assert job["steps"][up + 1]["env"] == {"SINCE": "${{ steps.started.outputs.at }}"}, "refreshes older than this deploy are not waited for"
        assert steps.index("make deploy-started") < up
    first_steps = [s.get("run", "") for s in first["steps"]]
    assert first_steps.index(wait) < first_steps.index("make release-manifest STACK=${{ matrix.stack }}")
    # This repository: prod deploys after staging, behind the prod environment, pinned to staging's digests.
    listed = stacks_json(PROJECT_DIR)
    assert [e["stack"] for e in listed["first"]] == ["staging"]
    assert listed["promoted"] == [{"stack": "prod", "vars": "PROD", "environment": "prod", "promote_from": "staging"}]


def test_drift_is_checked_with_the_preview_role_and_reported_by_a_job_without_it():
    jobs = load(next(p for p in WORKFLOWS if p.name == "drift.yml"))["jobs"]
    check, issue = jobs["drift"], jobs["issue"]
    assert [s["run"].split()[:2] for s in check["steps"] if "run" in s] == [
        ["make", "require-stack-vars"], ["make", "deploy-prepare"], ["make", "drift-check"]]
    assert check["permissions"] == {"contents": "read", "id-token": "write"}
    assert issue["permissions"] == {"contents": "read", "issues": "write"}
    assert [s["run"] for s in issue["steps"] if "run" in s] == ["make drift-issue STACK=${{ matrix.stack }}"]
    assert issue["if"] == "always() && needs.stacks.result == 'success'"


def test_real_previews_and_deploys_prepare_their_image_builds_in_debian_12():
    """build_on_preview: every job running Pulumi builds images, so it builds the wheelhouses first."""
    for name, job_names in (("pull-request.yml", ["preview"]), ("drift.yml", ["drift"]), ("deploy.yml", ["deploy", "promoted"])):
        for job_name in job_names:
            job = load(next(p for p in WORKFLOWS if p.name == name))["jobs"][job_name]
            assert job["container"] == "python:3.11-bookworm", (name, job_name)
            runs = [s.get("run", "") for s in job["steps"]]
            pulumi = next(i for i, s in enumerate(job["steps"]) if s.get("uses", "").startswith("pulumi/actions"))
            assert "make deploy-prepare STACK=${{ matrix.stack }}" in runs[:pulumi], (name, job_name)


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
    for name in ("drift.yml", "pull-request-checks.yml"):
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
