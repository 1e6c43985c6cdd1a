"""The www site: Django project package (settings, URLs, WSGI entry point, Celery app)."""

from www.celery import app as celery_app

__all__ = ["celery_app"]
