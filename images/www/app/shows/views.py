from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from shows import catalogue


@require_GET
def home(request):
    return render(request, "shows/home.html", {"shows": catalogue.all_shows()})


@require_GET
def show_list(request):
    return JsonResponse({"shows": catalogue.all_shows()})


@require_GET
def show_detail(request, slug):
    show = catalogue.find(slug)
    if show is None:
        return JsonResponse({"error": f"no show {slug!r}"}, status=404)
    return JsonResponse(show)
