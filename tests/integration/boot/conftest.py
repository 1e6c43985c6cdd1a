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


@pytest.fixture(scope="module")
def fault_host():
    """One fault host for the fault tests, booted with the registry down and a secret missing; the
    tests run in file order, each injecting its fault on what the one before left."""
    from tests.integration.boot import faults

    host = faults.boot(registry_up=False)
    try:
        yield host
    finally:
        host.stop()
