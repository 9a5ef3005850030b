"""How long the relay's records are kept. The member's inbox is theirs and stays; the
outbox rows, deliveries and the sent-message record go after NOTIFY_KEEP_DAYS."""

import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from .models import Delivery, Outbox, SentMessage

BATCH = 5000


def messages_prune(*, at: datetime.datetime | None = None) -> int:
    """Delete finished messages older than the retention period, in batches; returns
    how many outbox rows went. A message with a delivery still waiting is kept."""
    cutoff = (at or timezone.now()) - datetime.timedelta(days=settings.NOTIFY_KEEP_DAYS)
    removed = 0
    while True:
        with transaction.atomic():
            ids = list(
                Outbox.objects.filter(status=Outbox.Status.DONE, processed_at__lt=cutoff)
                .exclude(deliveries__status=Delivery.Status.PENDING)
                .values_list("pk", flat=True)[:BATCH]
            )
            if not ids:
                break
            Delivery.objects.filter(message_id__in=ids).delete()
            Outbox.objects.filter(pk__in=ids).delete()
        removed += len(ids)
    SentMessage.objects.filter(created_at__lt=cutoff).delete()
    return removed
