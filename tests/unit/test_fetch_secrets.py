"""The host's secrets fetcher: Secrets Manager references (the RDS-managed password) next to SSM."""

from __future__ import annotations

import json
import sys
import types
from pathlib import Path

import pytest

from showrunner.scripts import load_script

SCRIPT = Path(__file__).resolve().parents[2] / "images/golden/files/usr/local/sbin/showrunner-fetch-secrets"
ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:rds!db-0f1e2d3c-aaaa-bbbb-cccc-000000000000-AbCdEf"


@pytest.fixture
def fetcher(tmp_path, monkeypatch):
    module = load_script(SCRIPT, "showrunner_fetch_secrets")
    run_dir = tmp_path / "run"
    monkeypatch.setattr(module, "RUN_DIR", str(run_dir))
    module.run_dir = run_dir
    return module


def _host_env(tmp_path, monkeypatch, text: str) -> None:
    (tmp_path / "host.env").write_text(text)
    monkeypatch.setenv("SHOWRUNNER_HOST_ENV", str(tmp_path / "host.env"))


class _FakeClient:
    def __init__(self, secrets: dict[str, str], calls: list):
        self.secrets, self.calls = secrets, calls

    def get_secret_value(self, SecretId):  # noqa: N803 (boto3's name)
        self.calls.append(SecretId)
        return {"SecretString": self.secrets[SecretId]}

    def get_paginator(self, name):
        assert name == "get_parameters_by_path"
        return types.SimpleNamespace(
            paginate=lambda **kw: [{"Parameters": [{"Name": f"{kw['Path']}SECRET_KEY", "Value": "ssm-value"}]}]
        )


@pytest.fixture
def fake_aws(monkeypatch):
    """boto3 as the host has it, answering from memory; records which secrets were read."""
    calls: list[str] = []
    secrets = {ARN: json.dumps({"username": "showrunner", "password": "p@ss word=1"})}
    boto3 = types.ModuleType("boto3")
    boto3.client = lambda service, region_name: _FakeClient(secrets, calls)
    botocore = types.ModuleType("botocore")
    botocore.exceptions = types.SimpleNamespace(BotoCoreError=type("BotoCoreError", (Exception,), {}), ClientError=type("ClientError", (Exception,), {}))
    monkeypatch.setitem(sys.modules, "boto3", boto3)
    monkeypatch.setitem(sys.modules, "botocore", botocore)
    monkeypatch.setitem(sys.modules, "botocore.exceptions", botocore.exceptions)
    return calls


def test_reference_adds_the_json_key_of_the_secret_next_to_ssm_values(fetcher, fake_aws, tmp_path, monkeypatch, capsys):
    _host_env(tmp_path, monkeypatch, "SHOWRUNNER_STACK=prod\nSHOWRUNNER_SSM_PREFIX=/showrunner/prod\nAWS_REGION=us-east-1\n")
    target = fetcher.run_dir / "celery.env"
    fetcher.main(["celery", str(target), f"DATABASE_PASSWORD={ARN}:password"])
    assert target.read_text() == "DATABASE_PASSWORD=p@ss word=1\nSECRET_KEY=ssm-value\n"
    assert oct(target.stat().st_mode & 0o777) == "0o600"
    assert fake_aws == [ARN]
    assert "p@ss" not in capsys.readouterr().out


def test_directory_mode_reads_the_reference_from_a_file(fetcher, tmp_path, monkeypatch):
    (tmp_path / "secrets/web").mkdir(parents=True)
    (tmp_path / "secrets/web/DATABASE_PASSWORD").write_text("local-password\n")
    _host_env(tmp_path, monkeypatch, f"SHOWRUNNER_SECRETS_DIR={tmp_path / 'secrets'}\n")
    target = fetcher.run_dir / "web.env"
    fetcher.main(["web", str(target), f"DATABASE_PASSWORD={ARN}:password"])
    assert target.read_text() == "DATABASE_PASSWORD=local-password\n"


@pytest.mark.parametrize(
    ("arguments", "secrets", "message"),
    [
        (["DATABASE_PASSWORD=hunter2"], {ARN: "{}"},
         "argument for 'DATABASE_PASSWORD' is not NAME=SECRET_ARN:JSON_KEY (a Secrets Manager secret ARN and a JSON key)"),
        ([f"DATABASE_PASSWORD={ARN}:password", f"DATABASE_PASSWORD={ARN}:password"], {ARN: "{}"}, "DATABASE_PASSWORD is given twice"),
        ([f"DATABASE_PASSWORD={ARN}:password"], {ARN: '{"username": "x"}'}, f"DATABASE_PASSWORD: {ARN} has no string under the key 'password'"),
        ([f"DATABASE_PASSWORD={ARN}:password"], {ARN: "not json"}, f"DATABASE_PASSWORD: {ARN} does not hold a JSON object"),
        ([f"SECRET_KEY={ARN}:password"], {ARN: '{"password": "x"}'},
         "SECRET_KEY is both an SSM parameter of celery and a Secrets Manager reference; keep one"),
    ],
)
def test_bad_references_are_refused_with_one_line_and_no_file(fetcher, fake_aws, tmp_path, monkeypatch, arguments, secrets, message):
    sys.modules["boto3"].client = lambda service, region_name: _FakeClient(secrets, [])
    _host_env(tmp_path, monkeypatch, "SHOWRUNNER_SSM_PREFIX=/showrunner/prod\nAWS_REGION=us-east-1\n")
    target = fetcher.run_dir / "celery.env"
    with pytest.raises(fetcher.Refused) as refused:
        fetcher.main(["celery", str(target), *arguments])
    assert str(refused.value) == message
    assert not target.exists()


