"""The Celery app behind `celery -A www worker`: settings prefixed CELERY_ in www.settings."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "www.settings")

app = Celery("www")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
