"""Reads about merchants that the middleware, the API and the dashboards share."""

import copy
import functools
import time
from collections.abc import Iterable
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth.models import User
from django.core.cache import cache
from django.db import connection
from django.db.models import QuerySet
from django.http import HttpRequest
from django_tenants.utils import get_public_schema_name, schema_context

from loyalty import rows

from .models import Domain, Merchant

HOST_CACHE_SECONDS = 60 * 60
# A host that is not a merchant is remembered briefly, so probing random subdomains
# does not cost a query each; creating a domain forgets it at once.
UNKNOWN_HOST_CACHE_SECONDS = 60
# In front of Redis, each process keeps what it read this many seconds, so most
# requests ask neither Redis nor the database. A change saved in this process is seen
# at once (tenants.signals forgets it here too); other processes see it within
# HOST_LOCAL_SECONDS: a suspension, a new or moved domain take up to 5 s to reach
# every web process.
HOST_LOCAL_SECONDS = 5
_UNKNOWN = "unknown"
_local: dict[str, tuple[float, Merchant | None]] = {}
_clock = time.monotonic


def host_cache_key(hostname: str) -> str:
    return f"tenant-host:{hostname.lower()}"


def merchant_for_host(hostname: str) -> Merchant | None:
    """The merchant served on `hostname`, or None. Cached in the process and in Redis;
    see `tenants.signals`. Each caller gets its own copy of the row."""
    hostname = hostname.lower()
    now = _clock()
    held = _local.get(hostname)
    if held is None or held[0] <= now:
        held = (now + HOST_LOCAL_SECONDS, _merchant_for_host_shared(hostname))
        _local[hostname] = held
    return copy.copy(held[1])


def host_forget_local(hostnames: Iterable[str]) -> None:
    """Forget these hosts in this process (the signals also drop them in Redis)."""
    for hostname in hostnames:
        _local.pop(hostname.lower(), None)


def host_forget_local_all() -> None:
    _local.clear()


def _merchant_for_host_shared(hostname: str) -> Merchant | None:
    # Keys are made in the public schema whoever asks, so every caller shares them.
    with schema_context(get_public_schema_name()):
        key = host_cache_key(hostname)
        cached = cache.get(key)
        if cached == _UNKNOWN:
            return None
        if cached is not None:
            return cached
        domain = Domain.objects.select_related("tenant").filter(domain=hostname).first()
        if domain is None:
            cache.set(key, _UNKNOWN, UNKNOWN_HOST_CACHE_SECONDS)
            return None
        cache.set(key, domain.tenant, HOST_CACHE_SECONDS)
        return domain.tenant


def staff_active(user_id: int) -> User | None:
    """The active staff user `user_id` of the current merchant, with the names of its
    groups (`role_names`, read by `tenants.roles.role_of`): one query, so that a request
    checks both the account and its role as they are now. Every staff API request sends
    it, hence SQL written once and the row turned into a user directly."""
    with connection.cursor() as cursor:
        cursor.execute(_staff_active_sql(), [user_id])
        row = cursor.fetchone()
    if row is None:
        return None
    user = rows.from_row(User, row[: rows.width(User)])
    user.role_names = row[rows.width(User)]  # type: ignore[attr-defined]
    return user


@functools.cache
def _staff_active_sql() -> str:
    return f"""
        SELECT {rows.columns(User, "u")}, ARRAY(
            SELECT g.name FROM auth_group g JOIN auth_user_groups ug ON ug.group_id = g.id
            WHERE ug.user_id = u.id
        )
        FROM auth_user u WHERE u.id = %s AND u.is_active
    """


def merchant_host(merchant: Merchant) -> str:
    return f"{merchant.slug}.{settings.BASE_DOMAIN}"


def merchant_card_url(merchant: Merchant) -> str:
    """The merchant's web card as a message links to it (no request: PUBLIC_SCHEME)."""
    return f"{settings.PUBLIC_SCHEME}://{merchant_host(merchant)}/card/"


def merchant_url(request: HttpRequest, merchant: Merchant) -> str:
    """The merchant's base URL as seen from this request (same scheme and port)."""
    host = request.get_host()
    port = host.rsplit(":", 1)[1] if ":" in host else ""
    suffix = f":{port}" if port and port not in ("80", "443") else ""
    return f"{request.scheme}://{merchant_host(merchant)}{suffix}"


def root_url(request: HttpRequest) -> str:
    """The root domain's base URL as seen from this request (same scheme and port)."""
    host = request.get_host()
    port = host.rsplit(":", 1)[1] if ":" in host else ""
    suffix = f":{port}" if port and port not in ("80", "443") else ""
    return f"{request.scheme}://{settings.BASE_DOMAIN}{suffix}"


def merchants_active() -> QuerySet[Merchant]:
    return Merchant.objects.exclude(schema_name=settings.PUBLIC_SCHEMA_NAME).filter(
        status=Merchant.Status.ACTIVE
    )


def merchant_current() -> Merchant:
    """The merchant whose schema the connection is in (request or task)."""
    from loyalty.db import connection

    tenant = connection.tenant
    if isinstance(tenant, Merchant):
        return tenant
    return Merchant.objects.get(schema_name=connection.schema_name)


def merchant_timezone() -> ZoneInfo:
    return ZoneInfo(merchant_current().timezone)
