# The Celery app is loaded with Django, so tasks bind to it (portfolio/celery.py).
from portfolio.celery import app as celery_app

__all__ = ("celery_app",)
