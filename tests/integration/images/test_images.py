"""The image pipeline on a real Docker engine: what `make images-push` produced, pulled by digest and run.

`make integration-images` runs `tools/build-images push` first (stand-in upstreams, host-built
wheelhouses, every image of `showrunner:images` after its parent, a test stage before its release:
base → www test stage → www → micro; the images a service runs pushed to the local registry);
these tests take its digests, pull them, run them and break them.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from showrunner.scripts import load_script

PROJECT_DIR = Path(__file__).resolve().parents[3]
DIGESTS_FILE = PROJECT_DIR / ".cache/images/digests.json"
SECRET_MESSAGE = "The SECRET_KEY setting must not be empty"


build_images = load_script(PROJECT_DIR / "tools" / "build-images", "build_images")


def docker(*args: str, check: bool = True, timeout: int = 120) -> subprocess.CompletedProcess:
    result = subprocess.run(["docker", *args], capture_output=True, text=True, timeout=timeout)
    if check and result.returncode != 0:
        raise AssertionError(f"docker {' '.join(args)} failed: {result.stderr.strip()}")
    return result


@pytest.fixture(scope="module")
def digests() -> dict[str, str]:
    assert DIGESTS_FILE.is_file(), f"{DIGESTS_FILE} is missing: run `make images-push` (make integration-images does)"
    return json.loads(DIGESTS_FILE.read_text())


def _get(url: str, host: str | None = None, deadline: float = 30.0) -> tuple[int, bytes]:
    request = urllib.request.Request(url, headers={"Host": host} if host else {})
    stop = time.monotonic() + deadline
    while True:
        try:
            with urllib.request.urlopen(request, timeout=3) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()
        except OSError:
            if time.monotonic() > stop:
                raise
            time.sleep(0.3)


class Container:
    def __init__(self, image: str, *args: str, env: dict[str, str] | None = None, port: int | None = None):
        command = ["run", "-d"]
        for name, value in (env or {}).items():
            command += ["-e", f"{name}={value}"]
        if port:
            command += ["-p", f"127.0.0.1::{port}"]
        self.id = docker(*command, image, *args).stdout.strip()
        self.port = int(docker("port", self.id, str(port)).stdout.split(":")[-1]) if port else None

    def logs(self) -> str:
        result = docker("logs", self.id)
        return result.stdout + result.stderr

    def remove(self) -> None:
        docker("rm", "-f", self.id, check=False)


@pytest.fixture
def containers():
    started: list[Container] = []

    def start(*args, **kwargs) -> Container:
        started.append(Container(*args, **kwargs))
        return started[-1]

    yield start
    for container in started:
        container.remove()


def test_digests_are_local_registry_references(digests):
    assert sorted(digests) == sorted(build_images.configured().run) and {"micro", "www"} <= set(digests)
    for name, reference in digests.items():
        assert re.fullmatch(rf"127\.0\.0\.1:5000/showrunner/{name}@sha256:[0-9a-f]{{64}}", reference), reference


def test_pull_by_digest_from_the_registry(digests):
    for reference in digests.values():
        pulled = docker("pull", reference)
        assert "sha256:" + reference.split("@sha256:")[1] in pulled.stdout


def test_www_serves_health_and_pages_from_its_digest(digests, containers):
    www = containers(digests["www"], env={"SECRET_KEY": "integration-" + "k" * 40}, port=8000)
    status, body = _get(f"http://127.0.0.1:{www.port}/healthz", host="10.0.0.5")
    assert status == 200, www.logs()
    assert json.loads(body) == {"status": "ok", "environ": "DEV", "wsgi": "www.wsgi.application"}
    status, body = _get(f"http://127.0.0.1:{www.port}/api/shows/pitch-side/", host="localhost")
    assert (status, json.loads(body)["title"]) == (200, "Pitch Side")
    assert docker("inspect", "--format", "{{.Config.User}}", digests["www"]).stdout.strip() == "www"


def test_www_refuses_to_start_with_an_empty_secret_key(digests):
    result = docker("run", "--rm", "-e", "SECRET_KEY=", digests["www"], check=False)
    assert result.returncode == 78
    assert result.stderr.count("\n") == 1 and SECRET_MESSAGE in result.stderr, result.stderr


def test_celery_worker_starts_in_the_www_image(digests, containers):
    worker = containers(digests["www"], "celery", "-A", "www", "worker", "--loglevel=INFO", env={"SECRET_KEY": "k" * 50})
    deadline = time.monotonic() + 60
    while "ready." not in worker.logs():
        assert time.monotonic() < deadline, worker.logs()
        assert docker("inspect", "--format", "{{.State.Running}}", worker.id).stdout.strip() == "true", worker.logs()
        time.sleep(0.5)
    assert "shows.tasks.count_episodes" in worker.logs()


def test_micro_serves_and_stops_gracefully_on_sigterm(digests, containers):
    micro = containers(digests["micro"], env={"PORT": "9090"}, port=9090)
    status, body = _get(f"http://127.0.0.1:{micro.port}/healthz")
    assert (status, json.loads(body)) == (200, {"status": "ok"})
    status, body = _get(f"http://127.0.0.1:{micro.port}/api/catalog/channels/news")
    assert (status, json.loads(body)) == (200, {"id": "news", "name": "Newsroom 24", "genre": "news"})
    docker("stop", "--time", "10", micro.id)
    state = docker("inspect", "--format", "{{.State.ExitCode}}", micro.id).stdout.strip()
    assert state == "0", micro.logs()
    assert "micro: stopped cleanly" in micro.logs()


def test_micro_is_scratch_non_root_with_ca_certificates(digests, tmp_path):
    config = json.loads(docker("inspect", "--format", "{{json .Config}}", digests["micro"]).stdout)
    assert config["User"] == "65532:65532"
    assert config["Cmd"] == ["/micro"]
    created = docker("create", digests["micro"]).stdout.strip()
    try:
        docker("cp", f"{created}:/etc/ssl/certs/ca-certificates.crt", str(tmp_path / "ca.crt"))
        docker("export", "--output", str(tmp_path / "rootfs.tar"), created)
    finally:
        docker("rm", created, check=False)
    assert (tmp_path / "ca.crt").read_text().count("BEGIN CERTIFICATE") > 100
    listing = subprocess.run(["tar", "-tf", str(tmp_path / "rootfs.tar")], capture_output=True, text=True, check=True).stdout.split()
    assert not any(entry.startswith(("bin/", "usr/")) for entry in listing), "a shell or OS layer leaked into the scratch image"


def test_a_failing_django_test_stops_the_pipeline_before_a_release_image_exists(tmp_path, capsys):
    context = tmp_path / "www"
    shutil.copytree(PROJECT_DIR / "images" / "www", context)
    (context / "tests" / "test_regression.py").write_text(
        "def test_a_regression():\n    assert 1 + 1 == 3, 'a broken change'\n"
    )
    tag = "showrunner/www-failing:integration"
    docker("rmi", "-f", tag, tag.replace("/www-failing:", "/www-failing-test:"), check=False)
    with pytest.raises(build_images.BuildError):
        build_images.build_image("www", context=str(context), tag=tag)
    build_log = capsys.readouterr().err
    assert "AssertionError: a broken change" in build_log and "1 failed" in build_log, build_log[-2000:]
    for image in (tag, tag.replace("/www-failing:", "/www-failing-test:")):
        assert docker("image", "inspect", image, check=False).returncode != 0, f"{image} exists after a failed test stage"
