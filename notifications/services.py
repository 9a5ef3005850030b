"""The inbox and merchant broadcasts."""

import json
from dataclasses import dataclass

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from billing.limits import plan_limit_require
from loyalty.db import connection
from loyalty.errors import Conflict, DomainError, NotFound
from messaging.models import Delivery, Event, Kind, Outbox
from messaging.outbox import relay_kick_on_commit
from messaging.texts import template_validate
from points.models import Membership
from tenants.selectors import merchant_current
from tenants.services import merchant_email_verified_require, merchant_writable_require

from .models import Broadcast, InboxItem
from .selectors import broadcast_members

# --- inbox ---------------------------------------------------------------------------


def inbox_mark_read(*, membership: Membership, item_id: int) -> InboxItem:
    item = InboxItem.objects.filter(membership=membership, pk=item_id).first()
    if item is None:
        raise NotFound("inbox_item_not_found", "No such message in your inbox.")
    if item.read_at is None:
        item.read_at = timezone.now()
        item.save(update_fields=["read_at"])
    return item


def inbox_mark_all_read(*, membership: Membership) -> int:
    return InboxItem.objects.filter(membership=membership, read_at__isnull=True).update(
        read_at=timezone.now()
    )


# --- broadcasts ----------------------------------------------------------------------


def broadcast_audience(broadcast: Broadcast) -> QuerySet[Membership]:
    return broadcast_members(segment=broadcast.segment, tier_id=broadcast.tier_id)


BROADCAST_TEXTS = ("title_en", "body_en", "title_ar", "body_ar")


def broadcast_validate(broadcast: Broadcast) -> None:
    """Raise ValidationError, by field, when the broadcast cannot be sent as written."""
    errors: dict[str, ValidationError] = {}
    for field in BROADCAST_TEXTS:
        try:
            template_validate(Event.BROADCAST, getattr(broadcast, field))
        except ValidationError as error:
            errors[field] = error
    if bool(broadcast.title_ar) != bool(broadcast.body_ar):
        missing = "body_ar" if broadcast.title_ar else "title_ar"
        errors[missing] = ValidationError(
            _(
                "Write both the Arabic title and text, or leave both empty: members who "
                "chose Arabic then get the English."
            ),
            code="broadcast_arabic_half",
        )
    if broadcast.segment == Broadcast.Segment.TIER and broadcast.tier_id is None:
        errors["tier"] = ValidationError(
            _("Choose the tier to send to."), code="broadcast_tier_required"
        )
    if not broadcast.channels():
        errors[NON_FIELD_ERRORS] = ValidationError(
            _("Choose at least one channel."), code="broadcast_no_channel"
        )
    if errors:
        raise ValidationError(errors)


def broadcast_send(*, broadcast_id: int) -> Broadcast:
    """Queue the broadcast for every member of its segment, in one statement: either
    all of the audience is queued or none of it. Sending twice queues nothing more.

    On WhatsApp, the plan must include it; by SMS or WhatsApp, the month's texts must
    not be used up (`plan_limit_reached`). With a few texts left it goes out: the
    relay sends texts while the allowance lasts, and skips the rest."""
    merchant = merchant_current()
    merchant_writable_require(merchant)
    merchant_email_verified_require(merchant)
    with transaction.atomic():
        broadcast = Broadcast.objects.select_for_update().get(pk=broadcast_id)
        if broadcast.status != Broadcast.Status.DRAFT:
            raise Conflict("broadcast_already_sent", "This broadcast has already been sent.")
        try:
            broadcast_validate(broadcast)
        except ValidationError as invalid:
            raise DomainError("broadcast_invalid", " ".join(invalid.messages)) from invalid
        if broadcast.whatsapp:
            plan_limit_require("whatsapp", merchant=merchant)
        if broadcast.sms or broadcast.whatsapp:
            plan_limit_require("texts", merchant=merchant)
        now = timezone.now()
        audience_sql, audience_params = (
            broadcast_audience(broadcast).values("pk").query.sql_with_params()
        )
        context = {
            "title_en": broadcast.title_en,
            "body_en": broadcast.body_en,
            "title_ar": broadcast.title_ar,
            "body_ar": broadcast.body_ar,
            "channels": broadcast.channels(),
        }
        with connection.cursor() as cursor:
            cursor.execute(
                f"""
                INSERT INTO {Outbox._meta.db_table}
                    (event, kind, customer_id, membership_id, broadcast_id, to_email, language,
                     context, dedupe_key, status, available_at, created_at)
                SELECT %s, %s, m.customer_id, m.id, %s, '', '', %s::jsonb,
                       'broadcast:' || %s || ':' || m.id, 'pending', %s, %s
                FROM {Membership._meta.db_table} m
                WHERE m.id IN ({audience_sql})
                ON CONFLICT (dedupe_key) DO NOTHING
                """,
                [
                    Event.BROADCAST,
                    Kind.MARKETING,
                    broadcast.pk,
                    json.dumps(context),
                    broadcast.pk,
                    # The application's clock, as for every row written through the ORM.
                    now,
                    now,
                    *audience_params,
                ],
            )
            queued = cursor.rowcount
        broadcast.audience_size = queued
        broadcast.status = Broadcast.Status.SENDING
        broadcast.sent_at = now
        broadcast.save(update_fields=["audience_size", "status", "sent_at"])
        relay_kick_on_commit()
    return broadcast


@dataclass(frozen=True)
class Progress:
    """Where each member of a broadcast's audience is; the four add up to the audience.

    - reached: delivered on at least one channel (sent, or recorded without a provider);
    - waiting: nothing delivered yet and something still to do (not fanned out yet, a
      channel waiting for the morning or for a retry);
    - skipped: every channel skipped (no consent, no address there, plan without it);
    - failed: nothing delivered, nothing waiting, at least one channel failed for good.
    """

    audience: int
    reached: int
    waiting: int
    skipped: int
    failed: int


def broadcast_progress(broadcast: Broadcast) -> Progress:
    """How far the broadcast has gone, one member (outbox row) counted once."""
    deliveries = Delivery.objects.filter(message_id=OuterRef("pk"))
    delivered = Exists(
        deliveries.filter(status__in=[Delivery.Status.SENT, Delivery.Status.RECORDED])
    )
    pending = Exists(deliveries.filter(status=Delivery.Status.PENDING))
    dead = Exists(deliveries.filter(status=Delivery.Status.DEAD))
    not_delivered = ~Q(delivered)
    waiting = not_delivered & (Q(status=Outbox.Status.PENDING) | Q(pending))
    counts = Outbox.objects.filter(broadcast_id=broadcast.pk).aggregate(
        audience=Count("pk"),
        reached=Count("pk", filter=Q(delivered)),
        waiting=Count("pk", filter=waiting),
        failed=Count("pk", filter=not_delivered & ~waiting & Q(dead)),
    )
    skipped = counts["audience"] - counts["reached"] - counts["waiting"] - counts["failed"]
    return Progress(skipped=skipped, **counts)


def broadcasts_finish() -> int:
    """Mark sending broadcasts sent once no member of their audience is waiting
    (marketing held for the night still counts as waiting)."""
    finished = 0
    for broadcast in Broadcast.objects.filter(status=Broadcast.Status.SENDING):
        if broadcast_progress(broadcast).waiting == 0:
            Broadcast.objects.filter(pk=broadcast.pk, status=Broadcast.Status.SENDING).update(
                status=Broadcast.Status.SENT
            )
            finished += 1
    return finished
