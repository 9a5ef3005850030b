"""The web card's sign-in, remembered on the device.

A signed-in browser holds a random key in the cookie `card` (host-only: no Domain, so
a sign-in on one merchant's host is worthless on another; HttpOnly; Secure where the
site is served over HTTPS; limited to /card/). The key's SHA-256 is looked up in
`CardSession`; signing out, or "sign out everywhere", revokes the row, so a copied
cookie stops working at once. A session lasts `CARD_SESSION_DAYS` from its last use.
"""

import datetime
import hashlib
import secrets
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from customers.models import Customer

from .models import CardSession

COOKIE = "card"
DEVICE_COOKIE = "card_device"
PATH = "/card/"
# A session's expiry moves on with use, at most once per hour (one write an hour).
TOUCH_EVERY = datetime.timedelta(hours=1)


def _hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def _merchant_of(request: HttpRequest) -> Any:
    """The merchant whose host serves the request; None on the root domain."""
    from tenants.models import Merchant

    tenant = getattr(request, "tenant", None)
    return tenant if isinstance(tenant, Merchant) else None


def _lifetime() -> datetime.timedelta:
    return datetime.timedelta(days=settings.CARD_SESSION_DAYS)


def _cookie(response: HttpResponse, name: str, value: str, max_age: int) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path=PATH,
        secure=settings.CARD_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )


def session_create(*, customer: Customer, merchant: Any, user_agent: str = "") -> str:
    """A new session for `customer` on `merchant`'s host (None: the root domain);
    returns the raw key, which is stored nowhere."""
    raw = secrets.token_urlsafe(32)
    now = timezone.now()
    CardSession.objects.create(
        key_hash=_hash(raw),
        customer=customer,
        merchant=merchant,
        user_agent=user_agent[:200],
        last_seen_at=now,
        expires_at=now + _lifetime(),
    )
    return raw


def session_start(
    request: HttpRequest, response: HttpResponse, customer: Customer, device_token: str = ""
) -> None:
    """Sign `customer` in on this host: a new session, its key in the cookie. The
    sign-in device token (customers.services.device_token_issue) is kept beside it, so
    this browser keeps its own allowance of codes."""
    raw = session_create(
        customer=customer,
        merchant=_merchant_of(request),
        user_agent=request.headers.get("User-Agent", ""),
    )
    age = int(_lifetime().total_seconds())
    _cookie(response, COOKIE, raw, age)
    if device_token:
        _cookie(response, DEVICE_COOKIE, device_token, age)
    request.card_customer = customer  # type: ignore[attr-defined]


def session_customer(request: HttpRequest) -> Customer | None:
    """The customer signed in on this host by the request's cookie, or None. The
    answer is kept on the request."""
    if hasattr(request, "card_customer"):
        return request.card_customer  # type: ignore[no-any-return]
    customer = None
    raw = request.COOKIES.get(COOKIE, "")
    if raw and len(raw) <= 100:
        now = timezone.now()
        merchant = _merchant_of(request)
        on_host = (
            {"merchant_id": merchant.pk} if merchant is not None else {"merchant__isnull": True}
        )
        session = (
            CardSession.objects.select_related("customer")
            .filter(
                key_hash=_hash(raw),
                **on_host,
                revoked_at__isnull=True,
                expires_at__gt=now,
                customer__is_active=True,
            )
            .first()
        )
        if session is not None:
            if now - session.last_seen_at >= TOUCH_EVERY:
                CardSession.objects.filter(pk=session.pk).update(
                    last_seen_at=now, expires_at=now + _lifetime()
                )
            customer = session.customer
    request.card_customer = customer  # type: ignore[attr-defined]
    return customer


def session_end(request: HttpRequest, response: HttpResponse) -> None:
    """Sign this browser out: its session is revoked and the cookie dropped."""
    raw = request.COOKIES.get(COOKIE, "")
    if raw and len(raw) <= 100:
        CardSession.objects.filter(key_hash=_hash(raw), revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )
    response.delete_cookie(COOKIE, path=PATH)
    request.card_customer = None  # type: ignore[attr-defined]


def sessions_end_all(*, customer: Customer) -> int:
    """Sign the customer out of the web card on every device and host."""
    return CardSession.objects.filter(customer=customer, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )


def device_token_of(request: HttpRequest) -> str:
    return request.COOKIES.get(DEVICE_COOKIE, "")[:300]
