"""Idempotency keys for balance changes.

Inside the caller's transaction, the key is claimed with an INSERT ... ON CONFLICT DO
NOTHING. The unique index makes a second request with the same key wait until the
first commits or rolls back, so exactly one of them does the work:

* first use: the caller does the work and stores its result with `finish()`;
* same key, same input: the stored result comes back and nothing is written;
* same key, different input (or another operation): `idempotency_key_reused`.

A failed request rolls back its claim too, so it can be retried with the same key.
Records are kept at least 24 hours (`idempotency_prune` drops those older than 48).
"""

import datetime
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from loyalty.db import connection
from loyalty.errors import Conflict, DomainError

from .models import IdempotencyRecord

KEEP_HOURS = 48


@dataclass
class Claim:
    record_id: int | None
    replay: dict[str, Any] | None

    def finish(self, result: dict[str, Any]) -> None:
        if self.record_id is not None:
            IdempotencyRecord.objects.filter(pk=self.record_id).update(result=result)


def _hash(operation: str, payload: dict[str, Any]) -> str:
    text = json.dumps({"op": operation, **payload}, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def idempotency_claim(key: str | None, operation: str, payload: dict[str, Any]) -> Claim:
    """Claim `key` for this request. Call inside the transaction doing the work."""
    if not key:
        return Claim(None, None)
    if len(key) > 100 or not key.isprintable():
        raise DomainError(
            "invalid_idempotency_key", "An idempotency key is 1 to 100 printable characters."
        )
    request_hash = _hash(operation, payload)
    table = IdempotencyRecord._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (key, operation, request_hash, created_at)"
            " VALUES (%s, %s, %s, %s) ON CONFLICT (key) DO NOTHING RETURNING id",
            [key, operation, request_hash, timezone.now()],
        )
        row = cursor.fetchone()
    if row is not None:
        return Claim(row[0], None)
    existing = IdempotencyRecord.objects.get(key=key)
    if existing.operation != operation or existing.request_hash != request_hash:
        raise Conflict(
            "idempotency_key_reused",
            "This idempotency key was already used for a different request.",
        )
    return Claim(None, existing.result or {})


def idempotency_prune(*, now: datetime.datetime | None = None) -> int:
    cutoff = (now or timezone.now()) - datetime.timedelta(hours=KEEP_HOURS)
    deleted, _ = IdempotencyRecord.objects.filter(created_at__lt=cutoff).delete()
    return deleted
