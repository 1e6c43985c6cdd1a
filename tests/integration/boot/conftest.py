"""One booted host per session: booting is the slow part, the assertions share it."""

from __future__ import annotations

import pytest

from tests.integration.boot import simulation


@pytest.fixture(scope="session")
def booted():
    host = simulation.boot()
    try:
        host.boot_to_healthy_s = host.wait_healthy(simulation.HEALTH_URLS, timeout=240)
        yield host
    finally:
        host.stop()