def test_directory_mode_refuses_a_reference_without_its_file(fetcher, tmp_path, monkeypatch):
    (tmp_path / "secrets/web").mkdir(parents=True)
    _host_env(tmp_path, monkeypatch, f"SHOWRUNNER_SECRETS_DIR={tmp_path / 'secrets'}\n")
    with pytest.raises(fetcher.Refused) as refused:
        fetcher.main(["web", str(fetcher.run_dir / "web.env"), f"DATABASE_PASSWORD={ARN}:password"])
    assert str(refused.value) == f"DATABASE_PASSWORD: {tmp_path / 'secrets/web/DATABASE_PASSWORD'} is missing"


# --- --credentials: files the container rereads, rewritten while it runs ----------------------


def test_an_rds_iam_token_is_minted_with_the_instance_role_and_written_for_the_container(fetcher, tmp_path, monkeypatch, capsys):
    """botocore signs the token itself (no API call): the real SDK, static stand-in credentials."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
    monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)
    _host_env(tmp_path, monkeypatch, "SHOWRUNNER_STACK=prod\nAWS_REGION=eu-west-1\n")
    directory = fetcher.run_dir / "django.d"
    fetcher.main(["--credentials", "django", str(directory), "DATABASE_PASSWORD=rds-iam:db.example.eu-west-1.rds.amazonaws.com:3306:showrunner_app"])
    token = (directory / "DATABASE_PASSWORD").read_text()
    assert token.startswith("db.example.eu-west-1.rds.amazonaws.com:3306/?Action=connect&DBUser=showrunner_app&")
    assert "X-Amz-Credential=AKIDEXAMPLE%2F" in token and "%2Feu-west-1%2Frds-db%2Faws4_request" in token and "X-Amz-Expires=900" in token
    assert oct((directory / "DATABASE_PASSWORD").stat().st_mode & 0o777) == "0o644"
    out = capsys.readouterr().out
    assert out == f"showrunner-fetch-secrets: django: DATABASE_PASSWORD written to {directory}\n" and token not in out


def test_credentials_are_replaced_atomically_in_the_services_own_folder(fetcher, tmp_path, monkeypatch):
    (tmp_path / "secrets/web").mkdir(parents=True)
    (tmp_path / "secrets/web/DATABASE_PASSWORD").write_text("first")
    _host_env(tmp_path, monkeypatch, f"SHOWRUNNER_SECRETS_DIR={tmp_path / 'secrets'}\n")
    directory = fetcher.run_dir / "web.d"
    arguments = ["--credentials", "web", str(directory), "DATABASE_PASSWORD=rds-iam:db:3306:app"]
    fetcher.main(arguments)
    inode = (directory / "DATABASE_PASSWORD").stat().st_ino
    (tmp_path / "secrets/web/DATABASE_PASSWORD").write_text("second")
    fetcher.main(arguments)
    assert (directory / "DATABASE_PASSWORD").read_text() == "second"
    assert (directory / "DATABASE_PASSWORD").stat().st_ino != inode, "a new file renamed over the old one, never rewritten in place"
    assert sorted(p.name for p in directory.iterdir()) == ["DATABASE_PASSWORD"]


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["web", "/run/showrunner/web.d", "DATABASE_PASSWORD=hunter2"], "argument for 'DATABASE_PASSWORD' is not NAME=rds-iam:HOST:PORT:USER"),
        (["web", "/run/showrunner/other.d", "DATABASE_PASSWORD=rds-iam:db:3306:app"], "is not"),
        (["web", "/run/showrunner/web.d"], "usage: showrunner-fetch-secrets --credentials SERVICE DIR NAME=rds-iam:HOST:PORT:USER ..."),
        (["web", "/run/showrunner/web.d", "A=rds-iam:db:3306:app", "A=rds-iam:db:3306:app"], "A is given twice"),
    ],
)
def test_bad_credential_arguments_are_refused_in_one_line(fetcher, tmp_path, monkeypatch, arguments, message):
    _host_env(tmp_path, monkeypatch, "AWS_REGION=eu-west-1\n")
    arguments = [a.replace("/run/showrunner", str(fetcher.run_dir)) for a in arguments]
    with pytest.raises(fetcher.Refused) as refused:
        fetcher.main(["--credentials", *arguments])
    assert message in str(refused.value)


def test_a_required_secret_missing_or_empty_is_named_and_nothing_is_written(fetcher, tmp_path, monkeypatch):
    """2015's empty SECRET_KEY: a needed secret that is not there (yet) stops the start, by name, never by value."""
    _host_env(tmp_path, monkeypatch, f"SHOWRUNNER_SECRETS_DIR={tmp_path / 'secrets'}\n")
    target = fetcher.run_dir / "web.env"
    with pytest.raises(fetcher.Unavailable) as missing:
        fetcher.main(["web", str(target), "SECRET_KEY"])
    assert str(missing.value) == f"SECRET_KEY not in the secret store under {tmp_path / 'secrets/web'}"
    (tmp_path / "secrets/web").mkdir(parents=True)
    (tmp_path / "secrets/web/SECRET_KEY").write_text("\n")
    (tmp_path / "secrets/web/OTHER").write_text("other-value-not-printed")
    with pytest.raises(fetcher.Unavailable) as empty:
        fetcher.main(["web", str(target), "SECRET_KEY"])
    assert str(empty.value) == "SECRET_KEY is empty; an empty secret never reaches a container"
    assert not target.exists()
    (tmp_path / "secrets/web/SECRET_KEY").write_text("a-value-not-printed\n")
    fetcher.main(["web", str(target), "SECRET_KEY"])
    assert target.read_text() == "OTHER=other-value-not-printed\nSECRET_KEY=a-value-not-printed\n"


