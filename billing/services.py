"""Changes to plans and usage."""

import datetime
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from tenants.models import Merchant

from .models import MessageUsage, Plan, Subscription


def texts_count(*, merchant_id: int, day: datetime.date | None = None) -> int:
    """Count one text message (SMS or WhatsApp) sent for the merchant this month;
    returns the month's count. One statement, safe when workers send side by side;
    called in the transaction that records the send, so it counts exactly the texts
    whose sending is recorded."""
    month = MessageUsage.month_of(day or timezone.localdate())
    table = MessageUsage._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO public.{table} (merchant_id, month, texts) VALUES (%s, %s, 1)
            ON CONFLICT (merchant_id, month) DO UPDATE SET texts = {table}.texts + 1
            RETURNING texts
            """,
            [merchant_id, month],
        )
        row = cursor.fetchone()
    return int(row[0]) if row else 0


# Stripe's subscription status -> the merchant's billing state. A Stripe trial (the
# owner subscribed with a card, first charge at the trial's end) counts as paying.
# "incomplete" (the first payment is still being taken) changes nothing.
STRIPE_STATES = {
    "trialing": Merchant.Billing.ACTIVE,
    "active": Merchant.Billing.ACTIVE,
    "past_due": Merchant.Billing.PAST_DUE,
    "unpaid": Merchant.Billing.READ_ONLY,
    "canceled": Merchant.Billing.READ_ONLY,
    "incomplete_expired": Merchant.Billing.READ_ONLY,
    "paused": Merchant.Billing.READ_ONLY,
}
_BILLING_FIELDS = [
    "billing_status",
    "past_due_since",
    "read_only_since",
    "read_only_reason",
    "plan",
]


def _when(stamp: int | None) -> datetime.datetime | None:
    return datetime.datetime.fromtimestamp(stamp, tz=datetime.UTC) if stamp else None


def _first_item(data: dict[str, Any]) -> dict[str, Any]:
    items = (data.get("items") or {}).get("data") or []
    return items[0] if items else {}


def _plan_for(price: dict[str, Any], data: dict[str, Any]) -> Plan | None:
    plan = Plan.objects.filter(stripe_price_id=price.get("id") or "-").first()
    if plan is None:
        code = (price.get("metadata") or {}).get("plan") or (data.get("metadata") or {}).get("plan")
        plan = Plan.objects.filter(code=code).first() if code else None
    return plan


def _monthly(price: dict[str, Any], quantity: int) -> int:
    amount = int(price.get("unit_amount") or 0) * max(quantity, 1)
    recurring = price.get("recurring") or {}
    per = int(recurring.get("interval_count") or 1)
    months = {"year": 12 * per, "month": per, "week": per / 4.345, "day": per / 30.44}
    return round(amount / months.get(recurring.get("interval", "month"), 1))


def merchant_billing_set(
    merchant: Merchant, state: str, *, at: datetime.datetime, reason: str = ""
) -> None:
    """Move a (locked) merchant to `state`: the dates the grace period and the
    read-only banner count from are kept while the state lasts and cleared after.
    Leaving read-only gives the customers back the time it lasted (`expiries_resume`)."""
    began = merchant.read_only_began(at)
    if began is not None and state != Merchant.Billing.READ_ONLY:
        expiries_resume(merchant=merchant, since=began, until=at)
    merchant.billing_status = state
    if state == Merchant.Billing.PAST_DUE:
        merchant.past_due_since = merchant.past_due_since or at
    else:
        merchant.past_due_since = None
    if state == Merchant.Billing.READ_ONLY:
        merchant.read_only_since = merchant.read_only_since or at
        merchant.read_only_reason = merchant.read_only_reason or reason
    else:
        merchant.read_only_since = None
        merchant.read_only_reason = ""


def expiries_resume(
    *, merchant: Merchant, since: datetime.datetime, until: datetime.datetime
) -> None:
    """The clock of expiries stops while a merchant is read-only: its customers could
    not spend their points or use their vouchers, so they lose nothing to the pause.
    The expiry jobs skip a read-only merchant; when it is writable again, every points
    lot not yet expired and every open redemption (pending or approved) has its expiry
    moved later by the length of the pause (`since` to `until`; lots by whole days,
    rounded up), and the lots are warned of again before their new date. Tier reviews
    not yet held move by the same days."""
    from django_tenants.utils import schema_context

    from points.services import lots_extend
    from rewards.services import redemptions_extend

    paused = until - since
    if paused <= datetime.timedelta(0):
        return
    with schema_context(merchant.schema_name):
        lots_extend(since=since, by=paused)
        redemptions_extend(since=since, by=paused)


def subscription_apply(
    *, merchant_id: int, data: dict[str, Any], seen_at: datetime.datetime
) -> Subscription | None:
    """Store Stripe's description `data` of the merchant's subscription (a Stripe
    Subscription object as a dict), true as of `seen_at`, and move the merchant's
    billing state with it. A description older than the stored one changes nothing
    and returns None: events that arrive out of order leave the newest state."""
    with transaction.atomic():
        merchant = Merchant.objects.select_for_update().get(pk=merchant_id)
        stored = (
            Subscription.objects.select_for_update()
            .filter(stripe_subscription_id=data["id"])
            .first()
        )
        if stored and stored.stripe_seen_at and stored.stripe_seen_at > seen_at:
            return None
        other = (
            Subscription.objects.filter(merchant=merchant)
            .exclude(stripe_subscription_id=data["id"])
            .first()
        )
        if other is not None:
            if data.get("status") in ("canceled", "incomplete_expired", "incomplete") or (
                other.stripe_seen_at and other.stripe_seen_at > seen_at
            ):
                # An old subscription ending, or older news, leaves the one that
                # replaced it alone.
                return None
            # One subscription per merchant: a newer one replaces the mirror of the
            # old (its invoices stay in the billing history).
            other.delete()
        item = _first_item(data)
        price = item.get("price") or {}
        plan = _plan_for(price, data)
        subscription = stored or Subscription(merchant=merchant, stripe_subscription_id=data["id"])
        subscription.merchant = merchant
        subscription.status = str(data.get("status") or "")
        subscription.plan = plan or subscription.plan
        subscription.monthly_amount = _monthly(price, int(item.get("quantity") or 1))
        subscription.currency = str(price.get("currency") or data.get("currency") or "").upper()
        subscription.current_period_end = _when(
            data.get("current_period_end") or item.get("current_period_end")
        )
        subscription.cancel_at_period_end = bool(data.get("cancel_at_period_end"))
        subscription.started_at = _when(data.get("start_date") or data.get("created"))
        subscription.canceled_at = _when(data.get("ended_at") or data.get("canceled_at"))
        subscription.stripe_seen_at = seen_at
        subscription.save()
        state = STRIPE_STATES.get(subscription.status)
        if state is not None:
            reason = "canceled" if subscription.status == "canceled" else "unpaid"
            was_read_only = merchant.billing_status == Merchant.Billing.READ_ONLY
            merchant_billing_set(merchant, state, at=seen_at, reason=reason)
            if plan is not None and state != Merchant.Billing.READ_ONLY:
                merchant.plan = plan
            merchant.save(update_fields=_BILLING_FIELDS)
            if state == Merchant.Billing.READ_ONLY and not was_read_only:
                from .clock import read_only_mail

                if merchant.email_verified:
                    read_only_mail(merchant, merchant.read_only_reason)
    return subscription
