"""A fleet host, booted from the golden-image stand-in with the fleet's rendered user data."""

from __future__ import annotations

import json
import time

from showrunner_components.fleet import units as rendering
from tests.integration.boot import simulation


_wait = simulation.wait_for


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


def _inspect(container: str, template: str) -> str:
    return simulation.run("docker", "inspect", "--format", template, container).stdout.strip()


def test_containers_log_through_awslogs_with_the_fleets_configuration(booted):
    """The driver and options a fleet host renders; what it sent arrived at the CloudWatch Logs stand-in."""
    container = "bootsim-django"
    config = json.loads(_inspect(container, "{{json .HostConfig.LogConfig}}"))
    logs = booted.logs
    assert config == {
        "Type": "awslogs",
        "Config": {
            "awslogs-region": "us-east-1",
            "awslogs-group": simulation.log_group(container),
            # systemd's %H: the simulated host's name, then the container's id.
            "tag": booted.container + "/{{.ID}}",
            "mode": "non-blocking",
            "max-buffer-size": "4m",
            # The engine's local copy (what `docker logs` reads), rotated: a flood never fills the data root.
            "cache-max-size": "10m",
            "cache-max-file": "3",
            "awslogs-endpoint": logs.endpoint,
            "awslogs-credentials-endpoint": logs.credentials_endpoint,
        },
    }
    labels = json.loads(_inspect(container, "{{json .Config.Labels}}"))
    assert (labels["showrunner.service"], labels[simulation.HOST_LABEL]) == (container, booted.container)
    container_id = _inspect(container, "{{.Id}}")

    def shipped() -> bool:
        return any("Listening at: http://0.0.0.0:8000" in m for m in logs.recorded.messages(simulation.log_group(container)))

    # The driver flushes every 5 s; the stand-in sees gunicorn's start lines.
    assert _wait(shipped, timeout=30, step=0.5) is not None, (logs.recorded.streams, booted.journal(rendering.unit_name(container))[-1500:])
    assert f"{booted.container}/{container_id[:12]}" in logs.recorded.stream_names(simulation.log_group(container))
    assert logs.recorded.credential_requests >= 1
    # The engine keeps a local copy too, so `docker logs` still works on the host.
    local = simulation.run("docker", "logs", container)
    assert "Listening at: http://0.0.0.0:8000" in local.stdout + local.stderr
    for service in ("bootsim-catalog", "bootsim-crash"):
        assert json.loads(_inspect(service, "{{json .HostConfig.LogConfig}}"))["Config"]["awslogs-group"] == simulation.log_group(service)
    print(f"awslogs: {container} logs to {simulation.log_group(container)} (mode {config['Config']['mode']}), stream "
          f"{booted.container}/{container_id[:12]}: {len(logs.recorded.messages(simulation.log_group(container)))} events shipped")


PRUNE_IMAGE = "bootsim-prune"


def test_the_prune_timers_remove_stopped_containers_and_dangling_images_and_keep_running_ones(booted):
    """2015's @daily `docker rm` / `rmi`, as the timers run them, scoped to this simulated host's objects."""
    label = f"{simulation.HOST_LABEL}={booted.container}"
    source = simulation.pipeline_digests()["micro"]
    made: list[str] = []

    def docker(*args: str) -> str:
        return simulation.run("docker", *args, timeout=120).stdout.strip()

    try:
        made.append(docker("create", "--label", label, "--name", "bootsim-prune-source", source))
        commit = ["commit", "--change", f"LABEL {label}"]
        dangling = docker(*commit, "--change", "ENV PRUNE=old", "bootsim-prune-source", f"{PRUNE_IMAGE}:test")
        unused = docker(*commit, "--change", "ENV PRUNE=new", "bootsim-prune-source", f"{PRUNE_IMAGE}:test")
        in_use = docker(*commit, "--change", "ENV PRUNE=kept", "bootsim-prune-source", f"{PRUNE_IMAGE}:kept")
        assert docker("image", "inspect", "--format", "{{.RepoTags}}", dangling) == "[]", "the first commit is dangling now"
        running = docker("run", "--detach", "--label", label, "--name", "bootsim-prune-running", f"{PRUNE_IMAGE}:kept")
        stopped = docker("run", "--detach", "--label", label, "--name", "bootsim-prune-stopped", f"{PRUNE_IMAGE}:kept")
        made += [running, stopped]
        docker("stop", "--time", "5", "bootsim-prune-stopped")
        services = {name: _inspect(name, "{{.Id}}") for name in ("bootsim-django", "bootsim-catalog")}
        time.sleep(1.5)  # the simulation's prune.env prunes what is more than a second old

        for timer in ("showrunner-prune-containers", "showrunner-prune-images"):
            assert booted.sh(f"systemctl is-active {timer}.timer").stdout.strip() == "active"
            assert booted.sh(f"systemctl show -p Triggers --value {timer}.timer").stdout.strip() == f"{timer}.service"
            # What the timer starts, started now rather than at tonight's randomised time.
            result = booted.sh(f"systemctl start {timer}.service", timeout=120)
            assert result.returncode == 0, booted.journal(f"{timer}.service")
            assert booted.sh(f"systemctl show -p Result --value {timer}.service").stdout.strip() == "success"

        def exists(kind: str, ref: str) -> bool:
            return simulation.run("docker", kind, "inspect", ref, check=False).returncode == 0

        assert not exists("container", stopped) and not exists("container", made[0]), "stopped containers are removed"
        assert not exists("image", dangling) and not exists("image", unused), "dangling and unused images are removed"
        assert exists("container", running) and _inspect(running, "{{.State.Running}}") == "true"
        assert exists("image", in_use), "an image a running container uses stays"
        for name, container_id in services.items():
            assert _inspect(name, "{{.Id}}") == container_id and booted.unit_state(name) == "active", name
            assert simulation.healthy(simulation.HEALTH_URLS[name]), name
        journal = booted.journal("showrunner-prune-containers.service") + booted.journal("showrunner-prune-images.service")
        assert stopped in journal and dangling.removeprefix("sha256:") in journal and "Total reclaimed space" in journal
        print(f"prune: removed stopped {stopped[:12]} and {made[0][:12]}, dangling {dangling.removeprefix('sha256:')[:12]}, "
              f"unused {unused.removeprefix('sha256:')[:12]}; kept running {running[:12]} and its image, and {', '.join(services)}")
    finally:
        for container in made:
            simulation.run("docker", "rm", "--force", container, check=False)
        for tag in ("test", "kept"):
            simulation.run("docker", "image", "rm", "--force", f"{PRUNE_IMAGE}:{tag}", check=False)
