# Pilotgate: one image for the web app, the Celery worker and the Celery scheduler.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
COPY requirements/base.txt requirements/base.txt
RUN pip install -r requirements/base.txt

COPY . .
# Static files are collected into the image; the app serves them (WhiteNoise).
# /app/var keeps the scheduler's state, /app/media the uploaded evidence.
RUN DJANGO_SECRET_KEY=collectstatic-only DJANGO_DEBUG=0 python manage.py collectstatic --noinput \
    && useradd --system --uid 1000 --home-dir /app pilotgate \
    && mkdir -p /app/var /app/media \
    && chown pilotgate /app/var /app/media

USER pilotgate
EXPOSE 8000
CMD ["gunicorn", "portfolio.wsgi:application", "--bind", "0.0.0.0:8000", "--worker-class", "gthread", "--threads", "4", "--access-logfile", "-"]
