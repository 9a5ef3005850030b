"""Idempotency keys for balance changes.

Inside the caller's transaction, the key is claimed with an INSERT ... ON CONFLICT DO
NOTHING. The unique index makes a second request with the same key wait until the
first commits or rolls back, so exactly one of them does the work:

* first use: the caller does the work and stores its result with `finish()`;
* same key, same input: the stored result comes back and nothing is written;
* same key, different input: `idempotency_key_reused`.

A key belongs to its caller and its operation: the record is keyed by a digest of
(caller, operation, key), so a customer's redeem can never claim a counter's earn key
first, and two cashiers' keys never meet. A replayed result is marked (`is_replay`), and
the API answers it with `Idempotent-Replayed: true`.

A failed request rolls back its claim too, so it can be retried with the same key.
Records are kept at least 24 hours (`idempotency_prune` drops those older than 48).
"""

import datetime
import hashlib
import json
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from django.utils import timezone

from loyalty.db import connection
from loyalty.errors import Conflict, DomainError

from .models import IdempotencyRecord

if TYPE_CHECKING:
    from .ledger import LedgerWrites

KEEP_HOURS = 48
_REPLAY = "_idempotent_replay"
# 1 to 100 visible ASCII characters, inner spaces allowed (what an HTTP header carries).
KEY_PATTERN = r"^[!-~]([ -~]{0,98}[!-~])?$"
_KEY = re.compile(KEY_PATTERN)
T = TypeVar("T")


def replayed(result: T) -> T:
    """Mark `result` as the stored answer to an earlier request with the same key."""
    setattr(result, _REPLAY, True)
    return result


def is_replay(result: object) -> bool:
    return bool(getattr(result, _REPLAY, False))


@dataclass
class Claim:
    record_id: int | None
    replay: dict[str, Any] | None

    def finish(self, result: dict[str, Any], *, writes: "LedgerWrites | None" = None) -> None:
        """Store the result; with `writes`, in the caller's statement of writes."""
        if self.record_id is None:
            return
        if writes is not None:
            writes.save(IdempotencyRecord(pk=self.record_id, result=result), ["result"])
        else:
            IdempotencyRecord.objects.filter(pk=self.record_id).update(result=result)


def _hash(operation: str, payload: dict[str, Any]) -> str:
    text = json.dumps({"op": operation, **payload}, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def _scoped(caller: str, operation: str, key: str) -> str:
    return hashlib.sha256(f"{caller}\x1f{operation}\x1f{key}".encode()).hexdigest()


def idempotency_claim(
    key: str | None, operation: str, payload: dict[str, Any], *, caller: str
) -> Claim:
    """Claim `key` of `caller` (e.g. "staff:7", "member:42") for this request. Call
    inside the transaction doing the work."""
    if key is None:
        return Claim(None, None)
    if not _KEY.match(key) or key.endswith("\n"):
        raise DomainError(
            "invalid_idempotency_key", "An idempotency key is 1 to 100 visible ASCII characters."
        )
    request_hash = _hash(operation, payload)
    scoped = _scoped(caller, operation, key)
    table = IdempotencyRecord._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (key, operation, request_hash, created_at)"
            " VALUES (%s, %s, %s, %s) ON CONFLICT (key) DO NOTHING RETURNING id",
            [scoped, operation, request_hash, timezone.now()],
        )
        row = cursor.fetchone()
    if row is not None:
        return Claim(row[0], None)
    existing = IdempotencyRecord.objects.get(key=scoped)
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
