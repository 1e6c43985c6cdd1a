"""Every workflow step is a pinned action, or a make target that the test tiers run.

- A `uses:` step names an action of ACTIONS, pinned to a full commit SHA, its version in a comment.
- A `run:` step is one `make TARGET [VAR=value]...` line. Its `${{ }}` expressions are only the
  contexts a pull request cannot write (SAFE_EXPRESSIONS); event text reaches a step through `env:`,
  never through the shell line.
- TARGET is part of `make test` (a prerequisite of it, read from make's own database), or one of
  STEP_TESTS, each run below as the workflow runs it, with stand-ins only for what cannot run here
  (gh, the Pulumi CLI, a Docker daemon: tests/fakes.py). A step calling any other target fails.
"""

from __future__ import annotations

import datetime
import http.server
import json
import re
import shlex
import shutil
import socket
import socketserver
import subprocess
import threading
from pathlib import Path

import pytest
import yaml

from tests.conftest import PROJECT_DIR
from tests.fake_aws import FakeAws
from tests.fakes import FakeTools
from tests.unit.recorded import autoscaling as recorded

WORKFLOWS = sorted((PROJECT_DIR / ".github" / "workflows").glob("*.yml"))
ACTIONS = {"actions/checkout", "actions/setup-python", "actions/upload-artifact", "actions/download-artifact",
           "aws-actions/configure-aws-credentials", "pulumi/actions"}
SAFE_EXPRESSIONS = re.compile(r"^(matrix\.[a-z_]+|github\.(base_ref|server_url|repository|run_id)|github\.event\.pull_request\.number)$")
VENV_PYTHON = PROJECT_DIR / ".venv" / "bin" / "python"

STEP_TESTS = {
    "stacks-json": "test_stacks_json_is_the_matrix_and_the_step_output",
    "require-stack-vars": "test_require_stack_vars_names_the_missing_variable",
    "deploy-prepare": "test_deploy_prepare_builds_the_wheelhouses_and_checks_docker",
    "release-manifest": "test_release_manifest_keeps_digests_only",
    "promote": "test_promote_pins_the_images_the_stack_runs",
    "deploy-started": "test_deploy_started_is_the_step_output_rollout_wait_reads",
    "rollout-wait": "test_rollout_wait_follows_each_refresh_and_fails_on_a_rollback",
    "refresh-base": "test_refresh_base_pushes_a_branch_and_opens_a_pull_request",
    "review-offline": "test_review_offline_writes_the_preview_policy_diff_and_claim",
    "pr-comment": "test_pr_comment_posts_on_the_pull_request_the_event_names",
    "drift-check": "test_drift_check_fails_on_drift_only",
    "drift-issue": "test_drift_issue_opens_or_comments_only_on_drift",
}
"""Targets the workflows call that `make test` does not: the test below that runs each."""


def _load(path: Path) -> dict:
    document = yaml.safe_load(path.read_text())
    document["on"] = document.pop(True, document.get("on"))
    return document


def _steps():
    for path in WORKFLOWS:
        for job_name, job in _load(path)["jobs"].items():
            for index, step in enumerate(job.get("steps", [])):
                yield pytest.param(path, step, id=f"{path.stem}/{job_name}/{index}")


def make_database() -> dict[str, list[str]]:
    """target → prerequisites, as make reads the Makefile and mk/*.mk."""
    out = subprocess.run(["make", "-pRrq", "-f", "Makefile", "help"], cwd=PROJECT_DIR, capture_output=True, text=True, check=False).stdout
    rules = {}
    for line in out.splitlines():
        match = re.match(r"^([A-Za-z0-9_.-]+):(?!=)\s*(.*)$", line)
        if match and not line.startswith(("#", "\t")):
            rules.setdefault(match[1], []).extend(match[2].split())
    return rules


def covered_by_make_test() -> set[str]:
    rules, seen, todo = make_database(), set(), ["test"]
    while todo:
        target = todo.pop()
        if target not in seen:
            seen.add(target)
            todo += rules.get(target, [])
    return seen


