"""Stripe's webhook events: stored once when they arrive, then processed on a worker.

Events arrive late, twice and out of order. So an event is a nudge, not the truth: for
the subscription's state the worker asks Stripe for the subscription as it is now and
stores that (`subscription_apply` keeps the newest description); only when Stripe no
longer has it is the event's own copy used, as of the event's creation. Invoices are
stored from the event, an older description never replacing a newer one.

Everything written here is in the public schema (customers, subscriptions, invoices,
the merchant row): no merchant schema is entered.
"""

import datetime
import json
import logging
from typing import Any

import stripe
from django.db import connection, transaction
from django.utils import timezone

from tenants.models import Merchant

from . import stripe_api
from .invoices import invoice_apply, invoice_subscription_id
from .models import StripeCustomer, StripeEvent
from .services import subscription_apply

logger = logging.getLogger(__name__)

SUBSCRIPTION_EVENTS = frozenset(
    {
        "customer.subscription.created",
        "customer.subscription.updated",
        "customer.subscription.deleted",
        "customer.subscription.trial_will_end",
    }
)
INVOICE_EVENTS = frozenset(
    {"invoice.paid", "invoice.payment_failed", "invoice.payment_succeeded", "invoice.finalized"}
)
CHECKOUT_COMPLETED = "checkout.session.completed"
HANDLED = SUBSCRIPTION_EVENTS | INVOICE_EVENTS | {CHECKOUT_COMPLETED}
UNKNOWN_CUSTOMER = "unknown customer"


def stripe_event_receive(*, data: dict[str, Any]) -> int:
    """Store a verified event (Stripe's JSON) and queue its processing after the
    commit; returns the stored row's id. The same event again stores nothing and
    queues nothing, unless its first processing has not finished (the worker was
    lost, or Stripe's API kept failing): then it is queued again, and the worker
    does nothing if the first run finished in between."""
    table = StripeEvent._meta.db_table
    created = datetime.datetime.fromtimestamp(data["created"], tz=datetime.UTC)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO public.{table}
                (event_id, type, created, received_at, payload, error)
            VALUES (%s, %s, %s, %s, %s::jsonb, '')
            ON CONFLICT (event_id) DO NOTHING
            RETURNING id
            """,
            [data["id"], data["type"], created, timezone.now(), json.dumps(data)],
        )
        row = cursor.fetchone()
        if row is None:
            stored = StripeEvent.objects.values_list("pk", "processed_at").get(event_id=data["id"])
            pk, unfinished = stored[0], stored[1] is None
        else:
            pk, unfinished = row[0], True
        if unfinished:
            transaction.on_commit(lambda: _queue(pk))
    return int(pk)


def _queue(event_pk: int) -> None:
    from .tasks import stripe_event_process as task

    task.delay(event_pk)


def _id_of(value: Any) -> str:
    if isinstance(value, dict):
        value = value.get("id")
    return str(value or "")


def _merchant_id(value: Any) -> int | None:
    try:
        merchant_id = int(value)
    except (TypeError, ValueError):
        return None
    return merchant_id if Merchant.objects.filter(pk=merchant_id).exists() else None


def _merchant_of(event_type: str, obj: dict[str, Any]) -> int | None:
    """Whose event this is: Stripe names the customer, StripeCustomer the merchant.
    A finished Checkout (and a subscription made by one) names the merchant itself
    (`client_reference_id`, `metadata.merchant_id`): the customer is recorded then."""
    customer = _id_of(obj.get("customer"))
    found = None
    if customer:
        known = StripeCustomer.objects.filter(customer_id=customer)
        found = known.values_list("merchant_id", flat=True).first()
    if found is not None or event_type not in (CHECKOUT_COMPLETED, *SUBSCRIPTION_EVENTS):
        return found
    metadata = obj.get("metadata") or {}
    return _merchant_id(obj.get("client_reference_id") or metadata.get("merchant_id"))


def _subscription_id(event_type: str, obj: dict[str, Any]) -> str:
    if event_type == CHECKOUT_COMPLETED:
        return _id_of(obj.get("subscription"))
    if event_type in INVOICE_EVENTS:
        return invoice_subscription_id(obj)
    if event_type in SUBSCRIPTION_EVENTS and event_type != "customer.subscription.trial_will_end":
        return _id_of(obj.get("id"))
    return ""


def _subscription_latest(
    event: StripeEvent, obj: dict[str, Any]
) -> tuple[dict[str, Any] | None, datetime.datetime]:
    """The subscription the event is about as Stripe has it now, and since when that
    is known; the event's own copy as of the event when Stripe has it no more."""
    subscription_id = _subscription_id(event.type, obj)
    if not subscription_id:
        return None, event.created
    asked_at = timezone.now()
    try:
        return stripe_api.subscription_fetch(subscription_id), asked_at
    except stripe.InvalidRequestError as error:
        if error.http_status != 404:
            raise
    if event.type in SUBSCRIPTION_EVENTS:
        return obj, event.created
    return None, event.created


def _customer_record(*, merchant_id: int, customer_id: str) -> str:
    """Note whose customer `customer_id` is; returns an error text when it is already
    another merchant's."""
    owner = StripeCustomer.objects.filter(customer_id=customer_id).first()
    if owner is not None:
        return "" if owner.merchant_id == merchant_id else "customer of another merchant"
    StripeCustomer.objects.update_or_create(
        merchant_id=merchant_id, defaults={"customer_id": customer_id}
    )
    return ""


def stripe_event_process(*, event_pk: int) -> StripeEvent:
    """Bring the merchant's subscription and invoices in line with what the event
    says happened; once: a processed event is left alone. A Stripe or network error
    is noted on the event and raised (the task retries); an event of a customer no
    merchant has is marked processed with an error, never retried."""
    event = StripeEvent.objects.get(pk=event_pk)
    if event.processed_at is not None:
        return event
    obj: dict[str, Any] = (event.payload.get("data") or {}).get("object") or {}
    merchant_id = _merchant_of(event.type, obj) if event.type in HANDLED else None
    subscription, seen_at = None, event.created
    if merchant_id is not None:
        try:
            subscription, seen_at = _subscription_latest(event, obj)
        except stripe.StripeError as error:
            text = f"{type(error).__name__}: {error.user_message or error}"
            StripeEvent.objects.filter(pk=event_pk).update(error=text[:2000])
            raise
    with transaction.atomic():
        event = StripeEvent.objects.select_for_update().get(pk=event_pk)
        if event.processed_at is not None:
            return event
        event.error = ""
        if event.type in HANDLED and merchant_id is None:
            event.error = UNKNOWN_CUSTOMER
        elif merchant_id is not None:
            event.merchant_id = merchant_id
            customer = _id_of(obj.get("customer"))
            if customer:
                event.error = _customer_record(merchant_id=merchant_id, customer_id=customer)
        if merchant_id is not None and not event.error:
            if event.type in INVOICE_EVENTS and obj.get("id"):
                invoice_apply(
                    merchant_id=merchant_id,
                    data=obj,
                    seen_at=event.created,
                    payment_failed=event.type == "invoice.payment_failed",
                )
            if subscription is not None:
                subscription_apply(merchant_id=merchant_id, data=subscription, seen_at=seen_at)
        event.processed_at = timezone.now()
        event.save(update_fields=["processed_at", "merchant", "error"])
    if event.error:
        logger.warning("Stripe event %s (%s): %s", event.event_id, event.type, event.error)
    return event
