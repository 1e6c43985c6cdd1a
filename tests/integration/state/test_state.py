"""The www image on real state: MariaDB (the RDS MySQL stand-in) and Redis processes on 127.0.0.1.

`make integration-state` builds the images with tools/build-images first; this module starts its
own MariaDB and Redis with tools/local-db (on free ports, in a temporary directory, so a
developer's `make local-db` is never touched), runs www's migrations and fixtures in the image,
sends a play through the site, and has the image's Celery worker tally it from the Redis broker.
Containers share the host's network, so 127.0.0.1 in them is the host's loopback, as
`DATABASE_HOST=127.0.0.1` locally means.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

PROJECT_DIR = Path(__file__).resolve().parents[3]
LOCAL_DB = PROJECT_DIR / "tools" / "local-db"
IMAGE = "showrunner/www:local"
CACHED_SHOW = "www:1:show:pitch-side"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _run(*command: str, env: dict | None = None, check: bool = True, timeout: int = 180) -> subprocess.CompletedProcess:
    result = subprocess.run(command, capture_output=True, text=True, timeout=timeout, env={**os.environ, **(env or {})})
    if check and result.returncode != 0:
        raise AssertionError(f"{' '.join(command[:4])} … exited {result.returncode}: {result.stderr.strip()[-2000:]}")
    return result


class LocalState:
    def __init__(self, directory: Path):
        self.mysql_port = _free_port()
        self.redis_port = _free_port()
        self.env = {
            "LOCAL_DB_DIR": str(directory),
            "LOCAL_DB_MYSQL_PORT": str(self.mysql_port),
            "LOCAL_DB_REDIS_PORT": str(self.redis_port),
        }

    def local_db(self, step: str) -> subprocess.CompletedProcess:
        return _run(str(LOCAL_DB), step, env=self.env)

    def www_env(self) -> dict[str, str]:
        """The variables a host renders for `uses: [mysql, cache, queues]`, set by hand for local state."""
        return {
            "SECRET_KEY": "integration-" + "k" * 40,
            "DATABASE_HOST": "127.0.0.1",
            "DATABASE_PORT": str(self.mysql_port),
            "DATABASE_NAME": "showrunner",
            "DATABASE_USER": "showrunner",
            "DATABASE_PASSWORD": "local-only",
            "DATABASE_TLS": "disabled",
            "CACHE_URL": f"redis://127.0.0.1:{self.redis_port}/0",
            "CELERY_BROKER_URL": f"redis://127.0.0.1:{self.redis_port}/1",
        }

    def sql(self, query: str, user: str = "showrunner", password: str = "local-only", check: bool = True) -> list[list[str]] | subprocess.CompletedProcess:
        result = _run(
            "mariadb", "--no-defaults", "--host=127.0.0.1", f"--port={self.mysql_port}", f"--user={user}",
            f"--password={password}", "--batch", "--skip-column-names", "showrunner", "--execute", query, check=check,
        )
        return [line.split("\t") for line in result.stdout.splitlines()] if check else result

    def redis(self, *command: str, db: int = 0) -> str:
        return _run("redis-cli", "-h", "127.0.0.1", "-p", str(self.redis_port), "-n", str(db), *command).stdout.strip()


@pytest.fixture(scope="module")
def state(tmp_path_factory):
    local = LocalState(tmp_path_factory.mktemp("local-db"))
    local.local_db("start")
    yield local
    local.local_db("stop")


@pytest.fixture(scope="module")
def image() -> str:
    assert _run("docker", "image", "inspect", IMAGE, check=False).returncode == 0, f"{IMAGE} is missing: run `make images`"
    return IMAGE


def www(image: str, env: dict[str, str], *command: str, detach: bool = False, check: bool = True, volumes: tuple[str, ...] = ()) -> subprocess.CompletedProcess:
    arguments = ["docker", "run", "--network", "host", "-d" if detach else "--rm"]
    for name, value in env.items():
        arguments += ["-e", f"{name}={value}"]
    for volume in volumes:
        arguments += ["--volume", volume]
    return _run(*arguments, image, *command, check=check)


@pytest.fixture
def containers():
    started: list[str] = []
    yield started
    for container in started:
        _run("docker", "rm", "-f", container, check=False)


def logs(container: str) -> str:
    result = _run("docker", "logs", container, check=False)
    return result.stdout + result.stderr


def request(method: str, url: str, deadline: float = 30.0) -> tuple[int, dict, dict]:
    stop = time.monotonic() + deadline
    while True:
        try:
            with urllib.request.urlopen(urllib.request.Request(url, method=method, data=b"" if method == "POST" else None), timeout=5) as response:
                return response.status, dict(response.headers), json.loads(response.read())
        except urllib.error.HTTPError as error:
            return error.code, dict(error.headers), json.loads(error.read())
        except OSError:
            if time.monotonic() > stop:
                raise
            time.sleep(0.3)


def test_migrations_and_fixtures_run_in_the_image_against_mysql(state, image):
    www(image, state.www_env(), "django-admin", "migrate", "--noinput")
    www(image, state.www_env(), "django-admin", "loaddata", "catalogue")
    tables = {row[0] for row in state.sql("SHOW TABLES")}
    assert {"django_migrations", "shows_show", "shows_play"} <= tables
    assert state.sql("SELECT slug, episodes, play_count FROM shows_show ORDER BY slug") == [
        ["night-desk", "212", "0"], ["pitch-side", "48", "0"], ["small-kitchens", "36", "0"],
    ]
    # Nothing left to apply: the image's migrations are exactly its models.
    www(image, state.www_env(), "django-admin", "migrate", "--check")


def test_a_play_goes_through_mysql_and_redis_and_the_worker_tallies_it(state, image, containers):
    state.redis("FLUSHALL")
    state.sql("DELETE FROM shows_play; UPDATE shows_show SET play_count = 0")
    port = _free_port()
    site = www(image, {**state.www_env(), "PORT": str(port), "GUNICORN_WORKERS": "1"}, detach=True).stdout.strip()
    containers.append(site)

    status, headers, body = request("POST", f"http://127.0.0.1:{port}/api/shows/pitch-side/plays/")
    assert status == 201, logs(site)
    assert headers["X-Cache"] == "miss" and body["show"] == "pitch-side"
    # The one request read the show from MySQL into Redis and wrote the play to MySQL ...
    assert state.sql("SELECT id, show_id FROM shows_play") == [[str(body["play"]), "2"]]
    assert state.redis("EXISTS", CACHED_SHOW) == "1"
    # ... and queued the tally on the Redis broker, where it waits for a worker.
    assert state.redis("LLEN", "celery", db=1) == "1"
    status, headers, body = request("GET", f"http://127.0.0.1:{port}/api/shows/pitch-side/")
    assert (status, headers["X-Cache"], body["plays"]) == (200, "hit", 0)

    worker = www(image, state.www_env(), "celery", "-A", "www", "worker", "--loglevel=INFO", "--concurrency=1", detach=True).stdout.strip()
    containers.append(worker)
    deadline = time.monotonic() + 90
    while "succeeded" not in logs(worker):
        assert time.monotonic() < deadline, logs(worker)
        time.sleep(0.5)
    worker_log = logs(worker)
    assert "Task shows.tasks.count_plays[" in worker_log and "succeeded in" in worker_log and ": 1\n" in worker_log, worker_log
    assert state.sql("SELECT play_count FROM shows_show WHERE slug = 'pitch-side'") == [["1"]]
    assert state.redis("EXISTS", CACHED_SHOW) == "0"
    status, headers, body = request("GET", f"http://127.0.0.1:{port}/api/shows/pitch-side/")
    assert (status, headers["X-Cache"], body["plays"]) == (200, "miss", 1)


def test_tls_required_refuses_a_server_without_tls(state, image):
    result = www(image, {**state.www_env(), "DATABASE_TLS": "required"}, "django-admin", "migrate", "--check", check=False)
    assert result.returncode != 0
    assert "SSL is required but the server doesn't support it" in result.stderr, result.stderr[-2000:]


APP_USER = "showrunner_app"
CREDENTIALS = "/run/secrets/showrunner"
"""Where a fleet host mounts a service's credential files (`showrunner_components.fleet.units`)."""
WRITER_DELAY_SECONDS = 2.0
"""How long after the password changed the host's writer replaces the file: the gap the site must ride out."""
ROTATION_TARGET_S = 5.0


