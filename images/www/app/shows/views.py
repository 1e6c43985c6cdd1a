from django.db import transaction
from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from shows import catalogue
from shows.models import Play
from shows.tasks import count_plays


def _public(show: dict) -> dict:
    return {key: value for key, value in show.items() if key != "id"}


def _not_found(slug: str) -> JsonResponse:
    return JsonResponse({"error": f"no show {slug!r}"}, status=404)


@require_GET
def home(request):
    return render(request, "shows/home.html", {"shows": catalogue.all_shows()})


@require_GET
def show_list(request):
    return JsonResponse({"shows": catalogue.all_shows()})


@require_GET
def show_detail(request, slug):
    show, cached = catalogue.find(slug)
    if show is None:
        return _not_found(slug)
    response = JsonResponse(_public(show))
    response["X-Cache"] = "hit" if cached else "miss"
    return response


# Native clients post plays with a token of their own, not a browser session: no CSRF cookie.
@csrf_exempt
@require_POST
def record_play(request, slug):
    """Record one play: the show through the cache, the play into the database, the tally queued."""
    show, cached = catalogue.find(slug)
    if show is None:
        return _not_found(slug)
    with transaction.atomic():
        play = Play.objects.create(show_id=show["id"])
        # Queued only once the row is committed, so the worker always finds it.
        transaction.on_commit(lambda: count_plays.delay(show["id"]))
    response = JsonResponse({"show": slug, "play": play.pk, "recorded": play.played_at.isoformat()}, status=201)
    response["X-Cache"] = "hit" if cached else "miss"
    return response
