"""How the image starts, and how it refuses to start: the 2015 failed-start messages.

The entry points run here as a host runs them, each in its own processes (what they import is
also bytecode the release image keeps: images/www/bytecode.py).
"""

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

APP = Path(__file__).resolve().parents[1]
MESSAGE = "The SECRET_KEY setting must not be empty"
KEY = "k" * 50
CELERY = str(Path(sys.executable).parent / "celery")
# What the release image's environment sets (ENV in the Dockerfile).
IMAGE_ENV = {"PYTHONPATH": str(APP), "DJANGO_SETTINGS_MODULE": "www.settings", "SECRET_KEY": KEY}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _stack_env(down: int) -> dict[str, str]:
    """The variables a host renders for `uses: [mysql, cache, queues]`, with MySQL and Redis down
    (port `down` on the loopback refuses connections)."""
    return {
        "DATABASE_HOST": "127.0.0.1",
        "DATABASE_PORT": str(down),
        "DATABASE_NAME": "showrunner",
        "DATABASE_USER": "showrunner",
        "DATABASE_TLS": "disabled",
        "CACHE_URL": f"redis://127.0.0.1:{down}/0",
        "CELERY_BROKER_URL": "sqs://",
        "CELERY_PREDEFINED_QUEUES": json.dumps({"celery": {"url": "https://sqs.eu-west-1.amazonaws.com/123456789012/prod-celery"}}),
    }


def _environ(**env: str) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if k not in ("DJANGO_TEST", "SECRET_KEY")}
    return {**clean, **env}


def _run(command: list[str], **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(command, cwd=APP, env=_environ(**env), capture_output=True, text=True, timeout=60)


def _request(port: int, path: str, method: str = "GET", host: str = "localhost") -> tuple[int, bytes]:
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", method=method, headers={"Host": host})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


class Started:
    """A process started in its own session, its output in a file."""

    def __init__(self, name: str, command: list[str], log: Path, cwd: Path = APP, **env: str):
        self.name, self.log = name, log
        with log.open("w") as output:
            self.process = subprocess.Popen(
                command, cwd=cwd, env=_environ(**env), stdout=output, stderr=subprocess.STDOUT, start_new_session=True
            )

    def output(self) -> str:
        return self.log.read_text()

    def wait_for(self, ready, timeout: float = 60.0):
        deadline = time.monotonic() + timeout
        while True:
            try:
                result = ready()
            except OSError:
                result = None
            if result:
                return result
            assert self.process.poll() is None, f"{self.name} exited {self.process.returncode}: {self.output()[-2000:]}"
            assert time.monotonic() < deadline, f"{self.name} not ready after {timeout:.0f} s: {self.output()[-2000:]}"
            time.sleep(0.1)

    def stop(self, sig: int = signal.SIGTERM) -> int:
        if self.process.poll() is None:
            os.killpg(self.process.pid, sig)
        return self.process.wait(timeout=30)


@pytest.fixture(scope="module")
def started(tmp_path_factory):
    """The image's long-running entry points, started together: each takes a second to come up."""
    directory = tmp_path_factory.mktemp("entry-points")
    port, down = _free_port(), _free_port()
    while down == port:
        down = _free_port()
    processes = {
        "site": Started(
            "start-django", [str(APP / "bin" / "start-django")], directory / "start-django.log", cwd=Path("/"),
            **IMAGE_ENV, **_stack_env(down), PORT=str(port), DJANGO_DB_PATH=str(directory / "www.sqlite3"),
        ),
        "worker": Started(
            "celery worker", [CELERY, "-A", "www", "worker", "--loglevel=INFO", "--concurrency=1"], directory / "worker.log",
            **IMAGE_ENV,
        ),
    }
    processes["site"].port = port
    processes["site"].database = directory / "www.sqlite3"
    yield processes
    for process in processes.values():
        process.stop(signal.SIGKILL)


def test_start_django_refuses_an_empty_secret_key_with_one_line():
    result = _run([str(APP / "bin" / "start-django")], SECRET_KEY="")
    assert result.returncode == 78
    assert result.stderr.count("\n") == 1
    assert MESSAGE in result.stderr


def test_settings_refuse_an_empty_secret_key_for_every_entry_point():
    result = _run([sys.executable, "-c", "import django; django.setup()"], DJANGO_SETTINGS_MODULE="www.settings", SECRET_KEY="")
    assert result.returncode != 0
    assert f"ImproperlyConfigured: {MESSAGE}" in result.stderr


def test_in_a_stack_start_django_serves_healthz_while_the_database_and_cache_are_down(started):
    """With DATABASE_HOST, gunicorn serves at once (migrations are a deploy step); /healthz touches
    no store, so a database failover does not take every target out of the load balancer."""
    site = started["site"]
    status, body = site.wait_for(lambda: _request(site.port, "/healthz", host="10.0.0.5"))
    # /healthz imports the WSGI entry point gunicorn serves.
    assert (status, json.loads(body)) == (200, {"status": "ok", "environ": "DEV", "wsgi": "www.wsgi.application"})
    assert _request(site.port, "/api/shows/")[0] == 500  # MySQL refuses
    assert _request(site.port, "/api/shows/pitch-side/")[0] == 500  # so does Redis, read first
    assert not site.database.exists(), "start-django migrated SQLite although DATABASE_HOST is set"
    # start-django execs gunicorn, so the container's stop signal reaches it.
    assert site.stop() == 0, site.output()[-2000:]


def test_celery_worker_starts_with_no_broker_configured_and_loads_its_tasks(started):
    worker = started["worker"]
    worker.wait_for(lambda: "ready." in worker.output())
    banner = worker.output()
    assert "transport:   memory://" in banner, banner
    assert "shows.tasks.count_plays" in banner and "shows.tasks.count_episodes" in banner, banner
