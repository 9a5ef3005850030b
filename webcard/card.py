"""The member's card on a merchant's host: joining, the card with its rotating QR, its
figures as JSON for the page to poll, and what makes it an installable app (manifest,
icons, service worker).

The same services and selectors as the app's API (points/api/views.py): the join is
`membership_join` with the join code checked as `JoinView` checks it, the QR is
`card_token_make`, the figures are `membership_summary`'s.
"""

import hashlib
import io
import json
from decimal import ROUND_CEILING, Decimal
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.staticfiles import finders
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST
from PIL import Image, ImageDraw

from loyalty.errors import DomainError
from loyalty.formatting import isolate, local_name, money_text, points_text
from loyalty.qr import qr_svg_inline
from points import selectors, services
from points.card import card_token_make
from points.models import Membership, TierBasis
from tenants.models import Merchant
from tenants.selectors import merchant_current

from .brand import ink
from .sessions import session_customer
from .views import customer_of, customer_required, refusal_text

# Refusals of a join whose service message is written for staff or in English only:
# what the customer reads instead.
JOIN_REFUSALS = {
    "invalid_join_code": gettext_lazy("This join link is not this shop's. Ask for its poster."),
    "invalid_referral_code": gettext_lazy("This invitation link is not valid any more."),
    "plan_limit_reached": gettext_lazy(
        "This shop cannot take new members right now. Ask the staff."
    ),
    "join_failed": gettext_lazy("Joining failed. Please try again."),
}
# Refusals that another tap cannot mend: the button goes.
JOIN_FINAL = {"merchant_inactive", "plan_limit_reached", "email_unverified", "customer_inactive"}
ICON_SIZES = (192, 512)
STATIC_SHELL = ("card/card.css", "card/card.js")


def card_state(membership: Membership, *, with_qr: bool) -> dict[str, Any]:
    """What the card shows, as numbers and as the words the page writes (in the
    request's language); with a fresh QR token and its SVG when `with_qr`."""
    summary = selectors.membership_summary(membership, at=timezone.now())
    progress = summary.progress
    tier, next_tier = progress.tier, progress.next_tier
    points = membership.current_points
    state: dict[str, Any] = {
        "points": points,
        "points_text": points_text(points),
        "points_label": ngettext("point", "points", points),
        "tier": local_name(tier.name, tier.name_ar) if tier else "",
        "next_tier": local_name(next_tier.name, next_tier.name_ar) if next_tier else "",
        "progress_percent": 100,
        "progress_text": _("You are at the top tier.") if tier else "",
        "expiring_points": summary.expiring_points,
        "expiring_text": "",
        "unread": summary.unread_messages,
        "unread_text": "",
    }
    if next_tier is not None and progress.needed_for_next is not None:
        threshold = Decimal(next_tier.threshold)
        done = progress.metric / threshold if threshold else Decimal(1)
        state["progress_percent"] = max(0, min(100, int(done * 100)))
        state["progress_text"] = _to_next_tier(
            progress.needed_for_next, progress.basis, isolate(state["next_tier"])
        )
    if summary.expiring_points and summary.expiring_first_on is not None:
        state["expiring_text"] = ngettext(
            "%(count)s point expires soon: the first on %(date)s.",
            "%(count)s points expire soon: the first on %(date)s.",
            summary.expiring_points,
        ) % {
            "count": points_text(summary.expiring_points),
            "date": date_format(summary.expiring_first_on, "j F Y"),
        }
    if state["unread"]:
        state["unread_text"] = ngettext(
            "%(count)s unread message", "%(count)s unread messages", state["unread"]
        ) % {"count": points_text(state["unread"])}
    if with_qr:
        token = card_token_make(membership)
        state["qr"] = {
            "token": token,
            "svg": qr_svg_inline(token),
            "expires_in": settings.CARD_TOKEN_SECONDS,
        }
    return state


