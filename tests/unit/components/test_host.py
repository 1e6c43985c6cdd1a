"""Host rendering: exact text of units and cloud-config, then the real linters on them."""

from __future__ import annotations

import base64
import dataclasses
import gzip
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from showrunner import wiring
from showrunner.config.models import Service
from showrunner.engine import load_stack
from showrunner_components.fleet import cloud_config, units
from showrunner_components.fleet import units as units_module
from showrunner_components.fleet.cloud_config import render_cloud_config
from showrunner_components.fleet.cron import on_calendar
from showrunner_components.fleet.units import HostRenderError, HostService, render_service_unit, render_timer_unit, render_units
from tests.unit import stand_ins
from tests.unit.components.test_state import ENDPOINTS
from tests.unit.stand_ins import DIGEST

PROJECT_DIR = Path(__file__).resolve().parents[3]
WWW = f"ecr.example/showrunner/www@{DIGEST}"

DJANGO = HostService(
    name="django",
    type="web",
    image=WWW,
    command="/var/www/bin/start-django",
    ports=("8000:8000",),
    environment={"DJANGO_SETTINGS_MODULE": "www.settings", "ALLOWED_HOSTS": "www.showrunner.example"},
    secret_names=("SECRET_KEY",),
    memory_mb=1024,
)
CLEARSESSIONS = HostService(
    name="clearsessions",
    type="cron",
    image=WWW,
    command="python -m django clearsessions",
    schedule="15 3 * * *",
    remove_on_exit=True,
    environment={"DJANGO_SETTINGS_MODULE": "www.settings"},
)
PULL = (
    f'ExecStartPre=/usr/local/sbin/showrunner-retry pull/{WWW} /bin/sh -c "/usr/bin/docker image inspect {WWW} >/dev/null 2>&1 '
    f'|| /usr/bin/docker pull --quiet {WWW} || exit 75"'
)


def test_web_service_unit_is_exact():
    assert render_service_unit(DJANGO) == f"""\
[Unit]
Description=showrunner web service django
Requires=docker.service
After=docker.service network-online.target
Wants=network-online.target
StartLimitIntervalSec=30
StartLimitBurst=5

[Service]
Type=exec
Restart=always
RestartSec=2
EnvironmentFile=/etc/showrunner/host.env
TimeoutStartSec=900
TimeoutStopSec=45
ExecStartPre=/usr/local/sbin/showrunner-disk-guard --min-free-mb 2048 --path /mnt/docker
ExecStartPre=/usr/local/sbin/showrunner-retry fetch-secrets/django /usr/local/sbin/showrunner-fetch-secrets django /run/showrunner/django.env SECRET_KEY
{PULL}
ExecStartPre=-/usr/bin/docker rm --force django
ExecStart=/usr/bin/docker run --name django --label showrunner.service=django --label showrunner.host=%H --env-file /run/showrunner/django.env --env ALLOWED_HOSTS=www.showrunner.example --env DJANGO_SETTINGS_MODULE=www.settings --memory 1024m --memory-swap 1024m --publish 8000:8000 --volume /var/log/containers:/var/log {WWW} /var/www/bin/start-django
ExecStop=/usr/bin/docker stop --time 30 django
SyslogIdentifier=django

[Install]
WantedBy=multi-user.target
"""


