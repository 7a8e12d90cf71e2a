"""The Celery app. Tasks live in each app's tasks.py and are discovered from INSTALLED_APPS."""

import os
import sys

from celery import Celery

# Only the `celery` program gets the local settings by default. This module is imported with the `portal`
# package, before wsgi.py can choose production, so an unconditional default here made gunicorn run
# `portal.wsgi` with the local settings (DEBUG on, a public secret key) unless the variable was set.
if "celery.bin.celery" in sys.modules:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.local")

app = Celery("portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
