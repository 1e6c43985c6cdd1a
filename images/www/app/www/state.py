"""Where the site keeps its state, read from the environment a host (or a developer) gives it.

Pure functions of the environment, so the test stage checks them without any server. A host's
fleet renders these variables from the service's `uses:` list; the database password alone comes
through the secrets path (the env file the host's fetcher writes), never as a `docker run --env`.
A bad value stops every entry point with one ImproperlyConfigured line naming the variable.
"""

from __future__ import annotations

import json
import ssl
from collections.abc import Mapping

from django.core.exceptions import ImproperlyConfigured

TLS_MODES = ("required", "disabled")
CONNECT_TIMEOUT_SECONDS = 3


def _required(environ: Mapping[str, str], name: str, because: str) -> str:
    value = environ.get(name, "")
    if not value:
        raise ImproperlyConfigured(f"{name} must be set {because}")
    return value


def tls_context(ca_file: str | None) -> ssl.SSLContext:
    """TLS for MySQL: verified against `ca_file` (RDS's CA bundle) when given, otherwise encrypted only.

    Without a CA this is MySQL's own `--ssl-mode=REQUIRED`: the connection is refused unless it is
    encrypted, but the server's certificate is not checked (the RDS CA is not in Debian's store).
    """
    if ca_file:
        return ssl.create_default_context(cafile=ca_file)
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def database(environ: Mapping[str, str], testing: bool) -> dict:
    """MySQL when DATABASE_HOST is set; otherwise SQLite (in memory for tests, a file standing alone).

    The password is DATABASE_PASSWORD_FILE's content, read again for every new connection (on a
    host: the application user's IAM token, rewritten every 5 minutes), or DATABASE_PASSWORD.
    """
    host = environ.get("DATABASE_HOST", "")
    if testing or not host:
        name = ":memory:" if testing else environ.get("DJANGO_DB_PATH", "/tmp/www.sqlite3")
        return {"ENGINE": "django.db.backends.sqlite3", "NAME": name}
    port = environ.get("DATABASE_PORT", "3306")
    if not port.isdigit() or not 0 < int(port) < 65536:
        raise ImproperlyConfigured(f"DATABASE_PORT: {port!r} is not a TCP port")
    tls = environ.get("DATABASE_TLS", "required")
    if tls not in TLS_MODES:
        raise ImproperlyConfigured(f"DATABASE_TLS: {tls!r} is not one of {', '.join(TLS_MODES)}")
    # A server that does not answer fails the connection (and readiness) in 3 s, inside the load
    # balancer's 5 s health-check timeout.
    options: dict = {"charset": "utf8mb4", "connect_timeout": CONNECT_TIMEOUT_SECONDS}
    if tls == "required":
        options["ssl"] = tls_context(environ.get("DATABASE_TLS_CA") or None)
    else:
        options["ssl_disabled"] = True
    max_age = environ.get("DATABASE_CONN_MAX_AGE", "60")
    if not max_age.isdigit():
        raise ImproperlyConfigured(f"DATABASE_CONN_MAX_AGE: {max_age!r} is not a number of seconds")
    settings = {
        # Django's MySQL backend, re-reading the password file for each new connection.
        "ENGINE": "www.mysql",
        "HOST": host,
        "PORT": int(port),
        "NAME": _required(environ, "DATABASE_NAME", "with DATABASE_HOST"),
        "USER": _required(environ, "DATABASE_USER", "with DATABASE_HOST"),
        # A static password (a developer's), or empty for a local socket; the file wins when given.
        "PASSWORD": environ.get("DATABASE_PASSWORD", ""),
        "OPTIONS": options,
        # Keep connections across requests, and check one before reuse (RDS fails over under it).
        "CONN_MAX_AGE": int(max_age),
        "CONN_HEALTH_CHECKS": True,
    }
    if environ.get("DATABASE_PASSWORD_FILE"):
        settings["PASSWORD_FILE"] = environ["DATABASE_PASSWORD_FILE"]
    return settings


def cache(environ: Mapping[str, str], testing: bool) -> dict:
    """Redis from CACHE_URL (`rediss://` in AWS: TLS, verified by the system CAs); else per process."""
    url = environ.get("CACHE_URL", "")
    if testing or not url:
        return {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "KEY_PREFIX": "www"}
    if not url.startswith(("redis://", "rediss://")):
        raise ImproperlyConfigured(f"CACHE_URL: {url.split('@')[-1]!r} is not a redis:// or rediss:// URL")
    return {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url, "KEY_PREFIX": "www"}


def _queue_region(queues: dict) -> str:
    """The region in the queues' URLs (https://sqs.<region>.amazonaws.com/…): they are one stack's."""
    host = next(iter(queues.values()))["url"].split("/")[2]
    parts = host.split(".")
    if len(parts) < 3 or parts[0] != "sqs":
        raise ImproperlyConfigured(f"AWS_REGION must be set: the queue URL host {host!r} does not name a region")
    return parts[1]


def celery(environ: Mapping[str, str]) -> dict:
    """Celery's settings (CELERY_-prefixed, as www.celery reads them) for the configured broker.

    On SQS the queues are predefined by the stack: the worker must neither create queues nor use
    the remote-control (pidbox) queue it would otherwise create, which the fleet's role may not do.
    """
    broker = environ.get("CELERY_BROKER_URL", "") or "memory://"
    raw_queues = environ.get("CELERY_PREDEFINED_QUEUES", "")
    queues: dict = {}
    if raw_queues:
        try:
            queues = json.loads(raw_queues)
        except ValueError:
            queues = None
        if not isinstance(queues, dict) or not all(
            isinstance(spec, dict) and isinstance(spec.get("url"), str) for spec in queues.values()
        ):
            raise ImproperlyConfigured('CELERY_PREDEFINED_QUEUES must be a JSON object {"<queue>": {"url": "<queue url>"}}')
    default_queue = environ.get("CELERY_DEFAULT_QUEUE", "") or (next(iter(queues), "celery"))
    if queues and default_queue not in queues:
        raise ImproperlyConfigured(f"CELERY_DEFAULT_QUEUE: {default_queue!r} is not in CELERY_PREDEFINED_QUEUES ({', '.join(queues)})")
    settings = {"CELERY_BROKER_URL": broker, "CELERY_TASK_DEFAULT_QUEUE": default_queue}
    if broker.startswith("sqs://"):
        if not queues:
            raise ImproperlyConfigured("CELERY_PREDEFINED_QUEUES must be set when CELERY_BROKER_URL is sqs://")
        settings["CELERY_BROKER_TRANSPORT_OPTIONS"] = {
            "predefined_queues": queues,
            "region": environ.get("AWS_REGION", "") or _queue_region(queues),
            # Long polling: one request per 20 s per queue while idle instead of a tight loop.
            "wait_time_seconds": 20,
        }
        settings["CELERY_WORKER_ENABLE_REMOTE_CONTROL"] = False
        settings["CELERY_WORKER_SEND_TASK_EVENTS"] = False
    return settings
