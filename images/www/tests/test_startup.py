"""How the image starts, and how it refuses to start: the 2015 failed-start messages."""

import os
import subprocess
import sys
from pathlib import Path

APP = Path(__file__).resolve().parents[1]
MESSAGE = "The SECRET_KEY setting must not be empty"


def _run(command: list[str], **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in ("DJANGO_TEST", "SECRET_KEY")}
    return subprocess.run(command, cwd=APP, env={**clean, **env}, capture_output=True, text=True, timeout=60)


def test_start_django_refuses_an_empty_secret_key_with_one_line():
    result = _run([str(APP / "bin" / "start-django")], SECRET_KEY="")
    assert result.returncode == 78
    assert result.stderr.count("\n") == 1
    assert MESSAGE in result.stderr


def test_settings_refuse_an_empty_secret_key_for_every_entry_point():
    result = _run([sys.executable, "-c", "import django; django.setup()"], DJANGO_SETTINGS_MODULE="www.settings", SECRET_KEY="")
    assert result.returncode != 0
    assert f"ImproperlyConfigured: {MESSAGE}" in result.stderr


def test_wsgi_entry_point_imports_with_a_key():
    result = _run(
        [sys.executable, "-c", "import www.wsgi; print(callable(www.wsgi.application))"],
        DJANGO_SETTINGS_MODULE="www.settings",
        SECRET_KEY="k" * 50,
    )
    assert (result.returncode, result.stdout) == (0, "True\n"), result.stderr


def test_celery_app_loads_its_tasks():
    result = _run(
        [sys.executable, "-m", "celery", "-A", "www", "inspect", "--help"],
        SECRET_KEY="k" * 50,
    )
    assert result.returncode == 0, result.stderr
    result = _run(
        [sys.executable, "-c", "import django; django.setup(); from www import celery_app; celery_app.loader.import_default_modules(); print(sorted(t for t in celery_app.tasks if t.startswith('shows.')))"],
        DJANGO_SETTINGS_MODULE="www.settings",
        SECRET_KEY="k" * 50,
    )
    assert (result.returncode, result.stdout) == (0, "['shows.tasks.count_episodes', 'shows.tasks.count_plays']\n"), result.stderr


def test_celery_on_sqs_loads_the_sqs_transport_and_its_model():
    """kombu[sqs] (boto3, pycurl) is installed, and pruning botocore kept the SQS model it needs."""
    queues = '{"celery": {"url": "https://sqs.eu-west-1.amazonaws.com/123456789012/prod-celery"}}'
    program = (
        "import django; django.setup()\n"
        "from www import celery_app\n"
        "import boto3, pycurl\n"
        "connection = celery_app.connection_for_write()\n"
        "print(type(connection.transport).__module__)\n"
        "print(connection.transport_options['predefined_queues']['celery']['url'])\n"
        "client = boto3.session.Session().client('sqs', region_name='eu-west-1', aws_access_key_id='x', aws_secret_access_key='y')\n"
        "print(client.meta.service_model.service_name, client.meta.region_name)\n"
    )
    result = _run(
        [sys.executable, "-c", program],
        DJANGO_SETTINGS_MODULE="www.settings",
        SECRET_KEY="k" * 50,
        CELERY_BROKER_URL="sqs://",
        CELERY_PREDEFINED_QUEUES=queues,
    )
    assert (result.returncode, result.stdout.splitlines()) == (
        0,
        ["kombu.transport.SQS", "https://sqs.eu-west-1.amazonaws.com/123456789012/prod-celery", "sqs eu-west-1"],
    ), result.stderr


def test_a_bad_state_variable_stops_every_entry_point_with_one_line():
    result = _run(
        [sys.executable, "-c", "import django; django.setup()"],
        DJANGO_SETTINGS_MODULE="www.settings",
        SECRET_KEY="k" * 50,
        DATABASE_HOST="db.internal",
        DATABASE_NAME="showrunner",
        DATABASE_USER="showrunner",
        DATABASE_TLS="off",
    )
    assert result.returncode != 0
    assert "ImproperlyConfigured: DATABASE_TLS: 'off' is not one of required, disabled" in result.stderr
