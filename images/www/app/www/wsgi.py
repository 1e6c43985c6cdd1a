"""The WSGI entry point gunicorn serves (`www.wsgi:application`)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "www.settings")
application = get_wsgi_application()
