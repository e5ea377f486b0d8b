"""The Celery app. With REDIS_URL set, Redis is the broker and a worker runs the
tasks; without it, tasks run in-process where they are called (the embedded default,
CELERY_TASK_ALWAYS_EAGER), and `celery -A portfolio beat` alone runs the schedule.
Configuration: the CELERY_* settings in portfolio/settings.py."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portfolio.settings")

app = Celery("pilotgate")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
