import pytest
from django.core.cache import cache
from django.core.management import call_command


@pytest.fixture
def catalogue(db):
    """The database as `make local-db` and the stand-alone start leave it: the catalogue fixture, a cold cache."""
    call_command("loaddata", "catalogue", verbosity=0)
    cache.clear()
    yield
    cache.clear()