def test_an_unavailable_store_exits_75_for_the_retry_and_a_refusal_1(tmp_path):
    import subprocess

    (tmp_path / "host.env").write_text(f"SHOWRUNNER_SECRETS_DIR={tmp_path / 'secrets'}\n")
    env = {"SHOWRUNNER_HOST_ENV": str(tmp_path / "host.env"), "PATH": "/usr/bin:/bin"}
    waiting = subprocess.run([sys.executable, str(SCRIPT), "web", "/run/showrunner/web.env", "SECRET_KEY"], env=env, capture_output=True, text=True)
    assert (waiting.returncode, waiting.stderr) == (75, f"showrunner-fetch-secrets: SECRET_KEY not in the secret store under {tmp_path / 'secrets/web'}\n")
    refused = subprocess.run([sys.executable, str(SCRIPT), "web", "/tmp/web.env"], env=env, capture_output=True, text=True)
    assert refused.returncode == 1 and "is not under /run/showrunner/" in refused.stderr


RETRY = SCRIPT.parent / "showrunner-retry"


@pytest.fixture
def retry(tmp_path, monkeypatch):
    module = load_script(RETRY, "showrunner_retry")
    module.waits, module.reports, module.clock = [], [], [0.0]
    monkeypatch.setattr(module.time, "monotonic", lambda: module.clock[0])

    def sleep(seconds):
        module.waits.append(seconds)
        module.clock[0] += seconds

    monkeypatch.setattr(module.time, "sleep", sleep)
    monkeypatch.setattr(module, "report_unhealthy", lambda settings, reason: module.reports.append(reason))
    (tmp_path / "host.env").write_text("SHOWRUNNER_START_DEADLINE=30\n")
    monkeypatch.setenv("SHOWRUNNER_HOST_ENV", str(tmp_path / "host.env"))
    return module


def _statuses(module, monkeypatch, statuses):
    remaining = list(statuses)
    monkeypatch.setattr(module.subprocess, "run", lambda command: types.SimpleNamespace(returncode=remaining.pop(0) if remaining else 75))


def test_the_retry_backs_off_until_the_step_is_ready(retry, monkeypatch):
    _statuses(retry, monkeypatch, [75, 75, 75, 0])
    assert retry.main("pull/x", ["true"]) == 0
    assert len(retry.waits) == 3 and retry.waits[0] <= 1.0 and 1.0 <= retry.waits[1] <= 2.0 and 2.0 <= retry.waits[2] <= 4.0
    assert retry.reports == []


def test_the_retry_reports_the_host_unhealthy_past_the_deadline_and_fails(retry, monkeypatch):
    _statuses(retry, monkeypatch, [])
    assert retry.main("fetch-secrets/web", ["true"]) == 1
    assert sum(retry.waits) == pytest.approx(30.0) and max(retry.waits) <= 10.0
    assert retry.reports == [f"fetch-secrets/web not ready in 30s ({len(retry.waits) + 1} attempts)"]


def test_any_other_status_passes_through_at_once(retry, monkeypatch):
    _statuses(retry, monkeypatch, [3])
    assert retry.main("pull/x", ["false"]) == 3 and retry.waits == [] and retry.reports == []
