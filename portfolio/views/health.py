"""The health check a load balancer or uptime monitor polls."""

import logging

import redis
from django.conf import settings
from django.db import DatabaseError, connection
from django.http import (
    HttpRequest,
    JsonResponse,
)
from django.views.decorators.http import require_GET

logger = logging.getLogger(__name__)


def _database_status() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError:
        logger.exception("Health check: the database is unavailable")
        return "unavailable"
    return "ok"


def _broker_status() -> str:
    if not settings.REDIS_URL:
        return "in-process"
    client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=1, socket_timeout=1)
    try:
        client.ping()
    except redis.RedisError:
        logger.warning("Health check: the broker at REDIS_URL is unavailable")
        return "unavailable"
    finally:
        client.close()
    return "ok"


@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """503 only when the database is down: without the broker the pages still serve
    (the background jobs wait for it), so the status is "degraded", not down."""
    checks = {"database": _database_status(), "broker": _broker_status()}
    if checks["database"] != "ok":
        return JsonResponse({"status": "down", **checks}, status=503)
    healthy = checks["broker"] in ("ok", "in-process")
    return JsonResponse({"status": "ok" if healthy else "degraded", **checks})
