"""Writes to the outbox. Called inside the transaction of the change it reports."""

from typing import Any

from points.models import Membership

from .models import OutboxMessage


def outbox_add(*, event: str, membership: Membership, **context: Any) -> OutboxMessage:
    return OutboxMessage.objects.create(
        event=event, membership=membership, customer_id=membership.customer_id, context=context
    )
