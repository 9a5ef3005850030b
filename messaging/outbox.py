"""Writes to the outbox. Called inside the transaction of the change it reports, so a
message exists exactly when its change does."""

import datetime
from typing import Any, Protocol

from django.db import models, transaction

from loyalty.db import connection

from .models import MARKETING_EVENTS, Kind, Outbox
from .secrets import seal, secrets_split


class Writes(Protocol):
    """Writes sent later in one statement (`points.ledger.LedgerWrites`)."""

    def insert(self, obj: models.Model) -> None: ...


def kind_of(event: str) -> str:
    return Kind.MARKETING if event in MARKETING_EVENTS else Kind.TRANSACTIONAL


def outbox_add(
    *,
    event: str,
    membership: Any = None,
    customer_id: int | None = None,
    to_email: str = "",
    language: str = "",
    dedupe_key: str | None = None,
    available_at: datetime.datetime | None = None,
    writes: Writes | None = None,
    **context: Any,
) -> Outbox | None:
    """Queue a message about `event` for a member (merchant schema) or an address.

    Returns None when `dedupe_key` was already used: the message is queued once.
    Context keys starting with `secret_` are secrets (links, codes): stored encrypted,
    apart from the context, and shown hidden everywhere (see `messaging.secrets`).
    With `writes` (and no `dedupe_key`) the row is written with the caller's other
    writes, in one statement, when the caller flushes them.
    """
    context, secrets = secrets_split(context)
    fields: dict[str, Any] = {
        "event": event,
        "kind": kind_of(event),
        "membership_id": membership.pk if membership is not None else None,
        "customer_id": membership.customer_id if membership is not None else customer_id,
        "to_email": to_email,
        "language": language,
        "context": context,
        "secrets": seal(secrets),
    }
    if available_at is not None:
        fields["available_at"] = available_at
    if writes is not None and dedupe_key is None:
        message = Outbox(**fields)
        writes.insert(message)
    elif dedupe_key is None:
        message = Outbox.objects.create(**fields)
    else:
        message, created = Outbox.objects.get_or_create(dedupe_key=dedupe_key, defaults=fields)
        if not created:
            return None
    relay_kick_on_commit()
    return message


def relay_kick_on_commit() -> None:
    """Ask a worker to relay this schema's outbox once the transaction commits."""
    schema = connection.schema_name

    def kick() -> None:
        from .tasks import relay_kick

        relay_kick(schema)

    transaction.on_commit(kick)


def outbox_add_many(
    *,
    event: str,
    messages: list[tuple[Any, dict[str, Any]]],
    available_at: datetime.datetime | None = None,
) -> list[Outbox]:
    """Queue one message about `event` for each (membership, context) pair, in one
    INSERT and with one relay kick: `outbox_add` for a nightly job's thousands. No
    dedupe key and no secrets (a context key starting with `secret_` is refused)."""
    rows = []
    for membership, context in messages:
        if any(key.startswith("secret_") for key in context):
            raise ValueError("outbox_add_many takes no secrets; use outbox_add")
        row = Outbox(
            event=event,
            kind=kind_of(event),
            membership_id=membership.pk,
            customer_id=membership.customer_id,
            context=context,
        )
        if available_at is not None:
            row.available_at = available_at
        rows.append(row)
    if not rows:
        return []
    created = Outbox.objects.bulk_create(rows)
    relay_kick_on_commit()
    return created