def test_cron_service_is_a_oneshot_with_rm_and_a_timer():
    assert render_service_unit(CLEARSESSIONS, min_free_mb=4096) == f"""\
[Unit]
Description=showrunner cron service clearsessions
Requires=docker.service
After=docker.service network-online.target
Wants=network-online.target

[Service]
Type=oneshot
EnvironmentFile=/etc/showrunner/host.env
TimeoutStartSec=3600
TimeoutStopSec=45
ExecStartPre=/usr/local/sbin/showrunner-disk-guard --min-free-mb 4096 --path /mnt/docker
ExecStartPre=/usr/local/sbin/showrunner-retry fetch-secrets/clearsessions /usr/local/sbin/showrunner-fetch-secrets clearsessions /run/showrunner/clearsessions.env
{PULL}
ExecStartPre=-/usr/bin/docker rm --force clearsessions
ExecStart=/usr/bin/docker run --name clearsessions --label showrunner.service=clearsessions --label showrunner.host=%H --env-file /run/showrunner/clearsessions.env --env DJANGO_SETTINGS_MODULE=www.settings --memory 512m --memory-swap 512m --volume /var/log/containers:/var/log --rm {WWW} python -m django clearsessions
SyslogIdentifier=clearsessions
"""
    assert render_timer_unit(CLEARSESSIONS) == """\
[Unit]
Description=showrunner cron service clearsessions (15 3 * * *)

[Timer]
OnCalendar=*-*-* 03:15:00 UTC
AccuracySec=1s
Unit=showrunner-clearsessions.service

[Install]
WantedBy=timers.target
"""


CELERY = Service(
    command="celery -A www worker --queues=celery,mail",
    image="www",
    type="worker",
    fleet="worker",
    env={"DJANGO_SETTINGS_MODULE": "www.settings"},
    uses=["mysql", "queues"],
)


def test_store_env_goes_to_run_and_the_token_source_to_the_credentials_writer():
    """A service's `uses`, through the program's wiring, to its unit."""
    spec = wiring.fleet_service("celery", CELERY, image=WWW, endpoints=ENDPOINTS, load_balancer=None)
    unit = render_service_unit(HostService.from_spec(spec))
    lines = unit.splitlines()
    assert "ExecStartPre=/usr/local/sbin/showrunner-retry fetch-secrets/celery /usr/local/sbin/showrunner-fetch-secrets celery /run/showrunner/celery.env" in lines
    credentials = (
        "/usr/local/sbin/showrunner-fetch-secrets --credentials celery /run/showrunner/celery.d DATABASE_PASSWORD=rds-iam:db.example.internal:3306:showrunner_app"
    )
    assert f"ExecStartPre={credentials}" in lines
    queues = (
        '{\\"celery\\":{\\"url\\":\\"https://sqs.eu-west-1.amazonaws.com/111122223333/q-celery\\"},'
        '\\"mail\\":{\\"url\\":\\"https://sqs.eu-west-1.amazonaws.com/111122223333/q-mail\\"}}'
    )
    assert (
        "ExecStart=/usr/bin/docker run --name celery --label showrunner.service=celery --label showrunner.host=%H --env-file /run/showrunner/celery.env "
        "--env AWS_REGION=eu-west-1 --env CELERY_BROKER_URL=sqs:// --env CELERY_DEFAULT_QUEUE=celery "
        f'--env "CELERY_PREDEFINED_QUEUES={queues}" '
        "--env DATABASE_HOST=db.example.internal --env DATABASE_NAME=showrunner "
        "--env DATABASE_PASSWORD_FILE=/run/secrets/showrunner/DATABASE_PASSWORD --env DATABASE_PORT=3306 "
        "--env DATABASE_TLS=required --env DATABASE_USER=showrunner_app --env DJANGO_SETTINGS_MODULE=www.settings "
        f"--memory 512m --memory-swap 512m --volume /var/log/containers:/var/log --volume /run/showrunner/celery.d:/run/secrets/showrunner:ro {WWW} "
        "celery -A www worker --queues=celery,mail"
    ) in lines
    assert "--env DATABASE_PASSWORD=" not in unit
    # The credentials are rewritten while the container runs on: a new token needs no restart.
    extra = units.render_units([HostService.from_spec(spec)])
    assert sorted(extra) == ["showrunner-celery-credentials.service", "showrunner-celery-credentials.timer", "showrunner-celery.service"]
    assert extra["showrunner-celery-credentials.service"] == f"""\
[Unit]
Description=showrunner credentials of celery, rewritten while it runs

[Service]
Type=oneshot
EnvironmentFile=/etc/showrunner/host.env
ExecStart={credentials}
SyslogIdentifier=celery-credentials
"""
    assert extra["showrunner-celery-credentials.timer"] == """\
[Unit]
Description=showrunner credentials of celery, every 5min

[Timer]
OnActiveSec=5min
OnUnitActiveSec=5min
Unit=showrunner-celery-credentials.service

[Install]
WantedBy=timers.target
"""
    assert units.units_to_enable(extra, [HostService.from_spec(spec)]) == ["showrunner-celery.service", "showrunner-celery-credentials.timer"]