COVERED = covered_by_make_test()


@pytest.mark.parametrize("path, step", list(_steps()))
def test_every_step_is_a_pinned_action_or_a_covered_make_target(path, step):
    if "uses" in step:
        action, _, ref = step["uses"].partition("@")
        assert action in ACTIONS, f"{step['uses']}: not an action this project uses (ACTIONS)"
        assert re.fullmatch(r"[0-9a-f]{40}", ref), f"{step['uses']}: pin the action to a full commit SHA"
        line = next(line for line in path.read_text().splitlines() if step["uses"] in line)
        assert re.search(rf"@{ref} # v\d+\.\d+\.\d+$", line), f"{path.name}: `{line.strip()}` needs its version in a comment"
        return
    command = step["run"]
    assert "\n" not in command.strip(), f"{path.name}: a run step is one make line, not a script: {command!r}"
    for expression in re.findall(r"\$\{\{\s*(.*?)\s*\}\}", command):
        assert SAFE_EXPRESSIONS.match(expression), f"{path.name}: `{expression}` in a shell line; pass it through env:"
    words = shlex.split(re.sub(r"\$\{\{.*?\}\}", "EXPRESSION", command))
    assert words[0] == "make" and len(words) >= 2, f"{path.name}: `{command}` is not a make target"
    target, *assignments = words[1:]
    assert all(re.match(r"^[A-Z][A-Z0-9_]*=", word) for word in assignments), f"{path.name}: `{command}`: make TARGET VAR=value... only"
    assert target in COVERED or target in STEP_TESTS, (
        f"{path.name}: `make {target}` is neither part of `make test` nor run by a test here (STEP_TESTS)")


def test_each_target_a_workflow_calls_outside_make_test_has_its_test():
    called = {shlex.split(step.values[1]["run"])[1] for step in _steps() if "run" in step.values[1]}
    assert called - COVERED == set(STEP_TESTS), "STEP_TESTS must name exactly the targets outside make test"
    assert all(callable(globals().get(name)) for name in STEP_TESTS.values())
    assert {"test-unit", "test-policy", "lint-workflows", "lint-shell", "images", "venv"} <= COVERED


# --- the targets, run as the workflows run them ---------------------------------------------


def make(*args: str, env: dict | None = None, cwd: Path = PROJECT_DIR) -> subprocess.CompletedProcess:
    return subprocess.run(["make", "--no-print-directory", *args], cwd=cwd, capture_output=True, text=True, env=env, check=False)


def test_stacks_json_is_the_matrix_and_the_step_output(tmp_path):
    output = tmp_path / "github-output"
    result = make("stacks-json", env={**FakeTools(tmp_path).env(), "GITHUB_OUTPUT": str(output)})
    assert result.returncode == 0, result.stderr
    listed = json.loads(result.stdout)
    assert [e["stack"] for e in listed["stacks"]] == ["prod", "staging"]
    assert output.read_text() == f"stacks={result.stdout.strip()}\n"


def test_require_stack_vars_names_the_missing_variable(tmp_path):
    env = FakeTools(tmp_path).env(AWS_PREVIEW_ROLE_ARN="arn:aws:iam::123456789012:role/preview", PULUMI_SECRETS_PROVIDER="")
    result = make("require-stack-vars", "STACK=qa-east", "VARS=AWS_PREVIEW_ROLE_ARN PULUMI_SECRETS_PROVIDER", env=env)
    assert result.returncode != 0
    assert "the repository variable PULUMI_SECRETS_PROVIDER_QA_EAST is not set (or empty)" in result.stderr
    env["PULUMI_SECRETS_PROVIDER"] = "awskms://alias/showrunner-qa-east"
    assert make("require-stack-vars", "STACK=qa-east", "VARS=AWS_PREVIEW_ROLE_ARN PULUMI_SECRETS_PROVIDER", env=env).returncode == 0


