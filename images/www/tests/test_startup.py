"""How the image starts, and how it refuses to start: the 2015 failed-start messages.

The long-running entry points (entry_points.py) are started by conftest.py as the session
begins, so they come up while the other tests are collected and run; the tests here check them.
"""

import json
import subprocess
import sys
import urllib.error
import urllib.request

from entry_points import APP, environ

MESSAGE = "The SECRET_KEY setting must not be empty"


def _run(command: list[str], **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(command, cwd=APP, env=environ(**env), capture_output=True, text=True, timeout=60)


def _request(port: int, path: str, method: str = "GET", host: str = "localhost") -> tuple[int, bytes]:
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", method=method, headers={"Host": host})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def test_start_django_refuses_an_empty_secret_key_with_one_line():
    result = _run([str(APP / "bin" / "start-django")], SECRET_KEY="")
    assert result.returncode == 78
    assert result.stderr.count("\n") == 1
    assert MESSAGE in result.stderr


def test_settings_refuse_an_empty_secret_key_for_every_entry_point():
    result = _run([sys.executable, "-c", "import django; django.setup()"], DJANGO_SETTINGS_MODULE="www.settings", SECRET_KEY="")
    assert result.returncode != 0
    assert f"ImproperlyConfigured: {MESSAGE}" in result.stderr


def test_in_a_stack_start_django_serves_healthz_while_the_database_and_cache_are_down(entry_points):
    """With DATABASE_HOST, gunicorn serves at once (migrations are a deploy step); /healthz touches
    no store, so a database failover does not take every target out of the load balancer."""
    site = entry_points["site"]
    status, body = site.wait_for(lambda: _request(site.port, "/healthz", host="10.0.0.5"))
    # /healthz imports the WSGI entry point gunicorn serves.
    assert (status, json.loads(body)) == (200, {"status": "ok", "environ": "DEV", "wsgi": "www.wsgi.application"})
    assert _request(site.port, "/api/shows/")[0] == 500  # MySQL refuses
    assert _request(site.port, "/api/shows/pitch-side/")[0] == 500  # so does Redis, read first
    assert not site.database.exists(), "start-django migrated SQLite although DATABASE_HOST is set"
    # start-django execs gunicorn, so the container's stop signal reaches it.
    assert site.stop() == 0, site.output()[-2000:]


def test_celery_worker_starts_with_no_broker_configured_and_loads_its_tasks(entry_points):
    worker = entry_points["worker"]
    worker.wait_for(lambda: "ready." in worker.output())
    banner = worker.output()
    assert "transport:   memory://" in banner, banner
    assert "shows.tasks.count_plays" in banner and "shows.tasks.count_episodes" in banner, banner
