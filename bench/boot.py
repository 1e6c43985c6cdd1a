"""Boot-to-healthy and recovery figures of a fleet host (the boot simulation's hosts).

Prints, in seconds:
- `boot-to-healthy-s`: a host on this machine's engine (`simulation`), from its `docker run` to
  every health endpoint answering 200 (target: <= 30); its images are already in that engine.
- `boot-cold-registry-s`: a fault host (its own engine, `faults`) with an empty data volume: every
  image pulled from the registry before its service starts.
- `boot-warm-s`: the same host rebooted: the images are on its data volume, nothing is pulled.
- `docker-restart-recovery-s` (fault 3): `systemctl restart docker` until every service answers again;
  `docker-crash-recovery-s`: the same after dockerd is killed.
- `registry-recovery-s` (fault 1): a host booted with the registry refusing every connection,
  past its start deadline (it has reported itself Unhealthy); from the registry's return until
  every service answers.

Needs `make golden-image images-push`.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.integration.boot import faults, simulation  # noqa: E402

TARGET_S = 30.0


def shared_engine_boot() -> float:
    host = simulation.boot()
    try:
        return host.wait_healthy(simulation.HEALTH_URLS, timeout=240)
    finally:
        host.stop()


def fault_host_figures() -> dict[str, float]:
    figures = {}
    host = faults.boot(registry_up=True, secrets_at_boot=True)
    try:
        faults.wait_all_healthy(host, timeout=240)
        figures["boot-cold-registry-s"] = time.monotonic() - host.started_at
        figures["boot-warm-s"] = faults.reboot(host)
        figures["docker-restart-recovery-s"] = faults.daemon_restart(host)
        figures["docker-crash-recovery-s"], _ = faults.daemon_crash(host)
    finally:
        host.stop()
    host = faults.boot(registry_up=False, secrets_at_boot=True)
    try:
        faults.wait_reported_unhealthy(host)
        figures["registry-recovery-s"] = faults.registry_back(host)
    finally:
        host.stop()
    return figures


def main() -> int:
    try:
        seconds = shared_engine_boot()
        figures = fault_host_figures()
    except simulation.SimulationError as error:
        print(f"bench-boot: {error}", file=sys.stderr)
        return 1
    print(f"boot-to-healthy-s: {seconds:.1f}")
    for name, value in figures.items():
        print(f"{name}: {value:.1f}")
    if seconds > TARGET_S:
        print(f"bench-boot: {seconds:.1f}s is over the {TARGET_S:.0f}s target", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
