"""The member's card QR: a signed token that lives about a minute, so a screenshot is
useless later. It names the merchant schema and the membership; staff scan it on that
merchant's host only. A wallet pass cannot rotate its QR: it carries the member number,
which the counter accepts as it accepts the number typed by hand (rate-limited)."""

import re

from django.conf import settings
from django.core import signing

from loyalty.db import connection
from loyalty.errors import DomainError

from .models import Membership
from .selectors import membership_by_id, membership_by_number

SALT = "loyalty.card"


def card_token_make(membership: Membership) -> str:
    return signing.dumps({"s": connection.schema_name, "m": membership.pk}, salt=SALT)


def card_token_read(token: str) -> Membership:
    try:
        data = signing.loads(str(token), salt=SALT, max_age=settings.CARD_TOKEN_SECONDS)
    except signing.SignatureExpired:
        raise DomainError(
            "qr_expired", "This card code has expired; ask for a fresh one."
        ) from None
    except signing.BadSignature:
        raise DomainError("qr_invalid", "This is not a card code of this shop.") from None
    if (
        not isinstance(data, dict)
        or data.get("s") != connection.schema_name
        or not isinstance(data.get("m"), int)
    ):
        raise DomainError("qr_invalid", "This is not a card code of this shop.")
    membership = membership_by_id(data["m"])
    if membership is None:
        raise DomainError("qr_invalid", "This is not a card code of this shop.")
    return membership


MEMBER_NUMBER = re.compile(r"[0-9]{6,12}")


def card_scanned(scanned: str) -> Membership | None:
    """What the counter's camera read: the card's token (the app, the web card), or the
    member number of a wallet pass (None when no member has it)."""
    text = str(scanned).strip()
    if MEMBER_NUMBER.fullmatch(text):
        return membership_by_number(text)
    return card_token_read(text)
