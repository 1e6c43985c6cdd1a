"""tools/ensure-packages: installs what is missing as root, and otherwise says what to install."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.conftest import PROJECT_DIR

TOOL = PROJECT_DIR / "tools" / "ensure-packages"


@pytest.fixture
def stubs(tmp_path):
    """`id` and `apt-get` stand-ins on PATH: the user id to report, and a log of apt-get's calls."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    log = tmp_path / "apt-get.log"
    (bin_dir / "apt-get").write_text(f'#!/bin/sh\necho "$DEBIAN_FRONTEND $*" >> {log}\n')
    (bin_dir / "apt-get").chmod(0o755)

    def run(uid: int, *args: str) -> subprocess.CompletedProcess:
        (bin_dir / "id").write_text(f"#!/bin/sh\necho {uid}\n")
        (bin_dir / "id").chmod(0o755)
        env = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}"}
        env.pop("DEBIAN_FRONTEND", None)
        return subprocess.run([str(TOOL), *args], capture_output=True, text=True, env=env, check=False)

    run.log = log
    return run


def test_not_root_says_what_to_install_and_fails(stubs):
    result = stubs(1000, "--no-install-recommends", "host-linters", "sh=dash", "no-such-linter-1=pkg-one", "no-such-linter-2=pkg-two")
    assert (result.returncode, result.stderr) == (
        1, "host-linters: missing pkg-one pkg-two; install them: sudo apt-get install --no-install-recommends pkg-one pkg-two\n")
    assert not stubs.log.exists()


def test_the_caller_may_say_why_it_needs_one(stubs):
    result = stubs(1000, "--needs", "building pycurl from source needs", "build-images", "no-such-config=libcurl4-openssl-dev")
    assert result.stderr == (
        "build-images: building pycurl from source needs libcurl4-openssl-dev; install it: sudo apt-get install libcurl4-openssl-dev\n")


def test_root_installs_only_what_is_missing(stubs, tmp_path):
    present = tmp_path / "present"
    present.write_text("")
    present.chmod(0o755)
    result = stubs(0, "docker-up", f"{present}=already-there", "no-such-daemon=docker.io", "/no/such/tool=docker.io")
    assert (result.returncode, result.stderr) == (0, "docker-up: installing docker.io\n")
    assert stubs.log.read_text().splitlines() == [" update -qq", "noninteractive install -y -qq docker.io"]


def test_nothing_missing_is_silent(stubs):
    result = stubs(1000, "docker-up", "sh=dash")
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


@pytest.mark.parametrize("args", [["docker-up"], ["docker-up", "dockerd"], ["--bogus", "x", "a=b"]])
def test_bad_arguments_are_refused(stubs, args):
    result = stubs(0, *args)
    assert result.returncode == 2 and result.stderr.count("\n") == 1, result.stderr
    assert not stubs.log.exists()


def test_it_is_the_only_host_tool_that_decides_to_install():
    places = [*sorted((PROJECT_DIR / "tools").iterdir()), PROJECT_DIR / "Makefile", *sorted((PROJECT_DIR / "mk").glob("*.mk"))]
    for path in (p for p in places if p.is_file() and p.name != "ensure-packages"):
        text = path.read_text(errors="replace")
        assert "apt-get install -y" not in text and "geteuid" not in text and '"$(id -u)"' not in text, path
    for user in ("docker-up", "host-linters", "local-db", "build-images", "lint-shell"):
        assert "ensure-packages" in (PROJECT_DIR / "tools" / user).read_text(), user
