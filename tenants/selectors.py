"""Reads about merchants that the middleware, the API and the dashboards share."""

from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.cache import cache
from django.db.models import QuerySet
from django.http import HttpRequest
from django_tenants.utils import get_public_schema_name, schema_context

from .models import Domain, Merchant

HOST_CACHE_SECONDS = 60 * 60
# A host that is not a merchant is remembered briefly, so probing random subdomains
# does not cost a query each; creating a domain forgets it at once.
UNKNOWN_HOST_CACHE_SECONDS = 60
_UNKNOWN = "unknown"


def host_cache_key(hostname: str) -> str:
    return f"tenant-host:{hostname.lower()}"


def merchant_for_host(hostname: str) -> Merchant | None:
    """The merchant served on `hostname`, or None. Cached; see `tenants.signals`."""
    # Keys are made in the public schema whoever asks, so every caller shares them.
    with schema_context(get_public_schema_name()):
        key = host_cache_key(hostname)
        cached = cache.get(key)
        if cached == _UNKNOWN:
            return None
        if cached is not None:
            return cached
        domain = Domain.objects.select_related("tenant").filter(domain=hostname.lower()).first()
        if domain is None:
            cache.set(key, _UNKNOWN, UNKNOWN_HOST_CACHE_SECONDS)
            return None
        cache.set(key, domain.tenant, HOST_CACHE_SECONDS)
        return domain.tenant


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
