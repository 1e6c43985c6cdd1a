"""The golden-image stand-in, booted with systemd as PID 1: the documents' test phase passes in it,
and it has what the fleet's hosts rely on.

`make integration-golden` builds the image first (`make golden-image`). A missing Docker engine or
image is a failure here, never a skip: CI must have built it.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from showrunner.golden import GOLDEN_DIR, GOLDEN_DOCUMENTS as DOCUMENTS

ROOT = Path(__file__).resolve().parents[3]
IMAGE = "showrunner/golden:bookworm"
# The SSM agent comes from AWS's bucket in a real build; it is not in the stand-in.
TEST_PHASE_SKIPS = ("SsmAgentRunning",)
# The flags that run systemd as PID 1 on these machines (--privileged fails here).
SYSTEMD_FLAGS = [
    "--cap-add", "SYS_ADMIN",
    "--security-opt", "seccomp=unconfined",
    "--tmpfs", "/run", "--tmpfs", "/run/lock",
    "-v", "/sys/fs/cgroup:/sys/fs/cgroup:rw",
]


def _sh(container: str, script: str, check: bool = True) -> subprocess.CompletedProcess:
    result = subprocess.run(["docker", "exec", container, "bash", "-c", script], capture_output=True, text=True, timeout=120)
    if check:
        assert result.returncode == 0, f"{script!r} exited {result.returncode}: {result.stderr}"
    return result


@pytest.fixture(scope="module")
def host():
    """A fresh container from the stand-in, booted until systemd reports the system up."""
    subprocess.run(["docker", "image", "inspect", IMAGE], check=True, capture_output=True)
    name = f"showrunner-golden-test-{uuid.uuid4().hex[:8]}"
    subprocess.run(["docker", "run", "-d", "--name", name, *SYSTEMD_FLAGS, IMAGE], check=True, capture_output=True)
    try:
        started = time.monotonic()
        state = ""
        # Right after `docker run`, systemd may not listen on its bus yet: is-system-running prints nothing.
        while time.monotonic() - started < 120 and state in ("", "initializing", "starting"):
            state = _sh(name, "systemctl is-system-running --wait", check=False).stdout.strip()
            if state in ("", "initializing", "starting"):
                time.sleep(0.5)
        print(f"\nboot: {state} after {time.monotonic() - started:.1f}s")
        yield name, state
    finally:
        subprocess.run(["docker", "rm", "-f", name], capture_output=True)


def test_boots_with_no_failed_unit(host):
    name, state = host
    failed = _sh(name, "systemctl --failed --no-legend --plain", check=False).stdout
    assert (state, failed) == ("running", "")


def test_the_documents_test_phase_passes(host):
    name, _ = host
    skips = [arg for step in TEST_PHASE_SKIPS for arg in ("--skip-step", step)]
    documents = [str(GOLDEN_DIR / "components" / f"{key}.yml") for key in DOCUMENTS]
    result = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "run-component"), "--container", name, "--phases", "test",
         "--parameter", "EcrRegistry=123456789012.dkr.ecr.us-east-1.amazonaws.com", *skips, *documents],
        capture_output=True, text=True, timeout=600,
    )
    print(result.stdout)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr
    assert "FAILED" not in result.stdout
    passed = {line.split()[2] for line in result.stdout.splitlines() if line.startswith("  PASS ")}
    assert passed == set(DOCUMENTS), "every document's test phase ran"


def test_has_the_docker_cli(host):
    name, _ = host
    assert _sh(name, "docker --version").stdout.startswith("Docker version 20.10.")


def test_daemon_json_puts_the_data_root_on_the_data_volume(host):
    name, _ = host
    assert json.loads(_sh(name, "cat /etc/docker/daemon.json").stdout) == {
        "data-root": "/mnt/docker",
        "log-driver": "json-file",
        "log-opts": {"max-size": "10m", "max-file": "3"},
        "live-restore": True,
    }


def test_chrony_points_at_the_amazon_time_sync_service(host):
    name, _ = host
    parsed = _sh(name, "chronyd -p -f /etc/chrony/chrony.conf").stdout.splitlines()
    assert [line for line in parsed if line.split(" ", 1)[0] in ("server", "pool", "peer")] == [
        "server 169.254.169.123 prefer iburst minpoll 4 maxpoll 4"
    ]
    assert _sh(name, "systemctl is-enabled chrony.service").stdout.strip() == "enabled"


def test_housekeeping_timers_are_enabled_and_active(host):
    name, _ = host
    timers = "showrunner-prune-containers.timer showrunner-prune-images.timer showrunner-disk-usage.timer"
    assert _sh(name, f"systemctl is-enabled {timers}").stdout.split() == ["enabled"] * 3
    assert _sh(name, f"systemctl is-active {timers}").stdout.split() == ["active"] * 3


def test_cloud_init_is_present_and_enabled(host):
    name, _ = host
    assert "22.4" in _sh(name, "cloud-init --version 2>&1").stdout
    units = "cloud-init-local.service cloud-init.service cloud-config.service cloud-final.service"
    assert _sh(name, f"systemctl is-enabled {units}").stdout.split() == ["enabled"] * 4


def test_host_scripts_are_installed(host):
    name, _ = host
    modes = _sh(name, "stat -c '%a %n' /usr/local/sbin/showrunner-*").stdout.splitlines()
    assert modes == [
        "755 /usr/local/sbin/showrunner-clock-offset",
        "755 /usr/local/sbin/showrunner-disk-guard",
        "755 /usr/local/sbin/showrunner-disk-usage",
        "755 /usr/local/sbin/showrunner-fetch-secrets",
        "755 /usr/local/sbin/showrunner-format-data-volume",
        "755 /usr/local/sbin/showrunner-retry",
    ]


def test_data_volume_and_engine_units_stay_out_of_the_way_in_a_container(host):
    name, _ = host
    units = "showrunner-data-volume.service mnt-docker.mount docker.service docker.socket containerd.service"
    results = _sh(name, f"for u in {units}; do systemctl show -p ConditionResult --value $u; done").stdout.split()
    assert results == ["no"] * 5
    assert _sh(name, "findmnt /mnt/docker", check=False).returncode == 1


def test_no_ssh_server_and_no_keys(host):
    name, _ = host
    assert _sh(name, "command -v sshd", check=False).returncode == 1
    assert _sh(name, "find / -xdev -path '*/.ssh/authorized_keys*'").stdout == ""
