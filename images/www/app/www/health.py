"""`/healthz`: proves that the application imports and is configured.

It answers before host validation and sessions, because load balancer health checks send the
target's IP address as Host.
"""

import importlib

from django.apps import apps
from django.conf import settings
from django.http import JsonResponse

HEALTH_PATH = "/healthz"


def health() -> dict:
    module, _, attribute = settings.WSGI_APPLICATION.rpartition(".")
    # 2015's failed starts said `ImportError: No module named wsgi`: check the entry point itself.
    getattr(importlib.import_module(module), attribute)
    apps.check_apps_ready()
    return {"status": "ok", "environ": settings.ENVIRON, "wsgi": settings.WSGI_APPLICATION}


class HealthMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path == HEALTH_PATH:
            return JsonResponse(health())
        return self.get_response(request)
