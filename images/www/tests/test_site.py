"""The site as a client sees it. Run inside the built image by its test stage (DJANGO_TEST=1)."""

import pytest

from shows import catalogue


def test_healthz_answers_a_load_balancer_that_sends_an_ip_as_host(client):
    response = client.get("/healthz", HTTP_HOST="10.20.3.17")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "environ": "TEST", "wsgi": "www.wsgi.application"}


def test_other_pages_still_validate_the_host(client):
    assert client.get("/api/shows/", HTTP_HOST="evil.example").status_code == 400


def test_show_list_is_the_catalogue(client):
    response = client.get("/api/shows/")
    assert response.status_code == 200
    assert response.json() == {
        "shows": [
            {"slug": "night-desk", "title": "The Night Desk", "channel": "news", "episodes": 212},
            {"slug": "pitch-side", "title": "Pitch Side", "channel": "sport", "episodes": 48},
            {"slug": "small-kitchens", "title": "Small Kitchens", "channel": "food", "episodes": 36},
        ]
    }


def test_show_detail(client):
    response = client.get("/api/shows/pitch-side/")
    assert response.json() == {"slug": "pitch-side", "title": "Pitch Side", "channel": "sport", "episodes": 48}


def test_unknown_show_is_a_json_404(client):
    response = client.get("/api/shows/no-such-show/")
    assert response.status_code == 404
    assert response.json() == {"error": "no show 'no-such-show'"}


def test_home_page_links_every_show(client):
    response = client.get("/")
    assert response.status_code == 200
    body = response.content.decode()
    for show in catalogue.CATALOGUE:
        assert f'<a href="/api/shows/{show.slug}/">{show.title}</a>' in body


@pytest.mark.parametrize("method", ["post", "delete"])
def test_api_is_read_only(client, method):
    assert getattr(client, method)("/api/shows/").status_code == 405


def test_celery_task_runs(settings):
    from shows.tasks import count_episodes

    assert count_episodes.delay().get() == 296
