"""`make diff` against a base ref that has no file for the stack: the stack is new there."""

from __future__ import annotations

import subprocess

from tests.conftest import PROJECT_DIR


def _git(*args: str) -> str:
    return subprocess.run(["git", *args], cwd=PROJECT_DIR, capture_output=True, text=True, check=True).stdout.strip()


def test_a_stack_the_base_lacks_is_all_creates_with_a_note_saying_so():
    # A commit of the empty tree stands for any base ref without Pulumi.staging.yaml (the pull
    # request that adds the stack); it is a loose object, not on any branch.
    empty_tree = _git("hash-object", "-t", "tree", "-w", "/dev/null")
    base = _git("-c", "user.name=test", "-c", "user.email=test@example.invalid", "commit-tree", empty_tree, "-m", "no stacks")
    result = subprocess.run(["make", "--no-print-directory", "diff", f"BASE={base}", "STACK=staging", "MARKDOWN=1"],
                            cwd=PROJECT_DIR, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert len(result.stdout.splitlines()) > 5, result.stdout + result.stderr
    note, blank, heading, _, summary = result.stdout.splitlines()[:5]
    assert note == f"> **New stack:** {base} has no Pulumi.staging.yaml, so the base is empty and every resource is a create."
    assert (blank, heading) == ("", "### Preview diff: `staging`")
    created = int(summary.strip("*").split(" to create")[0])
    assert created > 100 and summary.startswith(f"**{created} to create,")
    assert "to update" not in summary and "to delete" not in summary and "to replace" not in summary
