"""WSGI entry point for production servers (gunicorn opencmo.wsgi)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "opencmo.settings")
application = get_wsgi_application()