class _Ping(http.server.BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 — the http.server hook
        self.send_response(200 if self.path == "/_ping" else 404)
        self.end_headers()
        self.wfile.write(b"OK")

    def log_message(self, *args):
        pass


class _UnixServer(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True

    def get_request(self):
        request, _ = super().get_request()
        return request, ("local", 0)


def test_deploy_prepare_builds_the_wheelhouses_and_checks_docker(tmp_path):
    """The real wheelhouse build; a stand-in daemon that answers `/_ping` as dockerd does."""
    path = str(tmp_path / "docker.sock")
    server = _UnixServer(path, _Ping)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        result = make("deploy-prepare", "STACK=staging", env=FakeTools(tmp_path).env(DOCKER_HOST=f"unix://{path}"))
    finally:
        server.shutdown()
        server.server_close()
    assert result.returncode == 0, result.stdout + result.stderr
    assert "[ok]        wheelhouses: images/base/wheelhouse, images/www/wheelhouse built" in result.stdout.splitlines()
    assert "[ok]        Docker: a daemon answers (the stack builds base, www, micro)" in result.stdout.splitlines()
    for folder in ("base", "www"):
        assert any((PROJECT_DIR / "images" / folder / "wheelhouse").glob("*.whl"))
    # No daemon: the job stops here, saying where it looked.
    result = make("deploy-prepare", "STACK=staging", env=FakeTools(tmp_path).env(DOCKER_HOST=f"unix://{tmp_path}/none.sock"))
    assert result.returncode != 0
    assert f"            no Docker daemon answers at unix://{tmp_path}/none.sock (No such file or directory)" in result.stdout.splitlines()


DIGESTS = {"www": "123456789012.dkr.ecr.us-east-1.amazonaws.com/showrunner/staging/www@sha256:" + "a" * 64,
           "micro": "123456789012.dkr.ecr.us-east-1.amazonaws.com/showrunner/staging/micro@sha256:" + "b" * 64}


def test_release_manifest_keeps_digests_only(tmp_path):
    fakes = FakeTools(tmp_path)
    fakes.answer("pulumi", "stack output --stack staging --json image_digests", json.dumps(DIGESTS))
    result = make("release-manifest", "STACK=staging", f"REVIEW_DIR={tmp_path}/review", env=fakes.env())
    assert result.returncode == 0, result.stderr
    assert json.loads((tmp_path / "review" / "release.json").read_text()) == DIGESTS
    fakes.answer("pulumi", "stack output --stack staging --json image_digests", json.dumps({**DIGESTS, "www": "repo/www:latest"}))
    result = make("release-manifest", "STACK=staging", f"REVIEW_DIR={tmp_path}/review", env=fakes.env())
    assert result.returncode != 0 and "release-manifest: not digests: ['www']" in result.stderr


def _image(reference: str) -> dict:
    """ECR's BatchGetImage entry for a digest reference."""
    repository, _, digest = reference.partition("/")[2].partition("@")
    return {"registryId": "123456789012", "repositoryName": repository, "imageId": {"imageDigest": digest},
            "imageManifest": '{"schemaVersion":2}', "imageManifestMediaType": "application/vnd.docker.distribution.manifest.v2+json"}


def test_promote_pins_the_images_the_stack_runs(tmp_path):
    """Pinned, and each digest tagged `release-prod-…` in its source repository (ECR a stand-in)."""
    fakes = FakeTools(tmp_path)
    manifest = tmp_path / "release.json"
    manifest.write_text(json.dumps({**DIGESTS, "base": DIGESTS["www"].replace("/www@", "/base@")}))
    with FakeAws() as aws:
        aws.answer("ecr", "BatchGetImage", *({"images": [_image(DIGESTS[image])], "failures": []} for image in ("micro", "www")))
        aws.answer("ecr", "PutImage", *({"image": _image(DIGESTS[image])} for image in ("micro", "www")))
        result = make("promote", "STACK=prod", f"MANIFEST={manifest}", f"REVIEW_DIR={tmp_path}/review", env={**fakes.env(), **aws.env()})
    assert result.returncode == 0, result.stderr
    assert [c["args"] for c in fakes.calls("pulumi")] == [
        ["config", "set", "--stack", "prod", "--path", f"showrunner:images.{image}.release", DIGESTS[image]] for image in ("micro", "www")]
    tags = [(params["repositoryName"], params["imageDigest"], params["imageTag"]) for service, operation, params in aws.calls if operation == "PutImage"]
    assert tags == [("showrunner/staging/micro", "sha256:" + "b" * 64, "release-prod-bbbbbbbbbbbb"),
                    ("showrunner/staging/www", "sha256:" + "a" * 64, "release-prod-aaaaaaaaaaaa")]


def test_deploy_started_is_the_step_output_rollout_wait_reads(tmp_path):
    output = tmp_path / "github-output"
    result = make("deploy-started", env={**FakeTools(tmp_path).env(), "GITHUB_OUTPUT": str(output)})
    assert result.returncode == 0, result.stderr
    [line] = output.read_text().splitlines()
    assert re.fullmatch(r"at=\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", line) and result.stdout == line + "\n"


def test_rollout_wait_follows_each_refresh_and_fails_on_a_rollback(tmp_path):
    """Auto Scaling a stand-in answering as AWS does; SINCE from the environment, as the workflow passes it."""
    env = {**FakeTools(tmp_path).env(), "SINCE": "2026-11-30T12:00:00Z"}
    with FakeAws() as aws:
        aws.answer("autoscaling", "DescribeAutoScalingGroups", recorded.groups_page("www"))
        aws.answer("autoscaling", "DescribeInstanceRefreshes", recorded.refresh("www", "InProgress", percent=50, to_update=1),
                   recorded.refresh("www", "Successful", percent=100, to_update=0))
        result = make("rollout-wait", "STACK=staging", "POLL=0.05", env={**env, **aws.env()})
    assert result.returncode == 0, result.stdout + result.stderr
    lines = [line for line in result.stdout.splitlines() if line.startswith("rollout: ")]
    assert lines[-1] == "rollout: staging: every fleet rolled out (1)"
    assert f"rollout: staging/www: Successful ({recorded.REFRESH_ID})" in lines
    assert any(line.startswith("rollout: staging/www: InProgress") for line in lines), lines
    with FakeAws() as aws:
        aws.answer("autoscaling", "DescribeAutoScalingGroups", recorded.groups_page("www"), {"AutoScalingGroups": [recorded.group("www", hosts={"i-0a1b2c3d4e5f60718": "6"})]})
        aws.answer("autoscaling", "DescribeInstanceRefreshes", recorded.refresh("www", "RollbackSuccessful", percent=100, rollback=True))
        result = make("rollout-wait", "STACK=staging", "POLL=0.05", env={**env, **aws.env()})
    assert result.returncode != 0
    assert "rollout: staging: not healthy: www (RollbackSuccessful)" in result.stdout.splitlines()


def test_refresh_base_pushes_a_branch_and_opens_a_pull_request(tmp_path):
    """In a scratch clone (the target commits and pushes): a bare origin, gh a stand-in."""
    work, origin = tmp_path / "work", tmp_path / "origin.git"
    work.mkdir()
    for name in ("Makefile", "Pulumi.yaml", "Pulumi.staging.yaml", "Pulumi.prod.yaml"):
        shutil.copy(PROJECT_DIR / name, work / name)
    shutil.copytree(PROJECT_DIR / "mk", work / "mk")
    (work / "tools").mkdir()
    shutil.copy(PROJECT_DIR / "tools" / "stacks", work / "tools" / "stacks")
    for stack_file in work.glob("Pulumi.*.yaml"):
        stack_file.write_text(stack_file.read_text().replace("refresh_key: 2026-W48", "refresh_key: 2000-W01"))
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid", "-c", "init.defaultBranch=main"]
    subprocess.run([*git, "init", "-q", "--bare", str(origin)], check=True)
    for command in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "base"], ["remote", "add", "origin", str(origin)], ["push", "-q", "origin", "main"]):
        subprocess.run([*git, *command], cwd=work, check=True)
    fakes = FakeTools(tmp_path)
    result = make("refresh-base", f"PYTHON={VENV_PYTHON}", cwd=work, env=fakes.env())
    assert result.returncode == 0, result.stdout + result.stderr
    year, week, _ = datetime.datetime.now(datetime.timezone.utc).isocalendar()
    branch = f"base-refresh/{year}-W{week:02d}"
    changed = subprocess.run(["git", "show", "--stat", "--format=%s", branch], cwd=origin, capture_output=True, text=True, check=True).stdout
    assert changed.startswith(f"Base image refresh for {year}-W{week:02d}") and "Pulumi.prod.yaml" in changed and "Pulumi.staging.yaml" in changed
    [pr] = fakes.calls("gh")
    assert pr["args"][:6] == ["pr", "create", "--base", "main", "--head", branch]


