"""Settings from the environment: the same image runs in every stack, only its environment differs.

SECRET_KEY is required. DJANGO_TEST=1 (the image's test stage) supplies a throwaway key and an
in-memory database.
"""

import os

from django.core.exceptions import ImproperlyConfigured

TESTING = os.environ.get("DJANGO_TEST") == "1"
ENVIRON = os.environ.get("DJANGO_ENVIRON", "TEST" if TESTING else "DEV")

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if TESTING and not SECRET_KEY:
    SECRET_KEY = "django-test-only-not-a-secret"
if not SECRET_KEY:
    raise ImproperlyConfigured(
        "The SECRET_KEY setting must not be empty: set SECRET_KEY in the service's secrets "
        "(on hosts it is fetched from SSM)"
    )

DEBUG = os.environ.get("DJANGO_DEBUG") == "1"
ALLOWED_HOSTS = [h.strip() for h in os.environ.get("ALLOWED_HOSTS", "localhost,127.0.0.1").split(",") if h.strip()]

INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "shows",
]

MIDDLEWARE = [
    # First: load balancer health checks use the target's IP as Host, which ALLOWED_HOSTS rejects.
    "www.health.HealthMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
]

ROOT_URLCONF = "www.urls"
WSGI_APPLICATION = "www.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {"context_processors": ["django.template.context_processors.request"]},
    }
]

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": ":memory:" if TESTING else os.environ.get("DJANGO_DB_PATH", "/tmp/www.sqlite3"),
    }
}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
USE_TZ = True
TIME_ZONE = "UTC"
LANGUAGE_CODE = "en-us"
SESSION_ENGINE = "django.contrib.sessions.backends.signed_cookies"

# The in-memory transport lets a worker start with no broker configured; stacks set the real one.
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "memory://")
CELERY_TASK_ALWAYS_EAGER = TESTING
CELERY_WORKER_HIJACK_ROOT_LOGGER = False

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"stdout": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["stdout"], "level": os.environ.get("DJANGO_LOG_LEVEL", "INFO")},
}
