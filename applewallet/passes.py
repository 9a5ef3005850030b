"""What a member's pass shows: a store card with the merchant's name, the balance, the
tier and the member number, whose QR code is the member number (the counter's scan
accepts it). English in pass.json, Arabic in ar.lproj/pass.strings.

The colours are the member's tier's (chosen by the merchant in the dashboard)."""

from typing import Any

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext

from loyalty.formatting import local_name
from points.models import Membership
from tenants.models import Merchant
from tenants.selectors import merchant_host

from . import config, pkpass, services
from .images import pass_images
from .models import WalletPass

DEFAULT_COLOUR = "#8d6e63"
PATH = "/card/wallet/apple/"


def _rgb(hex_colour: str) -> tuple[int, int, int]:
    text = hex_colour.lstrip("#")
    if len(text) != 6:
        text = DEFAULT_COLOUR.lstrip("#")
    try:
        red, green, blue = (int(text[i : i + 2], 16) for i in (0, 2, 4))
    except ValueError:
        return _rgb(DEFAULT_COLOUR)
    return red, green, blue


def _foreground(background: tuple[int, int, int]) -> tuple[int, int, int]:
    red, green, blue = background
    light = 0.299 * red + 0.587 * green + 0.114 * blue > 150
    return (17, 17, 17) if light else (255, 255, 255)


def _css(colour: tuple[int, int, int]) -> str:
    return "rgb({}, {}, {})".format(*colour)


def web_service_url(merchant: Merchant) -> str:
    return f"https://{merchant_host(merchant)}{PATH}"


def _texts(merchant: Merchant, membership: Membership, language: str) -> dict[str, str]:
    with translation.override(language):
        tier = membership.tier
        return {
            "name": local_name(merchant.name, merchant.name_ar, language),
            "description": gettext("%(merchant)s loyalty card")
            % {"merchant": local_name(merchant.name, merchant.name_ar, language)},
            "points": gettext("Points"),
            "change": gettext("You have %@ points."),
            "tier": gettext("Tier"),
            "tier_name": local_name(tier.name, tier.name_ar, language) if tier else "",
            "number": gettext("Member number"),
            "web": gettext("Your card on the web"),
        }


def pass_json(
    *, wallet_pass: WalletPass, membership: Membership, merchant: Merchant, token: str
) -> dict[str, Any]:
    english = _texts(merchant, membership, "en")
    background = _rgb(membership.tier.colour if membership.tier else DEFAULT_COLOUR)
    foreground = _foreground(background)
    number = membership.member_number
    fields: dict[str, Any] = {
        "primaryFields": [
            {
                "key": "balance",
                "label": english["points"],
                "value": membership.current_points,
                "numberStyle": "PKNumberStyleDecimal",
                "changeMessage": english["change"],
            }
        ],
        "secondaryFields": [
            {"key": "tier", "label": english["tier"], "value": english["tier_name"]}
        ]
        if membership.tier
        else [],
        "auxiliaryFields": [{"key": "member", "label": english["number"], "value": number}],
        "backFields": [
            {
                "key": "web",
                "label": english["web"],
                "value": f"https://{merchant_host(merchant)}/card/",
            }
        ],
    }
    return {
        "formatVersion": 1,
        "passTypeIdentifier": settings.APPLE_PASS_TYPE_ID,
        "teamIdentifier": settings.APPLE_TEAM_ID,
        "serialNumber": wallet_pass.serial_number,
        "authenticationToken": token,
        "webServiceURL": web_service_url(merchant),
        "organizationName": english["name"],
        "description": english["description"],
        "logoText": english["name"],
        "backgroundColor": _css(background),
        "foregroundColor": _css(foreground),
        "labelColor": _css(foreground),
        "barcodes": [
            {
                "format": "PKBarcodeFormatQR",
                "message": number,
                "messageEncoding": "iso-8859-1",
                "altText": number,
            }
        ],
        "storeCard": fields,
    }


def _strings(merchant: Merchant, membership: Membership) -> dict[str, bytes]:
    english = _texts(merchant, membership, "en")
    arabic = _texts(merchant, membership, "ar")
    pairs = {english[key]: arabic[key] for key in english if english[key]}
    return {
        "en.lproj/pass.strings": pkpass.strings_file({text: text for text in pairs}),
        "ar.lproj/pass.strings": pkpass.strings_file(pairs),
    }


def _logo(merchant: Merchant) -> Any:
    if not merchant.logo:
        return None
    try:
        return merchant.logo.open("rb")
    except OSError:
        return None  # the file is gone: the default badge stands in


def pass_build(*, membership: Membership, merchant: Merchant) -> tuple[WalletPass, bytes]:
    """The member's pass (made on first use) and its signed .pkpass archive."""
    wallet_pass = services.pass_for_membership(membership=membership)
    token = services.pass_token_issue(wallet_pass=wallet_pass)
    content = pass_json(
        wallet_pass=wallet_pass, membership=membership, merchant=merchant, token=token
    )
    background = _rgb(membership.tier.colour if membership.tier else DEFAULT_COLOUR)
    logo = _logo(merchant)
    try:
        images = pass_images(logo, background, _foreground(background))
    finally:
        if logo is not None:
            logo.close()
    files = {**images, **_strings(merchant, membership)}
    return wallet_pass, pkpass.pkpass(content, files, config.signer())