def _to_next_tier(needed: Decimal, basis: str, tier: str) -> str:
    if basis == TierBasis.SPEND:
        amount = money_text(needed, merchant_current().currency)
        return _("%(amount)s more to spend for %(tier)s") % {
            "amount": isolate(amount),
            "tier": tier,
        }
    count = int(needed.to_integral_value(ROUND_CEILING))
    if basis == TierBasis.VISITS:
        text = ngettext(
            "%(count)s more visit for %(tier)s", "%(count)s more visits for %(tier)s", count
        )
    else:
        text = ngettext(
            "%(count)s more point for %(tier)s", "%(count)s more points for %(tier)s", count
        )
    return text % {"count": points_text(count), "tier": tier}


def _merchant_name(merchant: Merchant) -> str:
    return local_name(merchant.name, merchant.name_ar)


@customer_required
@require_GET
def card(request: HttpRequest) -> HttpResponse:
    """The card, or the join page for a signed-in customer who is not a member here."""
    membership = selectors.membership_for_customer(customer_of(request).pk)
    if membership is None:
        return _join_page(request, code=request.GET.get("code", ""), ref=request.GET.get("ref", ""))
    context = {
        "membership": membership,
        "state": card_state(membership, with_qr=True),
        "member_number": _grouped(membership.member_number),
    }
    response = render(request, "card/card.html", context)
    response["Cache-Control"] = "no-store"
    response["X-Card-Member"] = "1"  # the service worker keeps this page for offline use
    return response


def _grouped(number: str) -> str:
    """A member number in groups of four, as it is read out and typed at the counter."""
    return " ".join(number[i : i + 4] for i in range(0, len(number), 4))


def _join_page(
    request: HttpRequest, *, code: str, ref: str, error: DomainError | None = None
) -> HttpResponse:
    code, ref = code.strip()[:12], ref.strip()[:12]
    context = {
        "merchant_name": _merchant_name(merchant_current()),
        "code": code,
        "ref": ref,
        "welcome_bonus": selectors.points_settings().welcome_bonus,
        "error": "",
        "final": False,
    }
    status = 200
    if error is not None:
        context["error"] = str(JOIN_REFUSALS.get(error.code) or refusal_text(error))
        context["final"] = error.code in JOIN_FINAL
        if error.code == "invalid_join_code":
            context["code"] = ""
        if error.code == "invalid_referral_code":
            context["ref"] = ""
        status = error.status
    return render(request, "card/join.html", context, status=status)


@require_POST
def join(request: HttpRequest) -> HttpResponse:
    """Join this merchant in one tap (the poster's form posts here too). Not signed in:
    sign in first, then the join page again with the same code and referral."""
    code = request.POST.get("join_code", "").strip()[:12]
    ref = request.POST.get("referral_code", "").strip()[:12]
    if session_customer(request) is None:
        query = urlencode({key: value for key, value in (("code", code), ("ref", ref)) if value})
        back = reverse("card-home") + (f"?{query}" if query else "")
        return redirect(f"{reverse('card-signin')}?{urlencode({'next': back})}")
    try:
        if code and code.upper() != merchant_current().join_code:
            raise DomainError("invalid_join_code", "This join code is not this shop's.")
        services.membership_join(customer=customer_of(request), referral_code=ref)
    except DomainError as error:
        return _join_page(request, code=code, ref=ref, error=error)
    return redirect("card-home")


@never_cache
@require_GET
def state(request: HttpRequest) -> JsonResponse:
    """The card's figures for the page to poll; `?qr=1` adds a fresh QR token."""
    customer = session_customer(request)
    if customer is None:
        return JsonResponse(
            {"error": {"code": "not_authenticated", "message": _("Sign in again.")}}, status=401
        )
    membership = selectors.membership_for_customer(customer.pk)
    if membership is None:
        return JsonResponse(
            {"error": {"code": "not_found", "message": _("You are not a member here.")}},
            status=404,
        )
    return JsonResponse(card_state(membership, with_qr=request.GET.get("qr") == "1"))


def _icon_version(merchant: Merchant) -> str:
    return hashlib.sha256(f"{merchant.brand_color}|{merchant.logo.name}".encode()).hexdigest()[:10]


