"""Faults around a fleet host, each injected on a fault host (`faults` says where it differs from EC2).

The host boots with the registry refusing every connection and `bootsim-django`'s secrets absent.
The tests run in file order on that one host, each starting from what the one before left: all
services healthy from test 3 on.
"""

from __future__ import annotations

import re
import secrets as random_secrets

from showrunner_components.fleet import units
from tests.integration.boot import faults, simulation
from tests.integration.boot.faults import unit

wait_for = simulation.wait_for


def _journal_since(host: faults.FaultHost, service: str, since: int) -> str:
    return host.sh(f"journalctl --no-pager -o cat -u {unit(service)} --since @{since}").stdout


def _now(host: faults.FaultHost) -> int:
    return int(host.sh("date +%s", check=True).stdout)


def test_fault_1_registry_down_at_boot_pulls_retry_then_the_host_reports_itself_unhealthy_and_recovers(fault_host):
    host = fault_host
    digest = simulation.pipeline_digests()["micro"]
    reported = f"showrunner-retry: {host.container} reported Unhealthy: pull/{digest} not ready in {faults.START_DEADLINE_S}s"
    assert wait_for(lambda: reported in host.journal(unit("bootsim-catalog")), timeout=faults.START_DEADLINE_S + 60, step=1) is not None
    assert {(instance, status) for _, instance, status in host.aws.recorded.health} == {(host.container, "Unhealthy")}
    assert min(at for at, _, _ in host.aws.recorded.health) - host.started_at >= faults.START_DEADLINE_S, "reported before the deadline"
    journal = host.journal(unit("bootsim-catalog"))
    waits = [float(w) for w in re.findall(rf"showrunner-retry: pull/{re.escape(digest)}: attempt \d+ not ready; retrying in ([0-9.]+)s", journal)]
    assert len(waits) >= 3 and waits[2] > waits[0], f"no backoff: {waits}"
    assert host.registry.refused >= len(waits)
    # Nothing ran meanwhile: no container, and no image (Docker registers one only when it is whole).
    assert host.containers("bootsim-catalog") == [] and host.docker("image", "inspect", digest).returncode != 0
    recovery = faults.registry_back(host, services=("bootsim-catalog",))
    assert host.unit_state("bootsim-catalog") == "active" and len(host.containers("bootsim-catalog")) == 1
    print(f"registry-recovery-s: {recovery:.1f} (deadline {faults.START_DEADLINE_S}s, {len(waits)} retries, backoff {waits[:4]})")


def test_fault_2_a_missing_or_empty_secret_never_reaches_a_container_and_is_named_in_the_log(fault_host):
    host = fault_host
    django = "bootsim-django"
    journal = host.journal(unit(django))
    assert f"showrunner-fetch-secrets: SECRET_KEY not in the secret store under {simulation.SECRETS_MOUNT}/{django}" in journal
    assert f"showrunner-retry: fetch-secrets/{django}: attempt 2 not ready; retrying in" in journal
    assert host.containers(django) == [], "django started without its secret"
    since = _now(host)
    faults.write_secret(host, django, "SECRET_KEY", "")
    assert wait_for(lambda: "SECRET_KEY is empty" in _journal_since(host, django, since), timeout=30, step=0.5) is not None
    assert host.containers(django) == [], "django started with an empty secret"
    value = f"fault-host-{random_secrets.token_hex(8)}"
    faults.write_secret(host, django, "SECRET_KEY", value)
    seconds = faults.wait_all_healthy(host, timeout=60)
    (container,) = host.containers(django)
    assert f"SECRET_KEY={value}" in host.inspect(container, "{{json .Config.Env}}")
    everything = host.sh("journalctl --no-pager -o cat", timeout=60).stdout
    assert value not in everything, "a secret value reached the journal"
    assert "showrunner-fetch-secrets: bootsim-django: 1 value(s) written" in host.journal(unit(django))
    print(f"secret-present-to-healthy-s: {seconds:.1f}")


