"""The hand-off from the root domain to a merchant's host: one sign-in for every card.

The memberships page (root domain) opens a merchant's card through a one-time link to
`/card/handoff/<token>` on that merchant's host. The token is signed (SECRET_KEY, its
own salt), names the customer and the merchant, lasts `HANDOFF_SECONDS` and is taken
once: its random id is remembered in the cache until the token would have expired
anyway. It travels in the path, which the server log redacts (loyalty/logfilters.py).
"""

import secrets

from django.core import signing
from django.core.cache import cache

from customers.models import Customer
from loyalty.errors import DomainError

HANDOFF_SECONDS = 60
_SALT = "webcard.handoff"


def handoff_issue(*, customer: Customer, merchant_id: int) -> str:
    """A token that signs `customer` in once on the host of merchant `merchant_id`."""
    return signing.dumps(
        {"c": customer.pk, "m": merchant_id, "j": secrets.token_urlsafe(12)},
        salt=_SALT,
        compress=False,
    )


def handoff_take(*, token: str, merchant_id: int) -> Customer:
    """The customer a hand-off token signs in on merchant `merchant_id`'s host; refused
    (`handoff_invalid`) when tampered with, expired, used before, meant for another
    merchant, or its customer's account is closed."""
    refused = DomainError("handoff_invalid", "This link is no longer valid.")
    try:
        claims = signing.loads(token, salt=_SALT, max_age=HANDOFF_SECONDS)
    except signing.BadSignature:  # SignatureExpired is one
        raise refused from None
    if not isinstance(claims, dict) or claims.get("m") != merchant_id:
        raise refused
    # Taken once: `add` writes only when the id is not there yet (atomic in Redis).
    if not cache.add(f"webcard:handoff:{claims.get('j')}", 1, timeout=HANDOFF_SECONDS + 5):
        raise refused
    customer = Customer.objects.filter(pk=int(claims.get("c") or 0), is_active=True).first()
    if customer is None:
        raise refused
    return customer
