"""The owner's subscription: the page with the plan, usage and plans, paying on Stripe
Checkout, the return from it, the Customer Portal; and the billing banner every
dashboard page shows (trial countdown, payment due, read-only)."""

import datetime
import math
import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from billing.checkout import (
    checkout_session_complete,
    checkout_session_create,
    plan_change_session_create,
    portal_session_create,
    subscription_refresh,
    trial_carried,
)
from billing.models import Plan, StripeCustomer, Subscription
from billing.money import stripe_decimal
from billing.selectors import (
    invoice_open,
    invoices_recent,
    plan_of,
    subscription_live,
    usage_of,
)
from billing.stripe_api import billing_configured, not_configured
from billing.stripe_prices import plan_billed_amount
from loyalty.admin_sites import merchant_site
from loyalty.errors import DomainError
from tenants.models import Merchant
from tenants.roles import can
from tenants.selectors import merchant_current, merchant_url

from .permissions import require

PAGE = "/admin/subscription/"


def _language() -> str:
    return (translation.get_language() or "en")[:2]


def _see_other(url: str) -> HttpResponse:
    """A 303 to Stripe's page: the browser follows it with a GET."""
    response = HttpResponseRedirect(url)
    response.status_code = 303
    return response


def _days_left(until: datetime.datetime, now: datetime.datetime) -> int:
    return max(0, math.ceil((until - now).total_seconds() / 86400))


@dataclass(frozen=True)
class PlanCard:
    plan: Plan
    amount: Decimal | None  # a month, in the billing currency; None: not sold there
    currency: str
    current: bool
    action: str  # "choose", "upgrade", "switch" or "" (no button)


def _plan_cards(
    current: Plan, state: str, live: Subscription | None, buying: bool
) -> list[PlanCard]:
    paying = state in (Merchant.Billing.ACTIVE, Merchant.Billing.PAST_DUE)
    cards = []
    for plan in Plan.objects.filter(is_public=True).order_by("sort", "price"):
        if plan.is_trial and state != Merchant.Billing.TRIALING:
            continue  # the trial is offered once, at signup
        billed = None if plan.is_trial else plan_billed_amount(plan)
        is_current = plan.pk == current.pk and (paying or state == Merchant.Billing.TRIALING)
        action = ""
        if buying and billed is not None and plan.stripe_price_id and not is_current:
            if live is None:
                action = "choose"
            elif live.plan is None or plan.price > live.plan.price:
                action = "upgrade"
            else:
                action = "switch"
        cards.append(
            PlanCard(
                plan=plan,
                amount=billed[0] if billed else None,
                currency=billed[1] if billed else "",
                current=is_current,
                action=action,
            )
        )
    return cards


def subscription(request: HttpRequest) -> TemplateResponse:
    """The merchant's plan and billing state, what it uses of the plan's limits, the
    plans to choose from, and its invoices."""
    require(request, "billing.manage")
    merchant = merchant_current()
    now = timezone.now()
    state = merchant.billing_state(now)
    stored = Subscription.objects.filter(merchant=merchant).select_related("plan").first()
    live = subscription_live(merchant)
    configured = billing_configured()
    plan = plan_of(merchant)
    usage = usage_of(merchant)
    context = {
        **merchant_site.each_context(request),
        "title": _("Subscription"),
        "merchant": merchant,
        "state": state,
        "plan": plan,
        "usage": usage,
        "upgrade_needed": any(item.near for item in usage),
        "configured": configured,
        "subscription": stored,
        "live": live,
        "billed_amount": (
            stripe_decimal(stored.monthly_amount, stored.currency)
            if stored and stored.currency
            else None
        ),
        "plan_amount": plan_billed_amount(plan),
        "trial_days_left": (
            _days_left(merchant.trial_ends_at, now) if merchant.trial_ends_at else None
        ),
        "trial_carried": trial_carried(merchant, now),
        "lapse_reason": merchant.read_only_why() if state == Merchant.Billing.READ_ONLY else "",
        "has_customer": StripeCustomer.objects.filter(merchant=merchant).exists(),
        "open_invoice": invoice_open(merchant),
        "cards": _plan_cards(plan, state, live, buying=configured),
        "invoices": [
            {
                "invoice": invoice,
                "amount": stripe_decimal(
                    invoice.amount_paid if invoice.status == "paid" else invoice.amount_due,
                    invoice.currency,
                ),
            }
            for invoice in invoices_recent(merchant)
        ],
        # One Checkout attempt per visit to the page: a double click makes one session.
        "attempt": uuid.uuid4().hex,
    }
    return TemplateResponse(request, "dashboard/subscription.html", context)