def _write_credential(directory: Path, password: str) -> None:
    """As the host's fetcher does: a new file renamed over the old one, readable by the container's user."""
    temporary = directory / ".DATABASE_PASSWORD.tmp"
    temporary.write_text(password)
    temporary.chmod(0o644)
    os.replace(temporary, directory / "DATABASE_PASSWORD")


def _error_seconds(samples: list[tuple[float, int]]) -> float:
    """How long the site answered with errors: from each failed request's start to the start of the
    next request that succeeded (or the last one), summed."""
    total, opened, last = 0.0, None, None
    for started, code in sorted(samples):
        if code != 200 and opened is None:
            opened = started
        elif code == 200 and opened is not None:
            total, opened = total + started - opened, None
        last = started
    return total + (last - opened if opened is not None else 0.0)


def test_the_site_rides_out_a_password_rotation_as_the_application_user_without_a_restart(state, image, containers, tmp_path):
    """The worst case of a rotation: the old password stops working at once (MySQL's single-user
    rotation), the file follows WRITER_DELAY_SECONDS later. Every request opens a new connection
    (DATABASE_CONN_MAX_AGE=0), so each one goes through the credential. On a fleet host the file is
    the application user's IAM token, whose predecessor stays valid for 15 minutes: no gap at all."""
    master = state.www_env()
    www(image, master, "django-admin", "migrate", "--noinput")
    secrets = tmp_path / "credentials"
    secrets.mkdir(mode=0o755)
    secrets.chmod(0o755)
    _write_credential(secrets, "first-app-password")
    # The deploy step: the master creates the application user, with the rows' privileges only.
    created = www(image, master, "django-admin", "create_app_user", APP_USER, "--password-file", f"{CREDENTIALS}/DATABASE_PASSWORD",
                  volumes=(f"{secrets}:{CREDENTIALS}:ro",))
    assert f"create_app_user: {APP_USER} may select, insert, update, delete rows of showrunner" in created.stdout
    denied = state.sql("CREATE TABLE intruder (id INT)", user=APP_USER, password="first-app-password", check=False)
    assert denied.returncode != 0 and "CREATE command denied" in denied.stderr, "the application user cannot change the schema"

    port = _free_port()
    env = {key: value for key, value in master.items() if key != "DATABASE_PASSWORD"}
    env.update(DATABASE_USER=APP_USER, DATABASE_PASSWORD_FILE=f"{CREDENTIALS}/DATABASE_PASSWORD", DATABASE_CONN_MAX_AGE="0",
               PORT=str(port), GUNICORN_WORKERS="2")
    site = www(image, env, detach=True, volumes=(f"{secrets}:{CREDENTIALS}:ro",)).stdout.strip()
    containers.append(site)
    status, _, body = request("GET", f"http://127.0.0.1:{port}/readyz")
    assert (status, body) == (200, {"status": "ready", "checks": {"database": "ok", "cache": "ok"}}), logs(site)
    before = _run("docker", "inspect", "--format", "{{.State.StartedAt}} {{.State.Pid}} {{.RestartCount}}", site).stdout.strip()

    samples: list[tuple[float, int]] = []
    readiness: list[int] = []
    stop = threading.Event()

    def load() -> None:
        while not stop.is_set():
            started = time.monotonic()
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/shows/", timeout=5) as response:
                    samples.append((started, response.status))
            except urllib.error.HTTPError as error:
                samples.append((started, error.code))
            except OSError:
                samples.append((started, 0))
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=5) as response:
                    readiness.append(response.status)
            except urllib.error.HTTPError as error:
                readiness.append(error.code)
            except OSError:
                readiness.append(0)
            time.sleep(0.05)

    threads = [threading.Thread(target=load, daemon=True) for _ in range(2)]
    for thread in threads:
        thread.start()
    try:
        time.sleep(2)
        rotated = time.monotonic()
        state.sql(f"ALTER USER '{APP_USER}'@'%' IDENTIFIED BY 'second-app-password'")
        time.sleep(WRITER_DELAY_SECONDS)
        _write_credential(secrets, "second-app-password")
        time.sleep(8)
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=10)

    failed = [at for at, code in samples if code != 200]
    error_seconds = _error_seconds(samples)
    after_rotation = [code for at, code in samples if at >= rotated]
    print(f"rotation-errors-s: {error_seconds:.1f} ({len(failed)} of {len(samples)} requests failed; the file followed the "
          f"password by {WRITER_DELAY_SECONDS:.1f} s; readiness said 503 {readiness.count(503)} times)")
    assert samples and after_rotation, "the load ran through the rotation"
    assert error_seconds <= ROTATION_TARGET_S, logs(site)[-3000:]
    assert all(code == 200 for at, code in samples if at >= rotated + WRITER_DELAY_SECONDS + 2), "recovered, and stayed so"
    assert readiness[-5:] == [200] * 5
    # Recovered in place: the same container and process, never restarted.
    after = _run("docker", "inspect", "--format", "{{.State.StartedAt}} {{.State.Pid}} {{.RestartCount}}", site).stdout.strip()
    assert after == before
    # The site connects as the application user; the master is not in its environment at all.
    environment = _run("docker", "inspect", "--format", "{{json .Config.Env}}", site).stdout
    assert f"DATABASE_USER={APP_USER}" in environment and "local-only" not in environment
