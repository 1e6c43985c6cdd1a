"""The site as a client sees it. Run inside the built image by its test stage (DJANGO_TEST=1:
SQLite in memory, a per-process cache and eager Celery, so no server is needed)."""

import pytest
from django.core.cache import cache

from shows.models import Play, Show

pytestmark = pytest.mark.usefixtures("catalogue")

CATALOGUE = [
    {"slug": "night-desk", "title": "The Night Desk", "channel": "news", "episodes": 212},
    {"slug": "pitch-side", "title": "Pitch Side", "channel": "sport", "episodes": 48},
    {"slug": "small-kitchens", "title": "Small Kitchens", "channel": "food", "episodes": 36},
]


def test_healthz_answers_a_load_balancer_that_sends_an_ip_as_host(client):
    response = client.get("/healthz", HTTP_HOST="10.20.3.17")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "environ": "TEST", "wsgi": "www.wsgi.application"}


def test_other_pages_still_validate_the_host(client):
    assert client.get("/api/shows/", HTTP_HOST="evil.example").status_code == 400


def test_show_list_is_the_catalogue_in_the_database(client):
    response = client.get("/api/shows/")
    assert response.status_code == 200
    assert response.json() == {"shows": CATALOGUE}


def test_show_detail_is_read_through_the_cache(client, django_assert_num_queries):
    with django_assert_num_queries(1):
        first = client.get("/api/shows/pitch-side/")
    with django_assert_num_queries(0):
        second = client.get("/api/shows/pitch-side/")
    expected = {"slug": "pitch-side", "title": "Pitch Side", "channel": "sport", "episodes": 48, "plays": 0}
    assert (first.status_code, first.json(), first["X-Cache"]) == (200, expected, "miss")
    assert (second.status_code, second.json(), second["X-Cache"]) == (200, expected, "hit")
    assert cache.get("show:pitch-side") == {"id": 2, **expected}


def test_unknown_show_is_a_json_404(client):
    response = client.get("/api/shows/no-such-show/")
    assert response.status_code == 404
    assert response.json() == {"error": "no show 'no-such-show'"}
    assert cache.get("show:no-such-show") is None


def test_home_page_links_every_show(client):
    response = client.get("/")
    assert response.status_code == 200
    body = response.content.decode()
    for show in CATALOGUE:
        assert f'<a href="/api/shows/{show["slug"]}/">{show["title"]}</a>' in body


@pytest.mark.parametrize("method", ["post", "delete"])
def test_show_list_is_read_only(client, method):
    assert getattr(client, method)("/api/shows/").status_code == 405


def test_a_play_is_recorded_and_tallied_by_the_worker(client, django_capture_on_commit_callbacks):
    client.get("/api/shows/pitch-side/")
    with django_capture_on_commit_callbacks(execute=True) as queued:
        response = client.post("/api/shows/pitch-side/plays/")
    assert response.status_code == 201
    assert response["X-Cache"] == "hit"
    play = Play.objects.get()
    assert response.json() == {"show": "pitch-side", "play": play.pk, "recorded": play.played_at.isoformat()}
    assert play.show.slug == "pitch-side"
    assert len(queued) == 1
    # The (eager) count_plays task tallied the play and dropped the stale cached copy.
    assert Show.objects.get(slug="pitch-side").play_count == 1
    assert cache.get("show:pitch-side") is None
    detail = client.get("/api/shows/pitch-side/")
    assert (detail.json()["plays"], detail["X-Cache"]) == (1, "miss")


def test_a_play_for_an_unknown_show_writes_nothing(client):
    assert client.post("/api/shows/no-such-show/plays/").status_code == 404
    assert not Play.objects.exists()


def test_plays_are_posted_not_fetched(client):
    assert client.get("/api/shows/pitch-side/plays/").status_code == 405


def test_count_episodes_sums_the_catalogue():
    from shows.tasks import count_episodes

    assert count_episodes.delay().get() == 296


def test_migrations_match_the_models():
    from django.core.management import call_command

    call_command("makemigrations", "--check", "--dry-run", verbosity=0)
