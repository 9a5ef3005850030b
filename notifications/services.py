"""The inbox and merchant broadcasts."""

import datetime
import json

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from loyalty.db import connection
from loyalty.errors import Conflict, DomainError, NotFound
from messaging.models import Delivery, Event, Kind, Outbox
from messaging.outbox import relay_kick_on_commit
from messaging.texts import template_validate
from points.models import Membership
from points.selectors import local_date
from tenants.selectors import merchant_current
from tenants.services import merchant_email_verified_require

from .models import Broadcast, InboxItem

INACTIVE_DAYS = 30


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
    members = Membership.objects.filter(status=Membership.Status.ACTIVE)
    segment = broadcast.segment
    if segment == Broadcast.Segment.TIER:
        return members.filter(tier=broadcast.tier)
    if segment == Broadcast.Segment.INACTIVE_30:
        since = timezone.now() - datetime.timedelta(days=INACTIVE_DAYS)
        return members.filter(
            Q(last_visit_at__lt=since) | Q(last_visit_at__isnull=True, joined_at__lt=since)
        )
    if segment == Broadcast.Segment.BIRTHDAY_MONTH:
        return members.filter(customer__birthday__month=local_date(timezone.now()).month)
    return members


BROADCAST_TEXTS = ("title_en", "body_en", "title_ar", "body_ar")


def broadcast_validate(broadcast: Broadcast) -> None:
    """Raise ValidationError, by field, when the broadcast cannot be sent as written."""
    errors: dict[str, ValidationError] = {}
    for field in BROADCAST_TEXTS:
        try:
            template_validate(Event.BROADCAST, getattr(broadcast, field))
        except ValidationError as error:
            errors[field] = error
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
    all of the audience is queued or none of it. Sending twice queues nothing more."""
    merchant_email_verified_require(merchant_current())
    with transaction.atomic():
        broadcast = Broadcast.objects.select_for_update().get(pk=broadcast_id)
        if broadcast.status != Broadcast.Status.DRAFT:
            raise Conflict("broadcast_already_sent", "This broadcast has already been sent.")
        try:
            broadcast_validate(broadcast)
        except ValidationError as invalid:
            raise DomainError("broadcast_invalid", " ".join(invalid.messages)) from invalid
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


def broadcast_progress(broadcast: Broadcast) -> dict[str, int]:
    """How far the broadcast has gone: members reached, and deliveries by status."""
    messages = Outbox.objects.filter(broadcast_id=broadcast.pk).aggregate(
        total=Count("id"), fanned_out=Count("id", filter=Q(status=Outbox.Status.DONE))
    )
    deliveries = Delivery.objects.filter(message__broadcast_id=broadcast.pk).aggregate(
        waiting=Count("id", filter=Q(status=Delivery.Status.PENDING)),
        delivered=Count(
            "id", filter=Q(status__in=[Delivery.Status.SENT, Delivery.Status.RECORDED])
        ),
        skipped=Count("id", filter=Q(status=Delivery.Status.SKIPPED)),
        failed=Count("id", filter=Q(status=Delivery.Status.DEAD)),
    )
    return {**messages, **deliveries}


def broadcasts_finish() -> int:
    """Mark sending broadcasts sent once every message is fanned out and no delivery
    is waiting (marketing held for the night still counts as waiting)."""
    finished = 0
    for broadcast in Broadcast.objects.filter(status=Broadcast.Status.SENDING):
        progress = broadcast_progress(broadcast)
        if progress["fanned_out"] == progress["total"] and progress["waiting"] == 0:
            Broadcast.objects.filter(pk=broadcast.pk).update(status=Broadcast.Status.SENT)
            finished += 1
    return finished