def _empty_tree_commit() -> str:
    def git(*args):
        return subprocess.run(["git", *args], cwd=PROJECT_DIR, capture_output=True, text=True, check=True).stdout.strip()

    return git("-c", "user.name=t", "-c", "user.email=t@example.invalid", "commit-tree", git("hash-object", "-t", "tree", "-w", "/dev/null"), "-m", "no stacks")


def test_review_offline_writes_the_preview_policy_diff_and_claim(tmp_path):
    review = tmp_path / "review"
    result = make("review-offline", "STACK=staging", f"BASE={_empty_tree_commit()}", "PR=12", f"REVIEW_DIR={review}", env=FakeTools(tmp_path).env())
    assert result.returncode == 0, result.stdout + result.stderr
    assert (review / "pr-number").read_text() == "12\n"
    assert json.loads((review / "staging.json").read_text())["steps"]
    assert json.loads((review / "staging.policy.json").read_text())["violations"] == []
    assert (review / "staging.md").read_text().startswith("> **New stack:**")


def test_pr_comment_posts_on_the_pull_request_the_event_names(tmp_path):
    fakes = FakeTools(tmp_path)
    review = tmp_path / "review"
    review.mkdir()
    (review / "staging.md").write_text("### Preview diff: `staging`\n")
    (review / "pr-number").write_text("5\n")
    sha = "c" * 40
    fakes.answer("gh", "api --paginate repos/showrunner-tv/showrunner/issues/5/comments", "[]")
    env = fakes.env(GITHUB_REPOSITORY="showrunner-tv/showrunner", HEAD_SHA=sha, HEAD_REPO="showrunner-tv/showrunner",
                    EVENT_PULLS=json.dumps([{"number": 5, "head": {"sha": sha, "ref": "feature"}}]))
    result = make("pr-comment", "STACK=staging", f"REVIEW_DIR={review}", env=env)
    assert (result.returncode, result.stdout) == (0, "pr-comment: staging review on #5: posted a new comment\n"), result.stderr
    [post] = [c for c in fakes.calls("gh") if "POST" in c["args"]]
    assert post["body"] == "<!-- showrunner-diff:staging -->\n### Preview diff: `staging`\n"
    # The artifact's claim of another pull request stops it.
    (review / "pr-number").write_text("6\n")
    assert make("pr-comment", "STACK=staging", f"REVIEW_DIR={review}", env=env).returncode != 0


