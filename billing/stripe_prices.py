"""The paid plans' Stripe Products and Prices, kept in step with `Plan`.

A Stripe Price cannot change its amount: when a plan's price (or the billing currency)
changes, a new Price is made and the old one archived, so subscriptions already on it
keep it until they change plan, and Checkout only offers the new one. Running the sync
again changes nothing and sends nothing.

The idempotency keys are made from the plan, its product, the amount and the currency:
a sync that failed half-way, run again, never makes a second Price for the same amount.
"""

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.utils.translation import gettext as _

from loyalty.formatting import money_text

from . import stripe_api
from .models import Plan
from .money import stripe_amount

log = logging.getLogger(__name__)


@dataclass
class PricesSynced:
    """What a sync did, for the command and the admin action to report."""

    created: list[str] = field(default_factory=list)  # "Growth: 35.000 JOD"
    replaced: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # plans that cannot be billed

    @property
    def changed(self) -> bool:
        return bool(self.created or self.replaced)


def plan_billed_amount(plan: Plan, currency: str | None = None) -> tuple[Decimal, str] | None:
    """What a plan costs a month in the billing currency, or None when it has no price
    in that currency (a USD platform and a plan without a USD price)."""
    currency = (currency or settings.BILLING_CURRENCY).upper()
    if currency == "USD":
        return (plan.price_usd, "USD") if plan.price_usd else None
    return plan.price, currency


def plans_paid() -> list[Plan]:
    return list(Plan.objects.filter(is_trial=False, price__gt=0).order_by("sort", "pk"))


def lookup_key(plan: Plan) -> str:
    return f"plan_{plan.code}_monthly"


def _product_ensure(plan: Plan) -> str:
    if plan.stripe_product_id:
        return plan.stripe_product_id
    product = stripe_api.product_create(
        params={
            "name": plan.name,
            "metadata": {"plan": plan.code},
        },
        idempotency_key=f"plan-product-{plan.code}",
    )
    plan.stripe_product_id = product["id"]
    plan.save(update_fields=["stripe_product_id"])
    return plan.stripe_product_id


def _price_create(plan: Plan, product_id: str, amount: int, currency: str) -> str:
    price = stripe_api.price_create(
        params={
            "product": product_id,
            "unit_amount": amount,
            "currency": currency.lower(),
            "recurring": {"interval": "month", "interval_count": 1},
            "lookup_key": lookup_key(plan),
            # The lookup key names the plan's current Price: it moves to the new one.
            "transfer_lookup_key": True,
            "nickname": plan.name,
            "metadata": {"plan": plan.code},
        },
        idempotency_key=f"plan-price-{plan.code}-{product_id}-{amount}-{currency.lower()}",
    )
    if price.get("active") is False:
        # The same amount again within a day of archiving it: Stripe's idempotency
        # answers with that (archived) Price, which is brought back.
        stripe_api.price_update(
            price["id"],
            params={"active": True, "lookup_key": lookup_key(plan), "transfer_lookup_key": True},
        )
    return str(price["id"])


def plan_price_sync(plan: Plan, report: PricesSynced) -> None:
    billed = plan_billed_amount(plan)
    if billed is None:
        log.warning("Plan %s has no %s price.", plan.code, settings.BILLING_CURRENCY)
        report.skipped.append(
            _("%(plan)s: no price in %(currency)s")
            % {"plan": plan.name, "currency": settings.BILLING_CURRENCY}
        )
        return
    price, currency = billed
    try:
        amount = stripe_amount(price, currency)
    except ValueError as error:
        log.warning("Plan %s cannot be billed: %s", plan.code, error)
        report.skipped.append(_("%(plan)s: %(error)s") % {"plan": plan.name, "error": error})
        return
    label = f"{plan.name}: {money_text(price, currency)}"
    if (
        plan.stripe_price_id
        and plan.stripe_price_amount == amount
        and plan.stripe_price_currency.upper() == currency
    ):
        report.unchanged.append(label)
        return
    product_id = _product_ensure(plan)
    old_price_id = plan.stripe_price_id
    new_price_id = _price_create(plan, product_id, amount, currency)
    if old_price_id and old_price_id != new_price_id:
        stripe_api.price_update(old_price_id, params={"active": False})
    plan.stripe_price_id = new_price_id
    plan.stripe_price_amount = amount
    plan.stripe_price_currency = currency
    plan.save(update_fields=["stripe_price_id", "stripe_price_amount", "stripe_price_currency"])
    (report.replaced if old_price_id else report.created).append(label)


def plan_prices_sync(*, plans: Iterable[Plan] | None = None) -> PricesSynced:
    """Give every paid plan (or those of `plans` that are paid) a Stripe Product and a
    monthly Price at its current price in the billing currency. Idempotent: a second
    run sends nothing."""
    report = PricesSynced()
    codes = {plan.code for plan in plans} if plans is not None else None
    for plan in plans_paid():
        if codes is None or plan.code in codes:
            plan_price_sync(plan, report)
    return report
