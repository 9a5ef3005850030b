"""Writes to Web Push subscriptions: the browser subscribes and unsubscribes through
the web card; the relay drops the ones the push service says are gone."""

import base64
import binascii
import ipaddress
from urllib.parse import urlsplit

from cryptography.hazmat.primitives.asymmetric import ec
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from customers.models import Customer
from loyalty.errors import DomainError
from tenants.models import Merchant

from .models import PushSubscription
from .selectors import webpush_configured

# A browser in use keeps a handful; more is someone filling the table.
MAX_PER_CUSTOMER = 10


def _b64url(value: str) -> bytes:
    return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def endpoint_errors(endpoint: str) -> list[str]:
    """Why the server should not post to `endpoint`: only the push services of the
    browsers we know (`WEBPUSH_SERVICE_HOSTS`), over HTTPS, so nobody can have the
    server send requests to an address of their choosing."""
    field = PushSubscription._meta.get_field("endpoint")
    if not endpoint or len(endpoint) > (field.max_length or 0):
        return [_("Not a push service address.")]
    try:
        parts = urlsplit(endpoint)
        host = (parts.hostname or "").lower()
        parts.port  # noqa: B018 - a port that is not a number raises here
    except ValueError:
        return [_("Not a push service address.")]
    known = any(
        host == allowed or host.endswith(f".{allowed}")
        for allowed in settings.WEBPUSH_SERVICE_HOSTS
    )
    # Plain HTTP only for a local push service listed on purpose (tests, development).
    secure = parts.scheme == "https" or (parts.scheme == "http" and _loopback(host))
    if not (host and known and secure) or parts.username or parts.password:
        return [_("This browser's push service is not supported.")]
    return []


def _checked(endpoint: object, p256dh: object, auth: object) -> tuple[str, str, str]:
    fields: dict[str, list[str]] = {}
    endpoint = endpoint if isinstance(endpoint, str) else ""
    if errors := endpoint_errors(endpoint):
        fields["endpoint"] = errors
    try:
        point = _b64url(p256dh) if isinstance(p256dh, str) and len(p256dh) <= 100 else b""
        ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), point)
        if len(point) != 65:
            raise ValueError
    except (binascii.Error, ValueError):
        fields["keys.p256dh"] = [_("Not a P-256 public key.")]
    try:
        secret = _b64url(auth) if isinstance(auth, str) and len(auth) <= 30 else b""
        if len(secret) != 16:
            raise ValueError
    except (binascii.Error, ValueError):
        fields["keys.auth"] = [_("Not a 16-byte authentication secret.")]
    if fields:
        raise DomainError("invalid", _("This push subscription is not valid."), fields=fields)
    assert isinstance(p256dh, str) and isinstance(auth, str)
    return endpoint, p256dh, auth


def push_subscription_save(
    *, customer: Customer, merchant: Merchant, endpoint: object, p256dh: object, auth: object
) -> PushSubscription:
    """Keep the browser's subscription (PushSubscription.toJSON()) for the customer on
    this merchant's host. Subscribing again refreshes it; an endpoint another customer
    held (someone else signed in on this browser) moves to this one."""
    if not webpush_configured():
        raise DomainError("webpush_not_configured", _("Notifications are not set up here."))
    endpoint, p256dh, auth = _checked(endpoint, p256dh, auth)
    with transaction.atomic():
        subscription, _created = PushSubscription.objects.update_or_create(
            endpoint=endpoint,
            defaults={
                "customer": customer,
                "merchant": merchant,
                "p256dh": p256dh,
                "auth": auth,
                "last_used_at": timezone.now(),
            },
        )
        stale = PushSubscription.objects.filter(customer=customer, merchant=merchant).order_by(
            "-last_used_at", "-id"
        )[MAX_PER_CUSTOMER:]
        PushSubscription.objects.filter(pk__in=list(stale.values_list("pk", flat=True))).delete()
    return subscription


def push_subscription_delete(*, customer: Customer, endpoint: object) -> int:
    """Forget the customer's subscription at `endpoint` (the switch turned off);
    returns how many were removed (0 when it was gone already)."""
    if not isinstance(endpoint, str) or not endpoint:
        raise DomainError(
            "invalid",
            _("This push subscription is not valid."),
            fields={"endpoint": [_("Not a push service address.")]},
        )
    removed, _kinds = PushSubscription.objects.filter(customer=customer, endpoint=endpoint).delete()
    return removed


def push_subscriptions_gone(*, endpoints: list[str]) -> int:
    """Drop subscriptions the push service answered 404 or 410 for."""
    if not endpoints:
        return 0
    removed, _kinds = PushSubscription.objects.filter(endpoint__in=endpoints).delete()
    return removed


def push_subscriptions_used(*, endpoints: list[str]) -> None:
    """The push service took a message for these."""
    if endpoints:
        PushSubscription.objects.filter(endpoint__in=endpoints).update(last_used_at=timezone.now())
