"""Rewards, redeeming one, and the member's vouchers (the API's rewards/api views)."""

import uuid
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from loyalty.errors import DomainError
from loyalty.formatting import local_name, points_text
from loyalty.qr import qr_response
from points.models import Membership
from rewards import selectors, services
from rewards.models import Redemption, Reward

from ..views import refusal_text
from . import member_required, membership_of, page_of, render_local


def refusal(error: DomainError, reward: Reward | None = None) -> str:
    """A redeem's or a cancel's refusal in the page's language (the services word
    them in English for the API's logs and clients)."""
    if error.code == "insufficient_points":
        return _("Not enough points: you have %(available)s and this reward needs %(needed)s.") % {
            "available": points_text(error.fields.get("available", 0)),
            "needed": points_text(error.fields.get("needed", 0)),
        }
    if error.code == "tier_too_low" and reward is not None and reward.min_tier is not None:
        return _("This reward is for %(tier)s members and above.") % {
            "tier": reward.min_tier.display_name()
        }
    texts = {
        "reward_inactive": _("This reward is not offered now."),
        "reward_not_yet_available": _("This reward is not available yet."),
        "reward_expired": _("This reward has ended."),
        "redemption_limit_reached": _("You have redeemed this reward as often as allowed."),
        "out_of_stock": _("This reward is out of stock."),
        "member_inactive": _("Your membership here is not active."),
        "merchant_inactive": _("This shop cannot take redemptions right now."),
        "invalid_redemption_state": _("This voucher can no longer be cancelled."),
        "idempotency_key_reused": _("This form was already used. Open the reward again."),
        "invalid_idempotency_key": _("This form was already used. Open the reward again."),
    }
    return texts.get(error.code) or refusal_text(error)


def _offer(reward: Reward, membership: Membership) -> dict[str, Any]:
    """A reward as the member sees it: the API's `eligible`, `affordable`, `in_stock`."""
    eligible = selectors.reward_eligible(reward, membership)
    in_stock = reward.stock is None or reward.stock > 0
    affordable = membership.current_points >= reward.points_cost
    return {
        "reward": reward,
        "name": reward.display_name(),
        "description": local_name(reward.description, reward.description_ar),
        "eligible": eligible,
        "in_stock": in_stock,
        "redeemable": eligible and in_stock and affordable,
        "missing": max(reward.points_cost - membership.current_points, 0),
    }


@require_GET
@member_required
def rewards(request: HttpRequest) -> HttpResponse:
    """What the member can redeem now first, then the rest with the points missing."""
    membership = membership_of(request)
    available = selectors.rewards_available(at=timezone.now())  # the cheapest first
    offers = [_offer(reward, membership) for reward in available]
    return render_local(
        request,
        "card/rewards.html",
        {
            "membership": membership,
            "now": [o for o in offers if o["redeemable"]],
            "later": [o for o in offers if not o["redeemable"]],
        },
    )


@require_http_methods(["GET", "POST"])
@member_required
def redeem(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: what the reward costs and the balance after; POST: redeem it. The form
    carries an idempotency key, so a double tap redeems once and both taps land on the
    same voucher."""
    membership = membership_of(request)
    found = selectors.rewards_available(at=timezone.now(), pk=pk)
    if not found:
        raise Http404
    reward = found[0]
    context: dict[str, Any] = {
        "membership": membership,
        "offer": _offer(reward, membership),
        "after": membership.current_points - reward.points_cost,
        "key": uuid.uuid4().hex,
        "error": "",
    }
    if request.method == "POST":
        key = request.POST.get("key", "")
        if not key:
            return redirect("card-redeem", pk=pk)
        try:
            redemption = services.redemption_create(
                membership_id=membership.pk, reward_id=reward.pk, idempotency_key=key
            )
        except DomainError as error:
            context["error"] = refusal(error, reward)
            return render_local(request, "card/redeem.html", context, status=error.status)
        return redirect("card-voucher", pk=redemption.pk)
    return render_local(request, "card/redeem.html", context)


@require_GET
@member_required
def vouchers(request: HttpRequest) -> HttpResponse:
    membership = membership_of(request)
    page = page_of(request, selectors.redemptions_of_member(membership).order_by("-id"))
    return render_local(request, "card/vouchers.html", {"membership": membership, "page": page})


def _mine(request: HttpRequest, pk: int) -> Redemption:
    found = selectors.redemptions_of_member(membership_of(request)).filter(pk=pk).first()
    if found is None:
        raise Http404
    return found


STATE_HINTS = {
    Redemption.Status.PENDING: gettext_lazy("Show this voucher at the counter."),
    Redemption.Status.APPROVED: gettext_lazy("Approved: show this voucher at the counter."),
    Redemption.Status.USED: gettext_lazy("Used. Enjoy!"),
    Redemption.Status.REJECTED: gettext_lazy("The shop turned this request down."),
    Redemption.Status.CANCELLED: gettext_lazy("You cancelled this voucher."),
    Redemption.Status.EXPIRED: gettext_lazy("This voucher expired before it was used."),
}


def state_of(redemption: Redemption) -> dict[str, Any]:
    """The voucher's state in words, and whether it can still be used or cancelled."""
    return {
        "status": redemption.status,
        "label": str(Redemption.Status(redemption.status).label),
        "hint": str(STATE_HINTS[Redemption.Status(redemption.status)]),
        "open": redemption.status in Redemption.OPEN,
        "refunded": redemption.status in Redemption.CLOSED_WITH_REFUND,
    }


@require_GET
@member_required
def voucher(request: HttpRequest, pk: int) -> HttpResponse:
    redemption = _mine(request, pk)
    return render_local(
        request,
        "card/voucher.html",
        {"redemption": redemption, "state": state_of(redemption), "error": ""},
    )


@require_GET
@member_required
def voucher_qr(request: HttpRequest, pk: int) -> HttpResponse:
    """The voucher's QR, as the API's voucher image."""
    return qr_response(_mine(request, pk).voucher_code, "svg")


@require_GET
@member_required
def voucher_state(request: HttpRequest, pk: int) -> JsonResponse:
    """The voucher's state, polled by its page while it is open."""
    response = JsonResponse(state_of(_mine(request, pk)))
    response["Cache-Control"] = "no-store"
    return response


@require_POST
@member_required
def voucher_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    """The member takes the voucher back: points (and stock) return."""
    redemption = _mine(request, pk)
    try:
        services.redemption_cancel(
            redemption_id=redemption.pk, membership_id=membership_of(request).pk
        )
    except DomainError as error:
        redemption.refresh_from_db()
        context = {"redemption": redemption, "state": state_of(redemption)}
        context["error"] = refusal(error)
        return render_local(request, "card/voucher.html", context, status=error.status)
    return redirect("card-voucher", pk=redemption.pk)
