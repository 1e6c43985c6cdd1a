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