def test_containers_log_to_their_services_group_without_ever_blocking():
    logging = units.HostLogging(region="eu-west-1", group_prefix="/showrunner/prod/www")
    exec_start = next(line for line in render_service_unit(DJANGO, logging=logging).splitlines() if line.startswith("ExecStart="))
    assert (
        "--env-file /run/showrunner/django.env --log-driver awslogs --log-opt awslogs-region=eu-west-1 "
        '--log-opt awslogs-group=/showrunner/prod/www/django --log-opt "tag=%H/{{.ID}}" --log-opt mode=non-blocking '
        "--log-opt max-buffer-size=4m --log-opt cache-max-size=10m --log-opt cache-max-file=3 --env ALLOWED_HOSTS="
    ) in exec_start
    # The boot simulation's stand-in endpoint and credentials, only when given.
    assert "awslogs-endpoint" not in exec_start
    local = units.HostLogging(region="us-east-1", group_prefix="/g", endpoint="http://127.0.0.1:4586", credentials_endpoint="@127.0.0.1:4586/creds")
    assert local.options("svc")[-2:] == ["awslogs-endpoint=http://127.0.0.1:4586", "awslogs-credentials-endpoint=@127.0.0.1:4586/creds"]


def test_command_and_env_words_are_quoted_for_systemd():
    service = HostService(
        name="odd",
        type="worker",
        image=WWW,
        command="""sh -c 'echo "$HOME" 100%'""",
        environment={"GREETING": "hello world"},
        volumes=(),
    )
    exec_start = next(line for line in render_service_unit(service).splitlines() if line.startswith("ExecStart="))
    assert exec_start == (
        "ExecStart=/usr/bin/docker run --name odd --label showrunner.service=odd --label showrunner.host=%H --env-file /run/showrunner/odd.env "
        f'--env "GREETING=hello world" --memory 512m --memory-swap 512m {WWW} sh -c "echo \\"$$HOME\\" 100%%"'
    )


@pytest.mark.parametrize(
    ("schedule", "expected"),
    [
        ("15 3 * * *", ["*-*-* 03:15:00 UTC"]),
        ("@daily", ["*-*-* 00:00:00 UTC"]),
        ("@weekly", ["Sun *-*-* 00:00:00 UTC"]),
        ("@hourly", ["*-*-* *:00:00 UTC"]),
        ("@monthly", ["*-*-01 00:00:00 UTC"]),
        ("*/15 * * * *", ["*-*-* *:00,15,30,45:00 UTC"]),
        ("0 17 * * 5", ["Fri *-*-* 17:00:00 UTC"]),
        ("0 0 * * 7", ["Sun *-*-* 00:00:00 UTC"]),
        ("0 0 * * 0,6", ["Sat,Sun *-*-* 00:00:00 UTC"]),
        ("30 8 * * 1-5", ["Mon..Fri *-*-* 08:30:00 UTC"]),
        ("0 0 * * 1-7", ["*-*-* 00:00:00 UTC"]),
        ("5-10/2 */6 * 1-3 *", ["*-01..03-* 00,06,12,18:05,07,09:00 UTC"]),
        # cron ORs a restricted day-of-month with a restricted day-of-week; a timer ORs its lines.
        ("0 9 1,15 * 1-5", ["*-*-01,15 09:00:00 UTC", "Mon..Fri *-*-* 09:00:00 UTC"]),
    ],
)
def test_cron_schedule_becomes_on_calendar(schedule, expected):
    assert on_calendar(schedule) == expected


