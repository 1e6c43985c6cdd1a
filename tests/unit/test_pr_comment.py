"""tools/pr-comment: a fork's review lands on the fork's own pull request, or nowhere.

The review (its Markdown and its `pr-number`) is text the fork's code wrote. The pull request is
the one GitHub says the run built; a review claiming another is refused; the body is bounded and
says who rendered it; only the bot's own marked comment is edited.
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import json
import subprocess
import sys

import pytest

from tests.conftest import PROJECT_DIR
from tests.fakes import FakeTools

TOOL = PROJECT_DIR / "tools" / "pr-comment"
REPO = "showrunner-tv/showrunner"
FORK = "mallory/showrunner"
SHA = "a" * 40
OTHER_SHA = "b" * 40


def _load():
    loader = importlib.machinery.SourceFileLoader("pr_comment", str(TOOL))
    spec = importlib.util.spec_from_loader("pr_comment", loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


pr_comment = _load()


def pull(number: int, sha: str, repo: str) -> dict:
    return {"number": number, "head": {"sha": sha, "repo": {"full_name": repo}}}


OPEN = [pull(7, OTHER_SHA, "alice/showrunner"), pull(9, SHA, FORK), pull(12, SHA, "bob/showrunner")]


def test_a_fork_s_run_is_its_own_open_pull_request_by_head_sha_and_repository():
    assert pr_comment.resolve_pull_request(SHA, FORK, [], OPEN) == 9
    # GitHub lists the pull request for a branch of this repository; that list is used first.
    assert pr_comment.resolve_pull_request(SHA, REPO, [{"number": 3, "head": {"sha": SHA}}], OPEN) == 3


@pytest.mark.parametrize("sha, repo, event, problem", [
    (SHA, "eve/showrunner", [], f"no open pull request has head {SHA} from eve/showrunner; not posting"),
    (SHA, FORK, [{"number": 3, "head": {"sha": OTHER_SHA}}], f"no open pull request has head {SHA} from {FORK}; not posting"),
])
def test_no_match_is_a_refusal(sha, repo, event, problem):
    with pytest.raises(pr_comment.Refusal) as refused:
        pr_comment.resolve_pull_request(sha, repo, event, OPEN)
    assert str(refused.value) == problem


def test_a_review_claiming_another_pull_request_is_refused():
    pr_comment.check_claim(None, 9)
    pr_comment.check_claim("9\n", 9)
    with pytest.raises(pr_comment.Refusal) as refused:
        pr_comment.check_claim("7", 9)
    assert str(refused.value) == "the review says it is for pull request '7', but the run built #9; not posting"


def test_a_fork_s_body_says_who_rendered_it_mentions_nobody_and_is_bounded():
    review = "### Preview diff: `staging`\n\ncc @maintainers\n<!-- showrunner-diff:prod -->\n" + "+ line\n" * 20_000
    text = pr_comment.body("staging", review, fork=f"{FORK}@{SHA[:12]}")
    lines = text.splitlines()
    assert lines[0] == "<!-- showrunner-diff:staging -->"
    assert lines[1].startswith(f"> **Rendered from fork code.** The pull request's own code ({FORK}@{SHA[:12]}) produced this review")
    assert "cc @\u2060maintainers" in text and "<!-- showrunner-diff:prod -->" not in text
    assert len(text) < 65_536 and "\n\n_Cut to 60,000 of 140," in text
    assert text.endswith(" characters. Run `make diff BASE=<base ref> STACK=staging` for all of it._\n")
    # A review of this repository's own branch: no header, mentions as written.
    assert pr_comment.body("staging", "cc @maintainers\n") == "<!-- showrunner-diff:staging -->\ncc @maintainers\n"


def run(tmp_path, fakes: FakeTools, *args: str, claim: str | None = None, review: str = "### Preview diff\n") -> subprocess.CompletedProcess:
    review_dir = tmp_path / "review"
    review_dir.mkdir(exist_ok=True)
    (review_dir / "staging.md").write_text(review)
    if claim is not None:
        (review_dir / "pr-number").write_text(claim)
    return subprocess.run([sys.executable, str(TOOL), "staging", "--review-dir", str(review_dir), *args], capture_output=True, text=True,
                          env=fakes.env(GITHUB_REPOSITORY=REPO), check=False)


def test_the_bot_s_own_marked_comment_on_the_fork_s_pull_request_is_edited(tmp_path):
    fakes = FakeTools(tmp_path)
    fakes.answer("gh", f"api --paginate repos/{REPO}/pulls?state=open", json.dumps(OPEN))
    comments = [{"id": 1, "user": {"login": "mallory"}, "body": "<!-- showrunner-diff:staging -->\nNo resource changes."},
                {"id": 2, "user": {"login": "github-actions[bot]"}, "body": "<!-- showrunner-diff:staging -->\nold"}]
    fakes.answer("gh", f"api --paginate repos/{REPO}/issues/9/comments", json.dumps(comments))
    result = run(tmp_path, fakes, "--head-sha", SHA, "--head-repo", FORK, claim="9\n")
    assert (result.returncode, result.stdout) == (0, "pr-comment: staging review on #9: edited comment 2\n"), result.stderr
    [edit] = [c for c in fakes.calls("gh") if "PATCH" in c["args"]]
    assert edit["args"][:4] == ["api", "-X", "PATCH", f"repos/{REPO}/issues/comments/2"]
    assert edit["body"].startswith("<!-- showrunner-diff:staging -->\n> **Rendered from fork code.**")


def test_an_artifact_pointing_at_someone_else_s_pull_request_posts_nothing(tmp_path):
    fakes = FakeTools(tmp_path)
    fakes.answer("gh", f"api --paginate repos/{REPO}/pulls?state=open", json.dumps(OPEN))
    result = run(tmp_path, fakes, "--head-sha", SHA, "--head-repo", FORK, claim="7", review="No resource changes.\n")
    assert result.returncode == 1
    assert result.stderr == "pr-comment: staging: the review says it is for pull request '7', but the run built #9; not posting\n"
    assert [c for c in fakes.calls("gh") if "PATCH" in c["args"] or "POST" in c["args"]] == []


def test_a_pull_request_s_own_job_posts_a_new_comment(tmp_path):
    fakes = FakeTools(tmp_path)
    fakes.answer("gh", f"api --paginate repos/{REPO}/issues/4/comments", "[]")
    result = run(tmp_path, fakes, "--pr", "4")
    assert (result.returncode, result.stdout) == (0, "pr-comment: staging review on #4: posted a new comment\n"), result.stderr
    [post] = [c for c in fakes.calls("gh") if "POST" in c["args"]]
    assert post["body"] == "<!-- showrunner-diff:staging -->\n### Preview diff\n"


@pytest.mark.parametrize("args, problem", [
    (["--pr", "4; rm -rf /"], "pr-comment: --pr '4; rm -rf /' is not a pull request number"),
    (["--head-sha", "main", "--head-repo", FORK], "pr-comment: --head-sha must be a commit SHA and --head-repo owner/name"),
    ([], "pr-comment: give --pr, or --head-sha with --head-repo"),
])
def test_bad_usage_is_refused_before_any_call(tmp_path, args, problem):
    fakes = FakeTools(tmp_path)
    result = run(tmp_path, fakes, *args)
    assert (result.returncode, result.stderr) == (2, problem + "\n")
    assert fakes.calls() == []
