import tempfile
from pathlib import Path

import entry_points as entry_points_module
import pytest
from django.core.cache import cache
from django.core.management import call_command

STARTED = pytest.StashKey[dict]()


def pytest_sessionstart(session):
    """The image's long-running entry points start before collection, so they come up meanwhile."""
    directory = Path(tempfile.mkdtemp(prefix="entry-points-"))
    session.config.stash[STARTED] = entry_points_module.start(directory)


def pytest_sessionfinish(session):
    entry_points_module.stop(session.config.stash.get(STARTED, {}))


@pytest.fixture(scope="session")
def entry_points(pytestconfig):
    """start-django (a stack's variables, its stores down) and the Celery worker: see entry_points.py."""
    return pytestconfig.stash[STARTED]


@pytest.fixture
def catalogue(db):
    """The database as `make local-db` and the stand-alone start leave it: the catalogue fixture, a cold cache."""
    call_command("loaddata", "catalogue", verbosity=0)
    cache.clear()
    yield
    cache.clear()