def test_fault_5_a_container_over_its_memory_limit_is_oom_killed_and_restarted_under_the_start_limits(fault_host):
    host = fault_host
    hog = "bootsim-hog"
    neighbours = faults.container_ids(host)
    assert wait_for(lambda: host.unit_state(hog) == "active" and len(host.containers(hog)) == 1, timeout=60) is not None
    since = _now(host)
    host.sh(f"touch {faults.HOG_TRIGGER}", check=True)
    assert wait_for(lambda: host.sh(f"systemctl is-failed {unit(hog)}").stdout.strip() == "failed", timeout=90, step=0.5) is not None
    journal = _journal_since(host, hog, since)
    assert "Start request repeated too quickly." in journal
    # Each OOM kill schedules a restart; systemd allows 5 starts in 30 s (the one running at the
    # trigger counts when it began less than 30 s before), and refuses the next.
    starts = journal.count(f"Starting {unit(hog)}")
    assert 4 <= starts <= 5 and journal.count("Scheduled restart job") == starts + 1, journal[-3000:]
    (container,) = host.containers(hog)
    limit = faults.MEMORY_MB[hog] * 1024 * 1024
    assert host.inspect(container, "{{.State.OOMKilled}} {{.State.ExitCode}} {{.HostConfig.Memory}} {{.HostConfig.MemorySwap}}") == f"true 137 {limit} {limit}"
    ooms = host.docker("events", "--since", str(since), "--until", str(_now(host)), "--filter", "event=oom",
                       "--filter", f"label=showrunner.service={hog}", "--format", "{{.ID}}").stdout.split()  # fmt: skip
    assert len(ooms) == starts + 1, ooms
    assert faults.container_ids(host) == neighbours, "a neighbour was restarted"
    for url in host.health_urls().values():
        assert simulation.healthy(url), url
    print(f"oom: {hog} ({faults.MEMORY_MB[hog]} MiB) OOM-killed {len(ooms)} times, then left failed; neighbours untouched")


def test_fault_6_a_container_writing_logs_as_fast_as_it_can_leaves_the_data_root_above_the_guard(fault_host):
    host = fault_host
    flood = "bootsim-flood"
    cap_mib = faults.LOG_CACHE_MIB
    free_before = int(host.sh("df -P -m /mnt/docker | awk 'NR == 2 { print $4 }'", check=True).stdout)
    host.sh(f"systemctl start --no-block {unit(flood)}", check=True)
    assert wait_for(lambda: len(host.containers(flood)) == 1, timeout=60) is not None
    (container,) = host.containers(flood)
    peak = 0.0

    def done() -> bool:
        nonlocal peak
        used = host.sh(f"du -s -B1 /mnt/docker/containers/{container}").stdout.split()
        peak = max(peak, int(used[0]) / 2**20 if used else 0.0)
        return host.sh(f"systemctl is-active {unit(flood)}").stdout.strip() in ("inactive", "failed")

    assert wait_for(done, timeout=faults.FLOOD_S + 60, step=2) is not None
    assert host.sh(f"systemctl show -p Result --value {unit(flood)}").stdout.strip() == "success", host.journal(unit(flood))[-2000:]
    # dd's last line: "<bytes> bytes (…) copied, <seconds> s, <rate>".
    copied = [line for line in (host.workdir / "logs" / "bootsim-flood.dd").read_text().splitlines() if " bytes " in line]
    written_mib = int(copied[-1].split()[0]) / 2**20
    assert written_mib >= 10 * cap_mib, f"only {written_mib:.0f} MiB written: the flood shows nothing"
    # At a rotation the file just closed is compressed beside its successor: one file's worth in transit.
    in_transit = int(units.LOG_CACHE_SIZE.removesuffix("m"))
    assert peak <= cap_mib + in_transit, f"the container's log reached {peak:.1f} MiB on the data root (cap {cap_mib} MiB)"
    left = int(host.sh(f"du -s -B1 /mnt/docker/containers/{container}", check=True).stdout.split()[0]) / 2**20
    assert left <= cap_mib + 1, f"{left:.1f} MiB of log left on the data root (cap {cap_mib} MiB)"
    free_after = int(host.sh("df -P -m /mnt/docker | awk 'NR == 2 { print $4 }'", check=True).stdout)
    guard = host.sh(f"/usr/local/sbin/showrunner-disk-guard --min-free-mb {simulation.settings().fleets[simulation.FLEET].min_free_mb} --path /mnt/docker")
    assert guard.returncode == 0, guard.stderr
    print(f"log-flood: {written_mib:.0f} MiB written in {faults.FLOOD_S}s; its log on the data root peaked at {peak:.1f} MiB, "
          f"{left:.1f} MiB left (cap {cap_mib} MiB); data root free {free_before} → {free_after} MiB (this machine's disk, shared)")


