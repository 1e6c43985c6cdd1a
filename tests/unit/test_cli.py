"""`showrunner preview` as an operator runs it."""

from __future__ import annotations

import json
import subprocess
import textwrap

from showrunner.cli import main
from tests.conftest import PROJECT_DIR

QA_STACK = textwrap.dedent(
    """\
    config:
      showrunner:image_pipeline:
        refresh_key: 2026-W48
      showrunner:load_balancer:
        certificate_arn: arn:aws:acm:us-east-1:123456789012:certificate/qa-0001
      showrunner:services:
        search:
          type: web
          image: micro
          command: /micro
          fleet: micro
          ports: ["8081:8080"]
          route:
            paths: ["/api/search/*"]
            priority: 20
          secrets: [API_TOKEN]
      showrunner:secrets:
        django:
          SECRET_KEY:
            secure: v1:cWE=:cWE=
        celery:
          SECRET_KEY:
            secure: v1:cWE=:cWE=
        clearsessions:
          SECRET_KEY:
            secure: v1:cWE=:cWE=
        search:
          API_TOKEN:
            secure: v1:cWE=:c2VhcmNo
    """
)


def test_a_third_environment_outside_the_repo_previews_through_config_file(tmp_path, capsys):
    stack_file = tmp_path / "elsewhere" / "Pulumi.qa.yaml"
    stack_file.parent.mkdir()
    stack_file.write_text(QA_STACK)
    out = tmp_path / "qa.json"
    assert main(["preview", "--stack", "qa", "--config-file", str(stack_file), "--json", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "Previewing update (qa)" in printed
    assert "secrets-search-api-token" in printed
    steps = json.loads(out.read_text())["steps"]
    names = {s["newState"]["inputs"].get("name") for s in steps}
    assert "/showrunner/qa/search/API_TOKEN" in names


def test_bad_configuration_prints_every_problem_without_a_traceback(tmp_path, capsys):
    stack_file = tmp_path / "Pulumi.qa.yaml"
    stack_file.write_text(
        QA_STACK.replace('["8081:8080"]', '["8081:80x"]').replace("priority: 20", "priority: 1000")
    )
    code = main(["preview", "--stack", "qa", "--config-file", str(stack_file)])
    err = capsys.readouterr().err
    assert code == 2
    assert err.splitlines() == [
        "error: invalid configuration for stack qa (2 problems):",
        '  showrunner:services.search.ports[0]: "8081:80x" is not HOST:CONTAINER (two port numbers 1-65535)',
        '  showrunner:services.search.route.priority: priority 1000 is already used by service "django"; listener rule priorities must be unique',
    ]


def test_a_missing_stack_file_is_one_line(capsys):
    assert main(["preview", "--stack", "nosuch"]) == 2
    assert capsys.readouterr().err == f"error: {PROJECT_DIR / 'Pulumi.nosuch.yaml'}: no such file\n"


def test_the_console_script_exits_non_zero_with_no_traceback(tmp_path):
    stack_file = tmp_path / "Pulumi.qa.yaml"
    stack_file.write_text(QA_STACK.replace("refresh_key: 2026-W48", "refresh_key: weekly"))
    result = subprocess.run(
        [str(PROJECT_DIR / ".venv/bin/showrunner"), "preview", "--stack", "qa", "--config-file", str(stack_file)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert 'showrunner:image_pipeline.refresh_key: "weekly" is not an ISO week like "2026-W48"' in result.stderr


def test_an_output_path_in_a_missing_directory_is_refused_before_any_work(tmp_path, capsys):
    target = tmp_path / "missing" / "out.json"
    assert main(["preview", "--json", str(target)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == f"error: --json {target}: directory {target.parent} does not exist\n"


def test_a_preview_run_in_process_leaves_the_garbage_collector_as_it_found_it(tmp_path, capsys):
    """The preview turns cyclic collection off while it runs; a caller's process gets it back, also after a failure."""
    import gc

    assert gc.isenabled()
    assert main(["preview", "--stack", "prod"]) == 0
    assert gc.isenabled()
    stack_file = tmp_path / "Pulumi.qa.yaml"
    stack_file.write_text(QA_STACK.replace("refresh_key: 2026-W48", "refresh_key: weekly"))
    assert main(["preview", "--stack", "qa", "--config-file", str(stack_file)]) == 2
    assert gc.isenabled()
    gc.disable()
    try:
        main(["preview", "--stack", "prod"])
        assert not gc.isenabled()
    finally:
        gc.enable()