def _failed(request: HttpRequest, error: DomainError) -> HttpResponse:
    messages.error(request, error.message)
    return HttpResponseRedirect(PAGE)


@require_POST
def subscription_choose(request: HttpRequest) -> HttpResponse:
    """The owner chose a plan: Checkout for a first subscription (or one after a
    cancellation), the Portal's confirmation of the change for a live one."""
    require(request, "billing.manage")
    merchant = merchant_current()
    plan = Plan.objects.filter(code=request.POST.get("plan", ""), is_trial=False).first()
    if plan is None:
        messages.error(request, _("Choose one of the plans below."))
        return HttpResponseRedirect(PAGE)
    base = merchant_url(request, merchant)
    try:
        if not billing_configured():
            raise not_configured()
        live = subscription_live(merchant)
        if live is not None:
            if live.plan_id == plan.pk:
                messages.info(request, _("This is already your plan."))
                return HttpResponseRedirect(PAGE)
            url = plan_change_session_create(
                merchant=merchant,
                plan=plan,
                return_url=f"{base}{PAGE}",
                done_url=f"{base}{PAGE}changed/",
                language=_language(),
            )
        else:
            url = checkout_session_create(
                merchant=merchant,
                plan=plan,
                base_url=base,
                language=_language(),
                attempt=request.POST.get("attempt", ""),
            )
    except DomainError as error:
        return _failed(request, error)
    return _see_other(url)


def subscription_done(request: HttpRequest) -> HttpResponse:
    """Back from Checkout: the subscription is stored at once (the webhook follows)."""
    require(request, "billing.manage")
    merchant = merchant_current()
    session_id = request.GET.get("session_id", "")
    if not session_id.startswith("cs_"):
        return HttpResponseRedirect(PAGE)
    try:
        stored = checkout_session_complete(merchant=merchant, session_id=session_id)
    except DomainError as error:
        return _failed(request, error)
    if stored is None:
        messages.info(
            request,
            _("Stripe is still confirming your payment: this page shows your plan once it has."),
        )
    else:
        name = stored.plan or plan_of(merchant)
        messages.success(
            request, _("Thank you: you are on the %(plan)s plan.") % {"plan": str(name)}
        )
    return HttpResponseRedirect(PAGE)


def subscription_changed(request: HttpRequest) -> HttpResponse:
    """Back from the Portal's plan change: the subscription as Stripe has it now."""
    require(request, "billing.manage")
    merchant = merchant_current()
    try:
        stored = subscription_refresh(merchant=merchant)
    except DomainError as error:
        return _failed(request, error)
    if stored is not None and stored.plan is not None:
        messages.success(request, _("Your plan is now %(plan)s.") % {"plan": str(stored.plan)})
    return HttpResponseRedirect(PAGE)


@require_POST
def subscription_portal(request: HttpRequest) -> HttpResponse:
    """Stripe's Customer Portal: card, invoices, cancellation, paying what is due."""
    require(request, "billing.manage")
    merchant = merchant_current()
    try:
        url = portal_session_create(
            merchant=merchant,
            return_url=f"{merchant_url(request, merchant)}{PAGE}",
            language=_language(),
        )
    except DomainError as error:
        return _failed(request, error)
    return _see_other(url)


def billing_banner(request: HttpRequest, merchant: Merchant) -> dict[str, Any] | None:
    """What the banner at the top of every dashboard page says about billing, or None
    while the merchant pays. The clock applies: a trial that ended shows read-only."""
    if not request.user.is_authenticated:
        return None
    now = timezone.now()
    state = merchant.billing_state(now)
    if state == Merchant.Billing.ACTIVE:
        return None
    banner: dict[str, Any] = {
        "state": state,
        "can_manage": can(request.user, "billing.manage"),
        "page": PAGE,
    }
    if state == Merchant.Billing.READ_ONLY:
        banner["reason"] = merchant.read_only_why()
    elif state == Merchant.Billing.TRIALING:
        if merchant.trial_ends_at is None:
            return None
        banner["days"] = _days_left(merchant.trial_ends_at, now)
        banner["ends"] = merchant.trial_ends_at
    elif state == Merchant.Billing.PAST_DUE:
        banner["ends"] = merchant.grace_ends_at
        invoice = invoice_open(merchant)
        banner["pay_url"] = invoice.hosted_invoice_url if invoice else ""
        banner["portal"] = (
            not banner["pay_url"]
            and billing_configured()
            and StripeCustomer.objects.filter(merchant=merchant).exists()
        )
    return banner
