"""`/healthz` (liveness) and `/readyz` (readiness), answered before host validation and sessions,
because load balancer health checks send the target's IP address as Host.

- `/healthz` proves that the application imports and is configured, and touches no store: it is
  cheap, and says whether this process works at all.
- `/readyz` is what the load balancer's target group checks: whether this host can use its
  database and cache now. It answers 503 when a store *refuses this host* (a wrong or stale
  credential, a missing grant, a broken configuration), which draining or replacing the host
  fixes. A store that does not answer at all (a failover, an outage) is the same for every host:
  readiness then says `degraded` with 200, since taking every host out of the load balancer, and
  having the Auto Scaling group replace them all, would turn a two-minute failover into an outage
  of the whole fleet; the store's own alarms report it.
"""

from __future__ import annotations

import importlib

from django.apps import apps
from django.conf import settings
from django.db import connection
from django.http import JsonResponse

from www.mysql.base import is_auth_failure

HEALTH_PATH = "/healthz"
READY_PATH = "/readyz"
OK, UNREACHABLE, REFUSED = "ok", "unreachable", "refused"


def health() -> dict:
    module, _, attribute = settings.WSGI_APPLICATION.rpartition(".")
    # 2015's failed starts said `ImportError: No module named wsgi`: check the entry point itself.
    getattr(importlib.import_module(module), attribute)
    apps.check_apps_ready()
    return {"status": "ok", "environ": settings.ENVIRON, "wsgi": settings.WSGI_APPLICATION}


def _database() -> str:
    from django.db import utils

    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        return OK
    except (utils.OperationalError, utils.InterfaceError) as error:
        connection.close()
        return f"{REFUSED} ({_code(error)})" if is_auth_failure(error) else f"{UNREACHABLE} ({_code(error)})"
    except Exception as error:  # noqa: BLE001 — a configuration or programming error is this host's
        connection.close()
        return f"{REFUSED} ({type(error).__name__})"


def _code(error: BaseException) -> str:
    cause = error.__cause__ if error.__cause__ is not None else error
    return str(cause.args[0]) if getattr(cause, "args", None) else type(error).__name__


def _cache() -> str:
    from django.core.cache import cache

    try:
        cache.get("readyz")
        return OK
    except Exception as error:  # noqa: BLE001 — classified below, never raised to the client
        name = type(error).__name__
        # redis-py: a password the server refuses is AuthenticationError (or NOAUTH / WRONGPASS).
        if name == "AuthenticationError" or str(error).startswith(("NOAUTH", "WRONGPASS")):
            return f"{REFUSED} ({name})"
        return f"{UNREACHABLE} ({name})"


def readiness() -> tuple[int, dict]:
    checks = {"database": _database(), "cache": _cache()}
    if any(result.startswith(REFUSED) for result in checks.values()):
        return 503, {"status": "not ready", "checks": checks}
    status = "ready" if all(result == OK for result in checks.values()) else "degraded"
    return 200, {"status": status, "checks": checks}


class HealthMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path == HEALTH_PATH:
            return JsonResponse(health())
        if request.path == READY_PATH:
            status, body = readiness()
            return JsonResponse(body, status=status)
        return self.get_response(request)
