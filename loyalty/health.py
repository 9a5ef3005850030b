"""Health checks on every host: `/healthz` (the process answers) and `/readyz`
(the database answers, Redis answers, and this schema has every migration applied)."""

import logging
from functools import cache

from django.conf import settings
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from redis import Redis
from redis.exceptions import RedisError

from loyalty.db import connection

logger = logging.getLogger(__name__)


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


@cache
def _expected_migrations() -> frozenset[tuple[str, str]]:
    return frozenset(MigrationLoader(None, ignore_no_migrations=True).graph.nodes)


def _check_database() -> str | None:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as exc:  # any driver error means "not ready"
        return f"database: {exc.__class__.__name__}"
    return None


def _check_migrations() -> str | None:
    applied = set(
        MigrationRecorder.Migration.objects.values_list("app", "name")  # in this schema
    )
    missing = _expected_migrations() - applied
    if missing:
        return f"migrations: {len(missing)} not applied"
    return None


def _check_redis() -> str | None:
    try:
        Redis.from_url(settings.REDIS_URL, socket_timeout=2).ping()
    except RedisError as exc:
        return f"redis: {exc.__class__.__name__}"
    return None


@never_cache
@require_GET
def readyz(request: HttpRequest) -> JsonResponse:
    problems = [p for p in (_check_database(), _check_redis()) if p]
    if not problems:
        problems = [p for p in (_check_migrations(),) if p]
    # Never the schema's name: it is a merchant's internal name and the answer is public.
    body: dict[str, object] = {"status": "ok" if not problems else "unavailable"}
    if problems:
        body["problems"] = problems
        logger.warning("not ready: %s", "; ".join(problems))  # the log line names the schema
    return JsonResponse(body, status=200 if not problems else 503)
