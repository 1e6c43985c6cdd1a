"""Settings from the environment: the same image runs in every stack, only its environment differs.

SECRET_KEY is required. DJANGO_TEST=1 (the image's test stage) supplies a throwaway key, an
in-memory database and a per-process cache. The state variables are read in www.state.
"""

import os

import pymysql
from django.core.exceptions import ImproperlyConfigured

from www import state

# PyMySQL stands in for mysqlclient: pure Python, so the image needs no MySQL client library.
pymysql.install_as_MySQLdb()

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

DATABASES = {"default": state.database(os.environ, TESTING)}
CACHES = {"default": state.cache(os.environ, TESTING)}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
USE_TZ = True
TIME_ZONE = "UTC"
LANGUAGE_CODE = "en-us"
SESSION_ENGINE = "django.contrib.sessions.backends.signed_cookies"

# The in-memory transport lets a worker start with no broker configured; stacks set SQS, and
# local runs Redis (there is no SQS stand-in here).
globals().update(state.celery(os.environ))
CELERY_TASK_ALWAYS_EAGER = TESTING
CELERY_WORKER_HIJACK_ROOT_LOGGER = False

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"stdout": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["stdout"], "level": os.environ.get("DJANGO_LOG_LEVEL", "INFO")},
}