def _preview(*changes: dict) -> str:
    stack = "urn:pulumi:staging::showrunner::pulumi:pulumi:Stack::showrunner-staging"
    steps = [{"op": "same", "urn": stack, "newState": {"type": "pulumi:pulumi:Stack", "urn": stack}}, *changes]
    return json.dumps({"steps": steps, "changeSummary": {}})


def _update(kind: str, name: str, parent: str, *paths: str) -> dict:
    urn = f"urn:pulumi:staging::showrunner::showrunner:index:Fleet${kind}::{name}"
    state = {"type": kind, "urn": urn, "parent": parent, "inputs": {}}
    return {"op": "update", "urn": urn, "oldState": state, "newState": state, "detailedDiff": {p: {"kind": "update"} for p in paths}}


FLEET = "urn:pulumi:staging::showrunner::showrunner:index:Fleet::www"
AMI_ROLL = [_update("aws:ec2/launchTemplate:LaunchTemplate", "www-lt", FLEET, "imageId"),
            _update("aws:autoscaling/group:Group", "www-asg", FLEET, "mixedInstancesPolicy.launchTemplate.launchTemplateSpecification.version")]


@pytest.mark.parametrize("changes, drifted", [
    ([], False),
    (AMI_ROLL, False),
    ([*AMI_ROLL, _update("aws:ec2/securityGroup:SecurityGroup", "www-sg", FLEET, "ingress")], True),
])
def test_drift_check_fails_on_drift_only(tmp_path, changes, drifted):
    fakes = FakeTools(tmp_path)
    fakes.answer("pulumi", "preview --stack staging --refresh --json --non-interactive", _preview(*changes))
    result = make("drift-check", "STACK=staging", f"DRIFT_DIR={tmp_path}/drift", "RUN_URL=https://ci.example/runs/1", env=fakes.env())
    assert (result.returncode != 0) is drifted, result.stdout + result.stderr
    assert (tmp_path / "drift" / "staging.drifted").exists() is drifted
    assert (tmp_path / "drift" / "staging.md").read_text().endswith("Run: https://ci.example/runs/1\n")
    assert fakes.calls("gh") == []  # the check never writes issues: the issue job does
    fakes.answer("pulumi", "preview --stack staging --refresh --json --non-interactive", "", exit=255, stderr="error: the state backend refused the lock\n")
    failed = make("drift-check", "STACK=staging", f"DRIFT_DIR={tmp_path}/drift", env=fakes.env())
    assert failed.returncode != 0 and not (tmp_path / "drift" / "staging.drifted").exists()
    assert "drift-check: pulumi preview failed for stack staging (not drift: the check could not run)" in failed.stderr