def test_on_calendar_agrees_with_systemd(linters):
    """systemd itself accepts every expression we emit."""
    for schedule in ("15 3 * * *", "*/15 * * * *", "0 9 1,15 * 1-5", "5-10/2 */6 * 1-3 *", "0 0 * * 0,6"):
        for expression in on_calendar(schedule):
            result = subprocess.run(["systemd-analyze", "calendar", expression], capture_output=True, text=True)
            assert result.returncode == 0, f"{expression}: {result.stderr}"


def test_hosts_never_run_a_tag():
    with pytest.raises(HostRenderError, match='service "django": image "ecr.example/showrunner/www:latest" is not repository@sha256'):
        render_service_unit(dataclasses.replace(DJANGO, image="ecr.example/showrunner/www:latest"))


def test_a_service_without_a_digest_is_refused():
    with pytest.raises(HostRenderError, match='service "django": no image digest was given'):
        render_units([dataclasses.replace(DJANGO, image="")])


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"type": "daemon"}, 'service "django": type "daemon" is not one of web, worker, cron'),
        ({"type": "cron"}, 'service "django": a cron service needs a schedule'),
        ({"schedule": "@daily"}, 'service "django": a schedule is only for type cron, not web'),
        ({"type": "cron", "schedule": "61 * * * *"}, 'service "django": schedule "61 * * * *" is not a cron schedule: its minute field'),
    ],
)
def test_a_service_the_host_cannot_run_is_refused_naming_it(changes, message):
    with pytest.raises(HostRenderError, match="^" + re.escape(message)):
        dataclasses.replace(DJANGO, **changes)


def test_a_service_given_twice_is_refused():
    with pytest.raises(HostRenderError, match='^service "django" is given twice$'):
        render_units([DJANGO, DJANGO])


def test_cloud_config_is_exact():
    text = render_cloud_config("staging", "us-east-1", [DJANGO, CLEARSESSIONS])
    units = render_units([CLEARSESSIONS, DJANGO])
    indented = {name: "".join(("    " + line if line else line) + "\n" for line in body.splitlines()) for name, body in units.items()}
    assert text == (
        "#cloud-config\n"
        "write_files:\n"
        "- path: /etc/showrunner/host.env\n"
        "  owner: root:root\n"
        "  permissions: '0644'\n"
        "  content: |\n"
        "    SHOWRUNNER_STACK=staging\n"
        "    SHOWRUNNER_SSM_PREFIX=/showrunner/staging\n"
        "    AWS_REGION=us-east-1\n"
        "    SHOWRUNNER_START_DEADLINE=300\n"
        "- path: /etc/systemd/system/showrunner-clearsessions.service\n"
        "  owner: root:root\n"
        "  permissions: '0644'\n"
        "  content: |\n" + indented["showrunner-clearsessions.service"] + ""
        "- path: /etc/systemd/system/showrunner-clearsessions.timer\n"
        "  owner: root:root\n"
        "  permissions: '0644'\n"
        "  content: |\n" + indented["showrunner-clearsessions.timer"] + ""
        "- path: /etc/systemd/system/showrunner-django.service\n"
        "  owner: root:root\n"
        "  permissions: '0644'\n"
        "  content: |\n" + indented["showrunner-django.service"] + ""
        "runcmd:\n"
        "- [systemctl, daemon-reload]\n"
        "- [systemctl, enable, --now, --no-block, showrunner-clearsessions.timer, showrunner-django.service]\n"
    )