@require_GET
def manifest(request: HttpRequest) -> HttpResponse:
    """The web app manifest of this merchant's card (name, colour, icons), in the
    reader's language."""
    merchant = merchant_current()
    language = translation.get_language() or settings.LANGUAGE_CODE
    name = _merchant_name(merchant)
    version = _icon_version(merchant)
    body = {
        "id": reverse("card-home"),
        "name": name,
        "short_name": name if len(name) <= 12 else name[:12].rstrip(),
        "description": _("Your loyalty card at %(name)s") % {"name": name},
        "start_url": reverse("card-home"),
        "scope": reverse("card-home"),
        "display": "standalone",
        "orientation": "portrait",
        "theme_color": merchant.brand_color,
        "background_color": merchant.brand_color,
        "lang": language,
        "dir": "rtl" if translation.get_language_bidi() else "ltr",
        "icons": [
            {
                "src": f"{reverse('card-icon', args=[size])}?v={version}",
                "sizes": f"{size}x{size}",
                "type": "image/png",
                "purpose": "any maskable",
            }
            for size in ICON_SIZES
        ],
    }
    response = HttpResponse(
        json.dumps(body, ensure_ascii=False), content_type="application/manifest+json"
    )
    response["Cache-Control"] = "no-cache"
    return response


@require_GET
def icon(request: HttpRequest, size: int) -> HttpResponse:
    """The app icon: the merchant's logo on white, or a card drawn in its colour."""
    if size not in ICON_SIZES:
        raise Http404
    merchant = merchant_current()
    response = HttpResponse(_icon_png(merchant, size), content_type="image/png")
    response["Cache-Control"] = "public, max-age=86400"
    return response


def _icon_png(merchant: Merchant, size: int) -> bytes:
    image = None
    if merchant.logo:
        try:
            with merchant.logo.open("rb") as stored, Image.open(stored) as opened:
                logo = opened.convert("RGBA")
            # Inside the middle square of the safe circle a maskable icon's shape
            # never cuts (radius 40%).
            side = int(size * 0.56)
            logo.thumbnail((side, side))
            image = Image.new("RGBA", (size, size), "#ffffff")
            image.alpha_composite(logo, ((size - logo.width) // 2, (size - logo.height) // 2))
        except (OSError, ValueError):
            image = None  # an unreadable logo: the drawn icon instead
    if image is None:
        image = Image.new("RGBA", (size, size), merchant.brand_color)
        draw = ImageDraw.Draw(image)
        colour = ink(merchant.brand_color)
        u = size / 16
        draw.rounded_rectangle(
            (3 * u, 5 * u, 13 * u, 11.5 * u), radius=u, outline=colour, width=int(u * 0.8)
        )
        draw.rectangle((3 * u, 7 * u, 13 * u, 8 * u), fill=colour)
        draw.rectangle((4.5 * u, 9.3 * u, 7.5 * u, 10 * u), fill=colour)
    buffer = io.BytesIO()
    image.convert("RGB").save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


@cache
def _shell_version() -> str:
    """Changes whenever a file the service worker caches or imports changes, so that
    a browser installs the new worker and drops the old cache."""
    digest = hashlib.sha256()
    for name in (*STATIC_SHELL, "card/sw-push.js"):
        found = finders.find(name)
        digest.update(Path(str(found)).read_bytes() if found else name.encode())
    return digest.hexdigest()[:12]


@require_GET
def service_worker(request: HttpRequest) -> HttpResponse:
    """The card's service worker, scope /card/: fetched fresh each time (no-cache)."""
    body = render_to_string(
        "card/sw.js",
        {
            "version": _shell_version(),
            "static_files": json.dumps([settings.STATIC_URL + name for name in STATIC_SHELL]),
            "home": reverse("card-home"),
            "state": reverse("card-state"),
            "signout": reverse("card-signout"),
        },
    )
    response = HttpResponse(body, content_type="text/javascript; charset=utf-8")
    response["Cache-Control"] = "no-cache"
    return response