def test_drift_issue_opens_or_comments_only_on_drift(tmp_path):
    drift = tmp_path / "drift"
    drift.mkdir()
    (drift / "staging.md").write_text("found 1 change\n")
    fakes = FakeTools(tmp_path)
    quiet = make("drift-issue", "STACK=staging", f"DRIFT_DIR={drift}", env=fakes.env())
    assert (quiet.returncode, quiet.stdout, fakes.calls("gh")) == (0, "drift-issue: no drift reported for stack staging\n", [])
    (drift / "staging.drifted").touch()
    assert make("drift-issue", "STACK=staging", f"DRIFT_DIR={drift}", env=fakes.env()).returncode == 0
    created = fakes.calls("gh")[-1]
    assert created["args"][:5] == ["issue", "create", "--title", "Drift in staging", "--label"] and created["body"] == "found 1 change\n"
    fakes.answer("gh", "issue list", "17\n")
    assert make("drift-issue", "STACK=staging", f"DRIFT_DIR={drift}", env=fakes.env()).returncode == 0
    commented = fakes.calls("gh")[-1]
    assert commented["args"][:3] == ["issue", "comment", "17"] and commented["body"] == "found 1 change\n"


def test_the_fake_daemon_speaks_over_a_unix_socket(tmp_path):
    """The stand-in above is reached the way the Docker provider reaches dockerd."""
    path = str(tmp_path / "d.sock")
    server = _UnixServer(path, _Ping)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with socket.socket(socket.AF_UNIX) as client:
            client.connect(path)
            client.sendall(b"GET /_ping HTTP/1.0\r\n\r\n")
            assert client.recv(100).startswith(b"HTTP/1.0 200")
    finally:
        server.shutdown()
        server.server_close()
