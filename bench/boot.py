"""Boot-to-healthy: from the simulated host's `docker run` to every health endpoint answering 200.

Prints `boot-to-healthy-s: <seconds>` (target: <= 30). Needs `make golden-image images-push`.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.integration.boot import simulation  # noqa: E402

TARGET_S = 30.0


def main() -> int:
    try:
        host = simulation.boot()
    except simulation.SimulationError as error:
        print(f"bench-boot: {error}", file=sys.stderr)
        return 1
    try:
        seconds = host.wait_healthy(simulation.HEALTH_URLS, timeout=240)
    except simulation.SimulationError as error:
        print(f"bench-boot: {error}", file=sys.stderr)
        return 1
    finally:
        host.stop()
    print(f"boot-to-healthy-s: {seconds:.1f}")
    if seconds > TARGET_S:
        print(f"bench-boot: {seconds:.1f}s is over the {TARGET_S:.0f}s target", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
