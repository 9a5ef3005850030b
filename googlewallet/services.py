"""A merchant's loyalty class and its members' loyalty objects at Google Wallet.

Ids: the class is `<issuer>.<schema>`, a member's object `<issuer>.<schema>-<member
number>`. The object's barcode is the member number (a pass cannot rotate its QR; the
counter's scan and member search accept the number). Calls to Google happen outside
any database transaction; the row recording them is written after they succeed.
"""

from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext

from loyalty.db import connection
from points.models import Membership
from tenants.models import Merchant
from tenants.selectors import merchant_current, merchant_host

from . import client
from .models import WalletObject

# The web card's brand colour (static/card/card.css): merchants have none of their own yet.
BACKGROUND = "#7c3aed"
# A patch re-reads the member afterwards and sends again if the balance moved meanwhile
# (two syncs finishing out of order); this many rounds at most.
SYNC_ROUNDS = 3


def class_id() -> str:
    return f"{settings.GOOGLE_WALLET_ISSUER_ID}.{connection.schema_name}"


def object_id(membership: Membership) -> str:
    return f"{class_id()}-{membership.member_number}"


def _localized(english: str, arabic: str) -> dict[str, Any]:
    text: dict[str, Any] = {"defaultValue": {"language": "en", "value": english}}
    if arabic:
        text["translatedValues"] = [{"language": "ar", "value": arabic}]
    return text


def _both(message: str) -> tuple[str, str]:
    with translation.override("en"):
        english = gettext(message)
    with translation.override("ar"):
        arabic = gettext(message)
    return english, arabic


def class_body(merchant: Merchant) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": class_id(),
        "issuerName": merchant.name,
        "localizedIssuerName": _localized(merchant.name, merchant.name_ar),
        "programName": merchant.name,
        "localizedProgramName": _localized(merchant.name, merchant.name_ar),
        "hexBackgroundColor": BACKGROUND,
        "reviewStatus": "UNDER_REVIEW",
    }
    if merchant.logo:
        logo = f"{settings.PUBLIC_SCHEME}://{merchant_host(merchant)}{merchant.logo.url}"
        body["programLogo"] = {
            "sourceUri": {"uri": logo},
            "contentDescription": _localized(merchant.name, merchant.name_ar),
        }
    return body


def object_state(membership: Membership) -> dict[str, Any]:
    """What changes with the balance: the points and the tier."""
    points_en, points_ar = _both("Points")
    tier_en, tier_ar = _both("Tier")
    tier = membership.tier
    state: dict[str, Any] = {
        "loyaltyPoints": {
            "label": points_en,
            "localizedLabel": _localized(points_en, points_ar),
            "balance": {"int": membership.current_points},
        },
        "textModulesData": [],
    }
    if tier is not None:
        state["textModulesData"] = [
            {
                "id": "tier",
                "header": tier_en,
                "localizedHeader": _localized(tier_en, tier_ar),
                "body": tier.name,
                "localizedBody": _localized(tier.name, tier.name_ar),
            }
        ]
    return state


def object_body(membership: Membership) -> dict[str, Any]:
    number = membership.member_number
    return {
        "id": object_id(membership),
        "classId": class_id(),
        "state": "ACTIVE",
        "accountId": number,
        "accountName": membership.customer.name or number,
        "barcode": {"type": "QR_CODE", "value": number, "alternateText": number},
        **object_state(membership),
    }


def wallet_class_ensure() -> None:
    """Insert the merchant's class, or bring it up to date when it exists (409)."""
    body = class_body(merchant_current())
    if client.call("POST", "loyaltyClass", body, accept=(409,)) == 409:
        client.call("PATCH", f"loyaltyClass/{body['id']}", body)


def _tier_name(membership: Membership) -> str:
    return membership.tier.name if membership.tier else ""


def wallet_object_ensure(*, membership_id: int) -> WalletObject:
    """The member's loyalty object, inserted at Google (with the class) on first need.

    Raises client.WalletError when Google cannot be reached or refuses; nothing is
    recorded then, and the next try starts again.
    """
    existing = WalletObject.objects.filter(membership_id=membership_id).first()
    if existing is not None:
        return existing
    membership = Membership.objects.select_related("tier", "customer").get(pk=membership_id)
    wallet_class_ensure()
    body = object_body(membership)
    if client.call("POST", "loyaltyObject", body, accept=(409,)) == 409:
        # Inserted by a concurrent request, or before this row was lost: bring it up to date.
        client.call("PATCH", f"loyaltyObject/{body['id']}", object_state(membership))
    try:
        with transaction.atomic():
            return WalletObject.objects.create(
                membership=membership,
                object_id=body["id"],
                synced_points=membership.current_points,
                synced_tier=_tier_name(membership),
                synced_at=timezone.now(),
            )
    except IntegrityError:
        return WalletObject.objects.get(membership_id=membership_id)


def wallet_object_sync(*, membership_id: int) -> WalletObject | None:
    """Patch the member's object with the balance and tier now; None when the member
    never saved one. A failure is recorded on the row and raised (client.WalletError).
    """
    wallet = WalletObject.objects.filter(membership_id=membership_id).first()
    if wallet is None:
        return None
    for _round in range(SYNC_ROUNDS):
        membership = Membership.objects.select_related("tier").get(pk=membership_id)
        sent = (membership.current_points, _tier_name(membership))
        try:
            client.call("PATCH", f"loyaltyObject/{wallet.object_id}", object_state(membership))
        except client.WalletError as error:
            WalletObject.objects.filter(pk=wallet.pk).update(
                last_error=str(error)[:2000], last_error_at=timezone.now()
            )
            raise
        wallet.synced_points, wallet.synced_tier = sent
        wallet.synced_at, wallet.last_error, wallet.last_error_at = timezone.now(), "", None
        wallet.save(
            update_fields=[
                "synced_points",
                "synced_tier",
                "synced_at",
                "last_error",
                "last_error_at",
            ]
        )
        now = Membership.objects.filter(pk=membership_id).values_list(
            "current_points", "tier__name"
        )[0]
        if (now[0], now[1] or "") == sent:
            break
    return wallet


def wallet_object_retire(*, membership_id: int) -> None:
    """The member closed the account: the object keeps no name and turns inactive at
    Google, and its row goes. Raises client.WalletError as the other calls do."""
    wallet = WalletObject.objects.filter(membership_id=membership_id).first()
    if wallet is None:
        return
    number = Membership.objects.filter(pk=membership_id).values_list("member_number", flat=True)
    name = number[0] if number else ""
    client.call(
        "PATCH", f"loyaltyObject/{wallet.object_id}", {"state": "INACTIVE", "accountName": name}
    )
    wallet.delete()
