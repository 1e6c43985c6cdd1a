"""A fleet host, booted from the golden-image stand-in with the fleet's rendered user data."""

from __future__ import annotations

import time

from showrunner_components.fleet import units as rendering
from tests.integration.boot import simulation


def _wait(predicate, timeout: float, step: float = 0.2) -> float | None:
    """Seconds until `predicate()` held, or None after `timeout`."""
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if predicate():
            return time.monotonic() - start
        time.sleep(step)
    return None


def test_every_web_service_answers_its_health_endpoint(booted):
    for name, url in simulation.HEALTH_URLS.items():
        assert simulation.healthy(url), name
        assert booted.unit_state(name) == "active"


def test_secrets_reach_the_container_and_not_the_user_data(booted):
    env_file = booted.sh("stat -c '%a' /run/showrunner/bootsim-django.env", check=True).stdout.strip()
    assert env_file == "600"
    container_env = simulation.run("docker", "inspect", "--format", "{{json .Config.Env}}", "bootsim-django").stdout
    assert "SECRET_KEY=" in container_env
    user_data = booted.sh("cat /var/lib/cloud/seed/nocloud/user-data", check=True).stdout
    assert "boot-simulation-not-a-secret" not in user_data


def test_a_killed_container_is_back_within_10_seconds(booted):
    before = simulation.run("docker", "inspect", "--format", "{{.Id}}", "bootsim-catalog").stdout.strip()
    simulation.run("docker", "kill", "bootsim-catalog")

    def replaced_and_healthy() -> bool:
        now = simulation.run("docker", "inspect", "--format", "{{.Id}}", "bootsim-catalog", check=False).stdout.strip()
        return bool(now) and now != before and simulation.healthy(simulation.HEALTH_URLS["bootsim-catalog"])

    elapsed = _wait(replaced_and_healthy, timeout=10)
    assert elapsed is not None, booted.journal(rendering.unit_name("bootsim-catalog"))[-2000:]
    print(f"killed-container-back-s: {elapsed:.1f}")


def test_a_service_that_exits_at_once_gives_up_after_5_starts_in_30_seconds(booted):
    unit = rendering.unit_name("bootsim-crash")
    assert _wait(lambda: booted.sh(f"systemctl is-failed {unit}").stdout.strip() == "failed", timeout=60) is not None
    journal = booted.journal(unit)
    assert "Start request repeated too quickly." in journal
    # Five starts run (the first and four restarts); the fifth restart's start is refused.
    assert journal.count("Scheduled restart job") == 5
    assert journal.count("Starting showrunner-bootsim-crash.service") == 5
    for name, url in simulation.HEALTH_URLS.items():
        assert booted.unit_state(name) == "active" and simulation.healthy(url), name


def test_the_disk_guard_refuses_a_pull_when_the_data_root_is_low(booted):
    unit = rendering.unit_name("bootsim-tick")
    booted.sh("mount -o remount,size=64m /mnt/docker", check=True)
    try:
        result = booted.sh(f"systemctl start {unit}")
        assert result.returncode != 0
        journal = booted.journal(unit)
        assert "showrunner-disk-guard: /mnt/docker has" in journal
        assert "below the threshold of 2048 MiB; not pulling" in journal
    finally:
        booted.sh(f"mount -o remount,size={simulation.DATA_ROOT_SIZE} /mnt/docker", check=True)
        booted.sh(f"systemctl reset-failed {unit}")


def test_a_cron_service_runs_on_its_timer(booted):
    unit = rendering.unit_name("bootsim-tick")
    assert booted.sh(f"systemctl is-active {rendering.unit_name('bootsim-tick', 'timer')}").stdout.strip() == "active"

    def ran_from_timer() -> bool:
        journal = booted.journal(unit)
        return "showrunner-tick" in journal

    # The timer fires on every minute boundary; allow one whole period and the run itself.
    assert _wait(ran_from_timer, timeout=90, step=1) is not None, booted.journal(unit)[-2000:]
    assert booted.sh(f"systemctl show -p Result --value {unit}").stdout.strip() == "success"
