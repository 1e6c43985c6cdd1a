"""The GitHub workflows: what actionlint cannot know about our rules.

Runs call only `make` (plus writing the PR number), actions are pinned to a major version and come
from a short list, every workflow starts from read-only permissions, and fork pull requests never
get a token that can write or a cloud role.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

WORKFLOWS = sorted((Path(__file__).resolve().parents[2] / ".github" / "workflows").glob("*.yml"))
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


def test_pull_requests_preview_staging_with_the_pack_and_prod_offline():
    document = load(next(p for p in WORKFLOWS if p.name == "pull-request.yml"))
    job = document["jobs"]["preview"]
    assert job["strategy"]["matrix"]["stack"] == ["staging"]
    assert job["if"] == "github.event.pull_request.head.repo.full_name == github.repository"
    pulumi = next(s for s in job["steps"] if s.get("uses", "").startswith("pulumi/actions"))["with"]
    assert pulumi["command"] == "preview" and pulumi["comment-on-pr"] is True and pulumi["policyPacks"] == "policies"
    assert pulumi["cloud-url"].startswith("s3://${{ vars.") and pulumi["secrets-provider"] == "${{ vars.PULUMI_SECRETS_PROVIDER_STAGING }}"
    credentials = next(s for s in job["steps"] if s.get("uses", "").startswith("aws-actions/"))["with"]
    assert credentials["role-to-assume"] == "${{ vars.AWS_PREVIEW_ROLE_ARN_STAGING }}"
    # A pull request's code never runs with prod credentials: prod gets the offline review only.
    text = (Path(__file__).resolve().parents[2] / ".github" / "workflows" / "pull-request.yml").read_text()
    assert "PROD" not in "".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))
    offline = document["jobs"]["offline-review"]
    assert offline["strategy"]["matrix"]["stack"] == ["prod"] and "id-token" not in offline["permissions"]
    assert all("aws-actions" not in s.get("uses", "") and "pulumi/actions" not in s.get("uses", "") for s in offline["steps"])
    assert [s["run"] for s in offline["steps"] if "run" in s][1] == "make review-offline STACK=${{ matrix.stack }} BASE=origin/${{ github.base_ref }}"


def test_forks_get_no_write_token_and_no_cloud():
    document = load(next(p for p in WORKFLOWS if p.name == "pull-request-fork.yml"))
    job = document["jobs"]["offline-review"]
    assert "permissions" not in job
    assert all("aws-actions" not in s.get("uses", "") and "pulumi/actions" not in s.get("uses", "") for s in job["steps"])
    assert [s["run"] for s in job["steps"] if "run" in s][1] == "make review-offline STACK=${{ matrix.stack }} BASE=origin/${{ github.base_ref }}"


def test_prod_waits_for_staging_and_its_reviewers():
    jobs = load(next(p for p in WORKFLOWS if p.name == "deploy.yml"))["jobs"]
    assert jobs["prod"]["needs"] == "staging" and jobs["prod"]["environment"] == "prod"
    assert any(s.get("run", "").startswith("make promote STACK=prod") for s in jobs["prod"]["steps"])


def test_drift_is_a_refreshing_preview_that_expects_no_changes():
    job = load(next(p for p in WORKFLOWS if p.name == "drift.yml"))["jobs"]["drift"]
    preview = next(s for s in job["steps"] if s.get("id") == "preview")["with"]
    assert preview["refresh"] is True and preview["expect-no-changes"] is True
    assert any(s.get("run", "").startswith("make drift-issue") for s in job["steps"])