def test_secrets_dir_override_is_only_there_when_asked():
    assert cloud_config.host_env("prod", "eu-west-1") == (
        "SHOWRUNNER_STACK=prod\nSHOWRUNNER_SSM_PREFIX=/showrunner/prod\nAWS_REGION=eu-west-1\nSHOWRUNNER_START_DEADLINE=300\n"
    )
    assert cloud_config.host_env("prod", "eu-west-1", secrets_dir="/srv/secrets").endswith("SHOWRUNNER_SECRETS_DIR=/srv/secrets\n")
    assert cloud_config.host_env("prod", "eu-west-1", fleet="www", start_deadline_s=60).endswith(
        "AWS_REGION=eu-west-1\nSHOWRUNNER_FLEET=www\nSHOWRUNNER_START_DEADLINE=60\n"
    )
    stand_ins = {"SHOWRUNNER_AUTOSCALING_ENDPOINT": "http://127.0.0.1:1"}
    assert cloud_config.host_env("prod", "eu-west-1", stand_ins=stand_ins).endswith("\nSHOWRUNNER_AUTOSCALING_ENDPOINT=http://127.0.0.1:1\n")


def test_a_prune_scope_is_written_only_for_the_boot_simulation():
    plain = render_cloud_config("staging", "us-east-1", [DJANGO])
    assert cloud_config.PRUNE_ENV not in plain
    scoped = render_cloud_config("staging", "us-east-1", [DJANGO], prune_scope=cloud_config.prune_env("showrunner.host=bootsim-1", "1s"))
    assert (
        f"- path: {cloud_config.PRUNE_ENV}\n  owner: root:root\n  permissions: '0644'\n  content: |\n"
        "    SHOWRUNNER_PRUNE_UNTIL=1s\n    SHOWRUNNER_PRUNE_FILTERS=--filter label=showrunner.host=bootsim-1\n"
    ) in scoped


# --- the real linters, on what the real stacks render ------------------------------------------


@pytest.fixture(scope="module")
def linters():
    """`systemd-analyze` and `cloud-init`; installed through apt when missing (CI runs as root)."""
    if not (shutil.which("systemd-analyze") and shutil.which("cloud-init")):
        subprocess.run([str(PROJECT_DIR / "tools" / "host-linters")], check=True)


@pytest.fixture(scope="module")
def stack_hosts(tmp_path_factory):
    """`stack_hosts(stack)`: units and cloud-config per fleet of a real stack file, through the
    program's wiring (stores' environment, password references), with stand-in digests and
    endpoints; its secrets are real plaintexts (`stand_ins.canary_stack_file`), returned third."""
    directory = tmp_path_factory.mktemp("stacks")

    def render(stack: str) -> tuple[dict[str, dict[str, str]], dict[str, str], list[str]]:
        canaries = stand_ins.canary_stack_file(PROJECT_DIR, stack, directory / f"Pulumi.{stack}.yaml")
        _, _, _, settings = load_stack(PROJECT_DIR, stack, directory / f"Pulumi.{stack}.yaml")
        assert settings.secrets and all(v.get_secret_value() == canaries[s][n] for s, values in settings.secrets.items() for n, v in values.items())
        units, configs = {}, {}
        for fleet in settings.fleets:
            args = wiring.fleet_args(settings, fleet, **stand_ins.components(ENDPOINTS), tags={})
            services = [HostService.from_spec(spec) for spec in args["services"]]
            logging = units_module.HostLogging(region="us-east-1", group_prefix=f"/showrunner/{stack}/{fleet}")
            units[fleet] = render_units(services, logging=logging)
            configs[fleet] = render_cloud_config(stack, "us-east-1", services, fleet=fleet, logging=logging)
        return units, configs, [value for values in canaries.values() for value in values.values()]

    return render


