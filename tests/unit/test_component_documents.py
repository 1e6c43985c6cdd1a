"""The Image Builder component documents, their rendering, and our step runner (tools/run-component)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from showrunner.scripts import load_script

from showrunner_components.golden_ami.documents import (
    KNOWN_ACTIONS,
    MAX_DATA_CHARS,
    DocumentError,
    document_keys,
    document_problems,
    expand_directive,
    load_documents,
    render_document,
)
from showrunner.golden import GOLDEN_DIR, GOLDEN_DOCUMENTS as DOCUMENTS

ROOT = Path(__file__).resolve().parents[2]
RUNNER = ROOT / "tools" / "run-component"
AWS_DOWNLOAD_STEPS = {"InstallSsmAgentFromAws", "VerifySsmAgent", "SsmAgentRunning"}


@pytest.fixture(scope="module")
def documents():
    return load_documents(GOLDEN_DIR, DOCUMENTS)


def test_every_document_file_is_in_the_recipe():
    on_disk = sorted(p.stem for p in (GOLDEN_DIR / "components").glob("*.yml"))
    assert on_disk == sorted(DOCUMENTS) == document_keys(GOLDEN_DIR)


def test_documents_have_the_structure_image_builder_requires(documents):
    for document in documents:
        content = document.content
        assert document_problems(content, document.key) == []
        assert content["schemaVersion"] == 1.0
        assert [phase["name"] for phase in content["phases"]] == ["build", "validate", "test"], document.key
        names = [step["name"] for phase in content["phases"] for step in phase["steps"]]
        assert len(names) == len(set(names)), f"{document.key}: step names repeat: {names}"
        for phase in content["phases"]:
            for step in phase["steps"]:
                assert step["action"] in KNOWN_ACTIONS
                # Our runner executes ExecuteBash only; the documents stay inside what it can run.
                assert step["action"] == "ExecuteBash", f"{document.key}/{step['name']}"
                assert step["inputs"]["commands"][0] == "set -euo pipefail", f"{document.key}/{step['name']} must stop at the first failing command"


def test_rendered_documents_are_self_contained_and_fit_image_builder(documents):
    for document in documents:
        assert len(document.text) <= MAX_DATA_CHARS
        assert "showrunner:install" not in document.text and "showrunner:run" not in document.text
        assert yaml.safe_load(document.text) == document.content


def test_every_host_file_is_installed_by_exactly_one_document():
    sources = "".join((GOLDEN_DIR / "components" / f"{key}.yml").read_text() for key in DOCUMENTS)
    files = sorted(str(p.relative_to(GOLDEN_DIR / "files")) for p in (GOLDEN_DIR / "files").rglob("*") if p.is_file())
    for relative in files:
        assert sources.count(f"showrunner:install {relative} ") == 1, relative
    assert files == [
        "etc/chrony/chrony.conf",
        "etc/cloud/cloud.cfg.d/90-showrunner.cfg",
        "etc/docker/daemon.json",
        "etc/systemd/system/containerd.service.d/10-showrunner.conf",
        "etc/systemd/system/docker.service.d/10-showrunner.conf",
        "etc/systemd/system/docker.socket.d/10-showrunner.conf",
        "etc/systemd/system/mnt-docker.mount",
        "etc/systemd/system/showrunner-clock-offset.service",
        "etc/systemd/system/showrunner-clock-offset.timer",
        "etc/systemd/system/showrunner-data-volume.service",
        "etc/systemd/system/showrunner-disk-usage.service",
        "etc/systemd/system/showrunner-disk-usage.timer",
        "etc/systemd/system/showrunner-prune-containers.service",
        "etc/systemd/system/showrunner-prune-containers.timer",
        "etc/systemd/system/showrunner-prune-images.service",
        "etc/systemd/system/showrunner-prune-images.timer",
        "usr/local/sbin/showrunner-clock-offset",
        "usr/local/sbin/showrunner-disk-guard",
        "usr/local/sbin/showrunner-disk-usage",
        "usr/local/sbin/showrunner-fetch-secrets",
        "usr/local/sbin/showrunner-format-data-volume",
        "usr/local/sbin/showrunner-retry",
    ]


def test_the_steps_skipped_here_are_exactly_the_aws_downloads(documents):
    names = {step["name"] for d in documents for phase in d.content["phases"] for step in phase["steps"]}
    assert AWS_DOWNLOAD_STEPS <= names
    build_image = (GOLDEN_DIR / "build-image").read_text()
    assert "skips=(InstallSsmAgentFromAws VerifySsmAgent)" in build_image
    test_module = (ROOT / "tests" / "integration" / "golden" / "test_golden_image.py").read_text()
    assert 'TEST_PHASE_SKIPS = ("SsmAgentRunning",)' in test_module


def test_daemon_json_is_the_host_interface():
    import json

    assert json.loads((GOLDEN_DIR / "files" / "etc" / "docker" / "daemon.json").read_text()) == {
        "data-root": "/mnt/docker",
        "log-driver": "json-file",
        "log-opts": {"max-size": "10m", "max-file": "3"},
        "live-restore": True,
    }


def test_chrony_uses_only_the_amazon_time_sync_service():
    lines = (GOLDEN_DIR / "files" / "etc" / "chrony" / "chrony.conf").read_text().splitlines()
    sources = [line for line in lines if line.split(" ", 1)[0] in ("server", "pool", "peer")]
    assert sources == ["server 169.254.169.123 prefer iburst minpoll 4 maxpoll 4"]


# --- rendering -----------------------------------------------------------------------------------


def _golden(tmp_path: Path, files: dict[str, str]) -> Path:
    for relative, text in files.items():
        path = tmp_path / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return tmp_path


def test_install_directive_becomes_a_heredoc(tmp_path):
    golden = _golden(tmp_path, {"files/etc/demo/app.conf": "key = value\n"})
    assert expand_directive("showrunner:install etc/demo/app.conf 0640", golden, "doc") == (
        "install -d -m 0755 /etc/demo\n"
        "cat > /etc/demo/app.conf <<'SHOWRUNNER_FILE_END'\n"
        "key = value\n"
        "SHOWRUNNER_FILE_END\n"
        "chmod 0640 /etc/demo/app.conf"
    )


def test_run_directive_runs_the_script_with_bash(tmp_path):
    golden = _golden(tmp_path, {"scripts/hello": "echo hello\n"})
    assert expand_directive("showrunner:run scripts/hello", golden, "doc") == (
        "bash -euo pipefail <<'SHOWRUNNER_FILE_END'\necho hello\nSHOWRUNNER_FILE_END"
    )


def test_other_commands_are_left_alone(tmp_path):
    assert expand_directive("echo showrunner:install", tmp_path, "doc") == "echo showrunner:install"


@pytest.mark.parametrize(
    ("files", "command", "message"),
    [
        ({}, "showrunner:install etc/missing 0644", "doc: etc/missing is not a file under {files}"),
        ({"files/etc/a": "x\n"}, "showrunner:install etc/a", 'doc: "showrunner:install etc/a" needs an octal mode like 0644: showrunner:install REL MODE'),
        ({"files/etc/a": "x\n"}, "showrunner:install etc/a 644", 'doc: "showrunner:install etc/a 644" needs an octal mode like 0644: showrunner:install REL MODE'),
        ({"files/etc/a": "x"}, "showrunner:install etc/a 0644", "doc: etc/a must end with a newline"),
        ({"files/etc/a": "SHOWRUNNER_FILE_END\n"}, "showrunner:install etc/a 0644", "doc: etc/a contains the heredoc terminator SHOWRUNNER_FILE_END"),
        ({"files/etc/a": "{{ x }}\n"}, "showrunner:install etc/a 0644", "doc: etc/a contains '{{', which Image Builder would read as a variable"),
        ({"scripts/s": "true\n"}, "showrunner:run scripts/s 0755", 'doc: "showrunner:run scripts/s 0755" takes one path: showrunner:run REL'),
        ({"files/etc/a": "x\n"}, "showrunner:install ../../etc/passwd 0644", "doc: ../../etc/passwd is not a file under {files}"),
    ],
)
def test_bad_directives_are_refused_with_one_line(tmp_path, files, command, message):
    golden = _golden(tmp_path, files)
    with pytest.raises(DocumentError) as error:
        expand_directive(command, golden, "doc")
    assert error.value.problems == [message.replace("{files}", str(golden / "files"))]


def test_render_is_deterministic_and_keeps_step_order():
    source = (GOLDEN_DIR / "components" / "time-sync.yml").read_text()
    first = render_document(source, GOLDEN_DIR)
    assert first == render_document(source, GOLDEN_DIR)
    assert [s["name"] for p in yaml.safe_load(first)["phases"] for s in p["steps"]] == ["InstallChrony", "ChronyConfigParses", "TimeSource"]


# --- validation ------------------------------------------------------------------------------------

_VALID = {
    "name": "demo",
    "schemaVersion": 1.0,
    "phases": [{"name": "build", "steps": [{"name": "One", "action": "ExecuteBash", "inputs": {"commands": ["true"]}}]}],
}


def _with(**changes) -> dict:
    document = yaml.safe_load(yaml.safe_dump(_VALID))
    document.update(changes)
    return document


def _steps(*steps) -> list:
    return [{"name": "build", "steps": list(steps)}]


_STEP = {"name": "One", "action": "ExecuteBash", "inputs": {"commands": ["true"]}}


@pytest.mark.parametrize(
    ("document", "problems"),
    [
        (_VALID, []),
        (_with(schemaVersion=2.0), ["d: schemaVersion: must be 1.0, got 2.0"]),
        (_with(name=""), ["d: name: is required"]),
        (_with(extra=1), ["d: extra: is not a known key"]),
        (_with(phases=[]), ["d: phases: needs at least one phase"]),
        (_with(phases=[{"name": "deploy", "steps": [_STEP]}]), ["d: phases[0].name: 'deploy' is not one of build, validate, test"]),
        (_with(phases=_steps(_STEP) + _steps({**_STEP, "name": "Two"})), ["d: phases[1].name: phase build appears twice"]),
        (_with(phases=[{"name": "build", "steps": []}]), ["d: phases[0].steps: needs at least one step"]),
        (_with(phases=_steps(_STEP, _STEP)), ["d: phases[0].steps[1].name: step name One is not unique in the document"]),
        (_with(phases=_steps({**_STEP, "name": "bad name"})), ["d: phases[0].steps[0].name: 'bad name' is not a step name (letters and digits, starting with a letter)"]),
        (_with(phases=_steps({**_STEP, "action": "RunShell"})), ["d: phases[0].steps[0].action: 'RunShell' is not an Image Builder action module"]),
        (_with(phases=_steps({**_STEP, "inputs": {"commands": []}})), ["d: phases[0].steps[0].inputs.commands: ExecuteBash needs a list of command strings"]),
        (_with(phases=_steps({**_STEP, "onFailure": "Retry"})), ["d: phases[0].steps[0].onFailure: 'Retry' is not Abort, Continue or Ignore"]),
        (_with(phases=_steps({**_STEP, "retries": 3})), ["d: phases[0].steps[0].retries: is not a known step key"]),
        (_with(phases=_steps({**_STEP, "inputs": {"commands": ["echo {{ Region }}"]}})), ["d: phases[0].steps[0].inputs.commands: {{ Region }} is not a declared parameter"]),
        (
            _with(parameters=[{"Region": {"type": "string"}}], phases=_steps({**_STEP, "inputs": {"commands": ["echo {{ Region }}"]}})),
            [],
        ),
        (_with(parameters=[{"Count": {"type": "integer"}}]), ["d: parameters[0].Count: needs type: string (the only parameter type)"]),
    ],
)
def test_document_problems(document, problems):
    assert document_problems(document, "d") == problems


def test_load_documents_reports_every_problem_of_every_file(tmp_path):
    golden = _golden(
        tmp_path,
        {
            "components/a.yml": "name: a\nschemaVersion: 1.0\nphases: []\n",
            "components/b.yml": "name: [unclosed\n",
        },
    )
    with pytest.raises(DocumentError) as error:
        load_documents(golden, keys=("a", "b", "c"))
    assert [p.split(": ", 1)[1] for p in error.value.problems] == [
        "phases: needs at least one phase",
        "not valid YAML (line 2): expected ',' or ']', but got '<stream end>'",
        "cannot be read: No such file or directory",
    ]


def test_without_a_recipe_order_every_document_of_the_folder_is_loaded_by_name(tmp_path):
    step = "    steps:\n      - name: {0}\n        action: ExecuteBash\n        inputs:\n          commands: [\"true\"]\n"
    golden = _golden(tmp_path, {
        f"components/{key}.yml": f"name: {key}\nschemaVersion: 1.0\nphases:\n  - name: build\n" + step.format(key.title().replace("-", ""))
        for key in ("zeta", "alpha", "mid-way")
    })
    assert [d.key for d in load_documents(golden)] == ["alpha", "mid-way", "zeta"]
    assert [d.key for d in load_documents(golden, ["zeta", "alpha"])] == ["zeta", "alpha"]


def test_a_document_over_the_size_limit_is_refused(tmp_path):
    big = "x" * (MAX_DATA_CHARS + 1)
    golden = _golden(
        tmp_path,
        {"components/big.yml": "name: big\nschemaVersion: 1.0\nphases:\n  - name: build\n    steps:\n      - name: One\n        action: ExecuteBash\n        inputs:\n          commands:\n            - echo " + big + "\n"},
    )
    with pytest.raises(DocumentError) as error:
        load_documents(golden, keys=("big",))
    assert error.value.problems[0].endswith(f"over Image Builder's {MAX_DATA_CHARS}; split the document")


# --- the runner ---------------------------------------------------------------------------------------


def _runner(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(RUNNER), *args], capture_output=True, text=True, timeout=60)


def _document(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def _step(name: str, *commands: str, action: str = "ExecuteBash") -> str:
    lines = "".join(f"            - '{c}'\n" for c in commands)
    return f"      - name: {name}\n        action: {action}\n        inputs:\n          commands:\n{lines}"


def _doc(name: str, phases: dict[str, list[str]], parameters: str = "") -> str:
    text = f"name: {name}\nschemaVersion: 1.0\n{parameters}phases:\n"
    for phase, steps in phases.items():
        text += f"  - name: {phase}\n    steps:\n" + "".join(steps)
    return text


def test_runner_runs_phase_by_phase_and_stops_at_the_first_failure(tmp_path):
    log = tmp_path / "log"
    first = _document(tmp_path, "first.yml", _doc("first", {
        "build": [_step("A", f"echo first-build >> {log}")],
        "validate": [_step("B", f"echo first-validate >> {log}"), _step("C", "exit 3"), _step("D", f"echo never >> {log}")],
    }))
    second = _document(tmp_path, "second.yml", _doc("second", {"build": [_step("E", f"echo second-build >> {log}")]}))
    result = _runner("--phases", "build,validate", first, second)
    assert result.returncode == 1
    assert log.read_text().split() == ["first-build", "second-build", "first-validate"]
    assert "run-component: FAILED first / validate / C: exited 3" in result.stderr
    assert "later steps not run" in result.stderr


def test_runner_refuses_other_actions_by_name_before_running_anything(tmp_path):
    log = tmp_path / "log"
    path = _document(tmp_path, "doc.yml", _doc("doc", {"build": [_step("A", f"echo ran >> {log}"), _step("Fetch", "x", action="S3Download")]}))
    result = _runner(path)
    assert result.returncode == 2
    assert result.stderr == f"run-component: {path}: phase build, step Fetch: action S3Download is not supported by this runner (ExecuteBash only)\n"
    assert not log.exists()


def test_runner_substitutes_parameters_and_refuses_missing_or_unknown_ones(tmp_path):
    out = tmp_path / "out"
    parameters = "parameters:\n  - Greeting:\n      type: string\n"
    path = _document(tmp_path, "doc.yml", _doc("doc", {"build": [_step("A", f"echo {{{{ Greeting }}}} > {out}")]}, parameters))
    assert _runner(path, "--parameter", "Greeting=hello").returncode == 0
    assert out.read_text() == "hello\n"

    missing = _runner(path)
    assert (missing.returncode, missing.stderr) == (2, f"run-component: {path}: parameter Greeting has no default; pass --parameter Greeting=VALUE\n")
    unknown = _runner(path, "--parameter", "Greeting=hi", "--parameter", "Colour=red")
    assert (unknown.returncode, unknown.stderr) == (2, "run-component: --parameter Colour: no document declares it\n")


def test_runner_skips_only_named_steps_and_says_so(tmp_path):
    log = tmp_path / "log"
    path = _document(tmp_path, "doc.yml", _doc("doc", {"build": [_step("Download", f"echo download >> {log}"), _step("Local", f"echo local >> {log}")]}))
    result = _runner(path, "--skip-step", "Download")
    assert result.returncode == 0
    assert log.read_text() == "local\n"
    assert "==> SKIPPED doc / build / Download (--skip-step)" in result.stdout

    typo = _runner(path, "--skip-step", "Downlaod")
    assert (typo.returncode, typo.stderr) == (2, "run-component: --skip-step Downlaod: no step of that name in phases build,validate\n")


def test_runner_refuses_an_invalid_document_with_one_line_per_problem(tmp_path):
    path = _document(tmp_path, "doc.yml", "name: doc\nschemaVersion: 2\nphases: []\n")
    result = _runner(path)
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        f"run-component: {path}: schemaVersion: must be 1.0, got 2",
        f"run-component: {path}: phases: needs at least one phase",
    ]


def test_runner_validates_the_real_documents_without_running_them():
    paths = [str(GOLDEN_DIR / "components" / f"{key}.yml") for key in DOCUMENTS]
    # An unknown --skip-step is refused after the documents are read, so nothing runs here.
    result = _runner("--parameter", "EcrRegistry=123456789012.dkr.ecr.us-east-1.amazonaws.com", "--skip-step", "NoSuchStep", *paths)
    assert (result.returncode, result.stderr) == (2, "run-component: --skip-step NoSuchStep: no step of that name in phases build,validate\n")


def test_a_refusal_says_its_problems_when_printed():
    runner = load_script(RUNNER, "run_component")
    refused = runner.Refused(["doc.yml: schemaVersion: must be 1.0, got 2", "--phases: 'x' is not one of build, validate, test"])
    assert str(refused) == "doc.yml: schemaVersion: must be 1.0, got 2\n--phases: 'x' is not one of build, validate, test"
    with pytest.raises(runner.Refused, match="no step of that name"):
        runner.plan([], ["build"], {}, {"Nope"})


# --- the negative assertions of the test steps can fail -------------------------------------------
# `! cmd` in the middle of a script is ignored by `set -e` (shellcheck SC2251), so these steps once
# could not fail. Each is run here as the runner runs it (`bash -c`), with stub commands, both ways.


def _step_script(key: str, phase: str, name: str) -> str:
    document = next(d for d in load_documents(GOLDEN_DIR, DOCUMENTS) if d.key == key)
    [step] = [s for p in document.content["phases"] if p["name"] == phase for s in p["steps"] if s["name"] == name]
    return "\n".join(step["inputs"]["commands"])


def _stub(directory: Path, name: str, body: str) -> None:
    path = directory / name
    path.write_text(f"#!/bin/sh\n{body}\n")
    path.chmod(0o755)


def _bash(script: str, bin_dir: Path) -> subprocess.CompletedProcess:
    env = {"PATH": f"{bin_dir}:/usr/bin:/bin"}
    return subprocess.run(["bash", "-c", script], env=env, capture_output=True, text=True, timeout=30, check=False)


def test_no_ssh_server_fails_when_sshd_is_installed_or_ssh_runs(tmp_path):
    script = _step_script("host-access", "test", "NoSshServer")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    _stub(bin_dir, "systemctl", "exit 3")  # is-active: inactive
    _stub(bin_dir, "find", "exit 0")  # no authorized_keys anywhere
    clean = _bash(script, bin_dir)
    assert clean.returncode == 0, clean.stderr

    _stub(bin_dir, "systemctl", "exit 0")  # ssh.service active
    active = _bash(script, bin_dir)
    assert (active.returncode, active.stderr) == (1, "ssh.service is active\n")

    _stub(bin_dir, "sshd", "exit 0")
    installed = _bash(script, bin_dir)
    assert (installed.returncode, installed.stderr) == (1, "an SSH server (sshd) is installed\n")


def test_fetch_secrets_test_fails_when_the_fetcher_prints_a_secret(tmp_path):
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    fetcher = tmp_path / "bin" / "fetch-secrets"
    script = _step_script("host-secrets", "test", "FetchSecretsFromDirectory")
    assert "/usr/local/sbin/showrunner-fetch-secrets" in script and "/run/showrunner/" in script
    script = script.replace("/usr/local/sbin/showrunner-fetch-secrets", str(fetcher)).replace("/run/showrunner/", f"{run_dir}/")
    writes_env_file = (
        'set -e\n. "$SHOWRUNNER_HOST_ENV"\n: > "$2"\nchmod 600 "$2"\n'
        'for f in "$SHOWRUNNER_SECRETS_DIR/$1"/*; do\n'
        '  if [ -f "$f" ]; then printf \'%s=%s\\n\' "${f##*/}" "$(cat "$f")" >> "$2"; fi\ndone'
    )
    fetcher.parent.mkdir()
    _stub(fetcher.parent, fetcher.name, writes_env_file)
    quiet = _bash(script, fetcher.parent)
    assert quiet.returncode == 0, quiet.stderr

    _stub(fetcher.parent, fetcher.name, writes_env_file + '\ncat "$2"')
    leaky = _bash(script, fetcher.parent)
    assert (leaky.returncode, leaky.stderr) == (1, "showrunner-fetch-secrets printed a secret value\n")
