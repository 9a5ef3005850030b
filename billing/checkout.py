"""A merchant paying online: its Stripe customer, the Checkout Session that starts a
subscription, the return from Checkout, and Customer Portal sessions (change plan,
card, invoices, cancel).

Stripe is called first and what it answered is stored after, never inside a database
transaction. The webhook brings the same news a moment later; storing it twice is
harmless (`subscription_apply` keeps the newest).
"""

import datetime
import re
import uuid
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from loyalty.errors import DomainError
from tenants.models import Merchant

from . import stripe_api
from .models import Plan, StripeCustomer, Subscription
from .selectors import subscription_live
from .services import subscription_apply

# A trial with less than this left is not carried into the subscription: Stripe wants
# a trial end at least two days ahead (and paying at once is then simpler).
TRIAL_CARRIED_MIN = datetime.timedelta(days=2)
# One Checkout attempt: a token the subscription page puts in its form, so a double
# click makes one session, and the next visit to the page a new one.
ATTEMPT = re.compile(r"^[0-9a-f]{32}$")


def stripe_locale(language: str) -> str:
    """Checkout's and the Portal's language: English, or the browser's choice for
    Arabic, which Stripe's pages do not offer."""
    return "en" if language.startswith("en") else "auto"


def stripe_customer_ensure(*, merchant: Merchant, language: str) -> str:
    """The merchant's Stripe customer id, made on first need."""
    known = StripeCustomer.objects.filter(merchant=merchant).first()
    if known is not None:
        return known.customer_id
    customer = stripe_api.customer_create(
        params={
            "email": merchant.contact_email,
            "name": merchant.name,
            "preferred_locales": ["ar", "en"] if language.startswith("ar") else ["en"],
            "metadata": {
                "merchant_id": str(merchant.pk),
                "merchant_slug": merchant.slug,
                "schema": merchant.schema_name,
            },
        },
        # One customer per merchant whatever retries: a merchant made again under the
        # same id (a reset test database) is another key.
        idempotency_key=f"customer-{merchant.schema_name}-{merchant.pk}-"
        f"{int(merchant.created_at.timestamp())}",
    )
    return stripe_customer_record(merchant=merchant, customer_id=customer["id"])


def stripe_customer_record(*, merchant: Merchant, customer_id: str) -> str:
    """Remember which merchant a Stripe customer is (webhooks name only the customer).
    Returns the merchant's customer id: the first one recorded stays."""
    try:
        with transaction.atomic():
            record, _created = StripeCustomer.objects.get_or_create(
                merchant=merchant, defaults={"customer_id": customer_id}
            )
    except IntegrityError:  # recorded at the same moment by the webhook
        record = StripeCustomer.objects.get(merchant=merchant)
    return record.customer_id


def _plan_price(plan: Plan) -> str:
    if plan.is_trial or not plan.stripe_price_id:
        raise DomainError(
            "invalid",
            _("This plan cannot be bought online yet."),
            fields={"plan": plan.code},
        )
    return plan.stripe_price_id


def _trial_end(merchant: Merchant, now: datetime.datetime) -> int | None:
    """The trial's end when enough of it is left: paying early loses no trial days."""
    if merchant.billing_state(now) != Merchant.Billing.TRIALING or merchant.trial_ends_at is None:
        return None
    if merchant.trial_ends_at - now < TRIAL_CARRIED_MIN:
        return None
    return int(merchant.trial_ends_at.timestamp())


def trial_carried(merchant: Merchant, now: datetime.datetime | None = None) -> bool:
    return _trial_end(merchant, now or timezone.now()) is not None