def _host_root(tmp_path: Path) -> Path:
    """A filesystem root holding the executables our units call and a docker.service, as the AMI has."""
    root = tmp_path / "root"
    for executable in ("usr/local/sbin/showrunner-disk-guard", "usr/local/sbin/showrunner-fetch-secrets", "usr/bin/docker", "usr/bin/sh"):
        path = root / executable
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("#!/bin/sh\n")
        path.chmod(0o755)
    (root / "bin").symlink_to("usr/bin")
    shutil.copytree("/usr/lib/systemd/system", root / "usr/lib/systemd/system", symlinks=True)
    (root / "usr/lib/systemd/system/docker.service").write_text("[Unit]\nDescription=Docker\n[Service]\nExecStart=/usr/bin/docker\n")
    (root / "etc/systemd/system").mkdir(parents=True)
    return root


def _verify(root: Path, units: dict[str, str]) -> subprocess.CompletedProcess:
    for name, text in units.items():
        (root / "etc/systemd/system" / name).write_text(text)
    paths = [f"/etc/systemd/system/{name}" for name in units]
    env = {**os.environ, "SYSTEMD_LOG_LEVEL": "warning"}
    return subprocess.run(["systemd-analyze", "verify", "--man=no", f"--root={root}", *paths], capture_output=True, text=True, env=env)


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_stack_units_pass_systemd_analyze_verify(linters, stack_hosts, tmp_path, stack):
    units, _, _ = stack_hosts(stack)
    for fleet, fleet_units in units.items():
        root = _host_root(tmp_path / fleet)
        result = _verify(root, fleet_units)
        assert result.returncode == 0 and result.stderr == "", f"fleet {fleet}: {result.stderr}"


def test_systemd_analyze_verify_catches_a_broken_unit(linters, tmp_path):
    """Guards the check above: a unit calling a missing program fails verification."""
    broken = render_service_unit(DJANGO).replace("/usr/local/sbin/showrunner-disk-guard", "/usr/local/sbin/missing-guard")
    result = _verify(_host_root(tmp_path), {"showrunner-django.service": broken})
    assert result.returncode != 0
    assert "missing-guard is not executable" in result.stderr


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_stack_cloud_config_passes_cloud_init_schema(linters, stack_hosts, tmp_path, stack):
    _, configs, canaries = stack_hosts(stack)
    for fleet, text in configs.items():
        path = tmp_path / f"{fleet}.yaml"
        path.write_text(text)
        result = subprocess.run(["cloud-init", "schema", "--config-file", str(path)], capture_output=True, text=True)
        assert result.returncode == 0, f"fleet {fleet}: {result.stdout}{result.stderr}"
        assert not [c for c in canaries if c in text], f"fleet {fleet}: a secret value is in its user data"


def test_cloud_init_schema_catches_a_broken_config(linters, tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text("#cloud-config\nwrite_files: /etc/showrunner/host.env\n")
    result = subprocess.run(["cloud-init", "schema", "--config-file", str(path)], capture_output=True, text=True)
    assert result.returncode != 0


def test_user_data_stays_plain_under_ec2s_limit_and_is_gzipped_over_it():
    small = "#cloud-config\nwrite_files: []\n"
    assert base64.b64decode(cloud_config.user_data_base64(small, "www")).decode() == small
    unit = "[Service]\nExecStart=/usr/bin/docker run --name svc repo/micro@sha256:" + "ab" * 32 + " /micro\n"
    large = "#cloud-config\n" + unit * 400
    assert len(large) > cloud_config.USER_DATA_LIMIT
    payload = base64.b64decode(cloud_config.user_data_base64(large, "micro"))
    assert len(payload) <= cloud_config.USER_DATA_LIMIT
    assert gzip.decompress(payload).decode() == large
    assert cloud_config.user_data_base64(large, "micro") == cloud_config.user_data_base64(large, "micro"), "no timestamp in the gzip header"


def test_user_data_too_large_even_gzipped_is_refused_naming_the_fleet():
    noise = "#cloud-config\n" + os.urandom(20000).hex()
    with pytest.raises(units.HostRenderError, match=r'^fleet "micro": user data is \d+ bytes even gzipped; EC2 allows 16384\. Move some services to another fleet$'):
        cloud_config.user_data_base64(noise, "micro")
