"""The merchant's invoices as Stripe describes them in its events."""

import datetime
from typing import Any

from django.db import transaction

from .models import Invoice


def _at(stamp: Any) -> datetime.datetime | None:
    return datetime.datetime.fromtimestamp(int(stamp), tz=datetime.UTC) if stamp else None


def invoice_subscription_id(data: dict[str, Any]) -> str:
    """The subscription an invoice bills, where the API version puts it (top level up
    to 2025-03, under `parent` since)."""
    found = data.get("subscription") or (
        ((data.get("parent") or {}).get("subscription_details") or {}).get("subscription")
    )
    if isinstance(found, dict):
        found = found.get("id")
    return str(found or "")


def invoice_apply(
    *,
    merchant_id: int,
    data: dict[str, Any],
    seen_at: datetime.datetime,
    payment_failed: bool = False,
) -> Invoice | None:
    """Store Stripe's description `data` of an invoice (a Stripe Invoice as a dict), true
    as of `seen_at`. An older description than the stored one changes nothing and
    returns None; a paid invoice stays paid (Stripe never unpays one, so a late
    `invoice.payment_failed` of it is old news). `payment_failed` notes a failed
    attempt at `seen_at`."""
    with transaction.atomic():
        stored = Invoice.objects.select_for_update().filter(stripe_invoice_id=data["id"]).first()
        if stored and stored.stripe_seen_at and stored.stripe_seen_at > seen_at:
            return None
        invoice = stored or Invoice(stripe_invoice_id=data["id"], merchant_id=merchant_id)
        status = str(data.get("status") or invoice.status or Invoice.Status.DRAFT)
        if invoice.status == Invoice.Status.PAID or status not in Invoice.Status.values:
            status = invoice.status or Invoice.Status.DRAFT
        invoice.status = status
        invoice.number = str(data.get("number") or invoice.number)
        invoice.currency = str(data.get("currency") or invoice.currency).upper()
        invoice.amount_due = int(data.get("amount_due") or 0)
        invoice.amount_paid = max(int(data.get("amount_paid") or 0), invoice.amount_paid)
        invoice.period_start = _at(data.get("period_start")) or invoice.period_start
        invoice.period_end = _at(data.get("period_end")) or invoice.period_end
        invoice.created = _at(data.get("created")) or invoice.created or seen_at
        transitions = data.get("status_transitions") or {}
        invoice.paid_at = invoice.paid_at or _at(transitions.get("paid_at"))
        if status == Invoice.Status.PAID and invoice.paid_at is None:
            invoice.paid_at = seen_at
        if payment_failed and status != Invoice.Status.PAID:
            invoice.payment_failed_at = max(filter(None, [invoice.payment_failed_at, seen_at]))
        invoice.attempt_count = max(int(data.get("attempt_count") or 0), invoice.attempt_count)
        url = data.get("hosted_invoice_url") or invoice.hosted_invoice_url
        invoice.hosted_invoice_url = str(url)
        invoice.stripe_seen_at = seen_at
        invoice.save()
    return invoice