def checkout_session_create(
    *,
    merchant: Merchant,
    plan: Plan,
    base_url: str,
    language: str,
    attempt: str,
    now: datetime.datetime | None = None,
) -> str:
    """Start paying for `plan` on Stripe Checkout; returns the page to send the owner
    to. `base_url` is the merchant's dashboard address as the owner reaches it."""
    if not ATTEMPT.match(attempt):
        raise DomainError("invalid", _("Open the subscription page again and choose a plan."))
    price_id = _plan_price(plan)
    customer_id = stripe_customer_ensure(merchant=merchant, language=language)
    metadata = {"merchant_id": str(merchant.pk), "plan": plan.code}
    subscription_data: dict[str, Any] = {"metadata": metadata}
    trial_end = _trial_end(merchant, now or timezone.now())
    if trial_end is not None:
        subscription_data["trial_end"] = trial_end
    session = stripe_api.checkout_session_create(
        params={
            "mode": "subscription",
            "customer": customer_id,
            "line_items": [{"price": price_id, "quantity": 1}],
            "client_reference_id": str(merchant.pk),
            "metadata": metadata,
            "subscription_data": subscription_data,
            "locale": stripe_locale(language),
            "success_url": f"{base_url}/admin/subscription/done/"
            "?session_id={CHECKOUT_SESSION_ID}",
            "cancel_url": f"{base_url}/admin/subscription/",
        },
        idempotency_key=f"checkout-{merchant.pk}-{plan.code}-{price_id}-{attempt}",
    )
    return str(session["url"])


def checkout_session_complete(
    *, merchant: Merchant, session_id: str, now: datetime.datetime | None = None
) -> Subscription | None:
    """The owner came back from Checkout: store the subscription it made at once, so
    the dashboard is active before the webhook arrives. A session of another merchant
    is refused; one not paid yet changes nothing (None)."""
    session = stripe_api.checkout_session_retrieve(session_id)
    if session.get("client_reference_id") != str(merchant.pk):
        raise DomainError("not_found", _("This payment is not this shop's."))
    customer = session.get("customer")
    if isinstance(customer, dict):
        customer = customer.get("id")
    if customer:
        stripe_customer_record(merchant=merchant, customer_id=str(customer))
    data = session.get("subscription")
    if not isinstance(data, dict) or session.get("status") != "complete":
        return None
    return subscription_apply(merchant_id=merchant.pk, data=data, seen_at=now or timezone.now())


def subscription_refresh(
    *, merchant: Merchant, now: datetime.datetime | None = None
) -> Subscription | None:
    """Ask Stripe for the merchant's subscription as it is now and store it (after a
    change of plan in the Portal, before its webhook)."""
    stored = Subscription.objects.filter(merchant=merchant).first()
    if stored is None:
        return None
    data = stripe_api.subscription_retrieve(stored.stripe_subscription_id)
    return subscription_apply(merchant_id=merchant.pk, data=data, seen_at=now or timezone.now())


def _customer_of(merchant: Merchant) -> str:
    known = StripeCustomer.objects.filter(merchant=merchant).first()
    if known is None:
        raise DomainError("not_found", _("Choose a plan first: there is nothing to manage yet."))
    return known.customer_id


def portal_session_create(*, merchant: Merchant, return_url: str, language: str) -> str:
    """The Customer Portal for the merchant's card, invoices and cancellation."""
    session = stripe_api.portal_session_create(
        params={
            "customer": _customer_of(merchant),
            "return_url": return_url,
            "locale": stripe_locale(language),
        },
        idempotency_key=f"portal-{merchant.pk}-{uuid.uuid4().hex}",
    )
    return str(session["url"])


def plan_change_session_create(
    *, merchant: Merchant, plan: Plan, return_url: str, done_url: str, language: str
) -> str:
    """The Customer Portal's confirmation of a change to `plan` (Stripe prorates)."""
    price_id = _plan_price(plan)
    stored = subscription_live(merchant)
    if stored is None:
        raise DomainError("not_found", _("Choose a plan first: there is nothing to change yet."))
    current = stripe_api.subscription_retrieve(stored.stripe_subscription_id)
    items = (current.get("items") or {}).get("data") or []
    if not items:
        raise DomainError("billing_failed", _("The subscription at Stripe has no plan to change."))
    session = stripe_api.portal_session_create(
        params={
            "customer": _customer_of(merchant),
            "return_url": return_url,
            "locale": stripe_locale(language),
            "flow_data": {
                "type": "subscription_update_confirm",
                "subscription_update_confirm": {
                    "subscription": stored.stripe_subscription_id,
                    "items": [{"id": items[0]["id"], "price": price_id, "quantity": 1}],
                },
                "after_completion": {
                    "type": "redirect",
                    "redirect": {"return_url": done_url},
                },
            },
        },
        idempotency_key=f"plan-change-{merchant.pk}-{plan.code}-{uuid.uuid4().hex}",
    )
    return str(session["url"])