def test_fault_7_the_clock_offset_unit_reads_chronys_tracking_and_publishes_the_figure(fault_host):
    host = fault_host

    def synchronised() -> bool:
        fields = host.sh("chronyc -c tracking").stdout.strip().split(",")
        return len(fields) >= 14 and fields[13] != "Not synchronised"

    assert wait_for(synchronised, timeout=90, step=2) is not None, host.sh("chronyc tracking; chronyc sources").stdout
    assert host.sh("systemctl is-active showrunner-clock-offset.timer").stdout.strip() == "active"
    since = _now(host)
    result = host.sh("systemctl start showrunner-clock-offset.service")
    assert result.returncode == 0, host.journal("showrunner-clock-offset.service")[-1500:]
    line = re.search(r"showrunner-clock-offset: ([0-9.]+) s from the reference \((\w+)\)",
                     host.sh(f"journalctl --no-pager -o cat -u showrunner-clock-offset.service --since @{since}").stdout)
    assert line is not None
    published = [value for name, value, dimensions in host.aws.recorded.metrics
                 if name == "ClockOffsetSeconds" and dimensions == {"Stack": simulation.STACK, "Fleet": simulation.FLEET}]
    assert published and abs(published[-1] - float(line[1])) < 1e-9, (published, line[0])
    print(f"clock-offset: chrony tracks {float(line[1]):.9f} s ({line[2]}), published as ClockOffsetSeconds")


def test_fault_3_a_docker_restart_or_crash_brings_the_services_back_without_a_reboot_and_their_units_stay_truthful(fault_host):
    host = fault_host
    before = faults.container_ids(host)
    recovery = faults.daemon_restart(host)
    after_restart = faults.container_ids(host)
    for service, ids in after_restart.items():
        assert len(ids) == 1, (service, ids)
        assert host.unit_state(service) == "active" and host.inspect(ids[0], "{{.State.Running}}") == "true", service
    # The unit still supervises its container: a kill is noticed and repaired, as before the restart.
    (catalog,) = host.containers("bootsim-catalog")
    host.docker("kill", catalog, check=True)
    url = host.health_urls()["bootsim-catalog"]
    assert wait_for(lambda: host.containers("bootsim-catalog") not in ([], [catalog]) and simulation.healthy(url), timeout=20) is not None
    assert host.sh(f"systemctl is-failed {unit('bootsim-hog')}").stdout.strip() == "failed", "a failed unit was resurrected"
    # A crash: dockerd killed. docker.service brings it back; the units notice their `docker run`
    # ending (not active meanwhile: truthful) and start their containers again, one each.
    crash, noticed = faults.daemon_crash(host)
    assert noticed, "every unit claimed active while its engine was gone"
    for service, ids in faults.container_ids(host).items():
        assert len(ids) == 1, (service, ids)
        assert host.unit_state(service) == "active" and host.inspect(ids[0], "{{.State.Running}}") == "true", service
    print(f"docker-restart-recovery-s: {recovery:.1f} (containers {'replaced' if after_restart != before else 'kept'}); "
          f"docker-crash-recovery-s: {crash:.1f}")


def test_fault_4_a_reboot_brings_the_same_digests_back_from_the_data_volume_without_duplicates(fault_host):
    host = fault_host
    images = {service: host.inspect(ids[0], "{{.Image}}") for service, ids in faults.container_ids(host).items()}
    host.registry.forwarding = False  # nothing may come from the registry: the data volume has it all
    forwarded = host.registry.forwarded
    try:
        seconds = faults.reboot(host)
    finally:
        host.registry.forwarding = True
    assert host.registry.forwarded == forwarded, "the reboot pulled from the registry"
    for service, ids in faults.container_ids(host).items():
        assert len(ids) == 1, (service, ids)
        assert host.inspect(ids[0], "{{.Image}}") == images[service], service
        assert host.unit_state(service) == "active", service
    assert host.docker("ps", "--all", "--quiet", "--filter", "label=showrunner.service=bootsim-django").stdout.count("\n") == 1
    print(f"reboot-to-healthy-s: {seconds:.1f} (warm: images from the data volume, registry refused)")
