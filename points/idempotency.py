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


@dataclass(frozen=True)
class ClaimAsk:
    """A claim to be made by `CLAIM_SQL`, alone (`idempotency_claim`) or as a CTE of
    the statement doing the work (the earn's lock), then settled by `claim_settle`."""

    scoped: str
    operation: str
    request_hash: str

    def params(self) -> dict[str, Any]:
        return {
            "claim_key": self.scoped,
            "claim_operation": self.operation,
            "claim_hash": self.request_hash,
            "claim_at": timezone.now(),
        }


CLAIM_SQL = (
    f"INSERT INTO {IdempotencyRecord._meta.db_table} (key, operation, request_hash, created_at)"
    " VALUES (%(claim_key)s, %(claim_operation)s, %(claim_hash)s, %(claim_at)s)"
    " ON CONFLICT (key) DO NOTHING RETURNING id"
)


def claim_ask(
    key: str | None, operation: str, payload: dict[str, Any], *, caller: str
) -> ClaimAsk | None:
    """The claim of `key` of `caller` for this request, checked; None without a key."""
    if key is None:
        return None
    if not _KEY.match(key) or key.endswith("\n"):
        raise DomainError(
            "invalid_idempotency_key", "An idempotency key is 1 to 100 visible ASCII characters."
        )
    return ClaimAsk(_scoped(caller, operation, key), operation, _hash(operation, payload))


def claim_settle(ask: ClaimAsk | None, record_id: int | None) -> Claim:
    """The claim as `CLAIM_SQL` left it: `record_id` is the new record's id, or None
    when the key was taken (by a committed request: the insert waited for it)."""
    if ask is None:
        return Claim(None, None)
    if record_id is not None:
        return Claim(record_id, None)
    existing = IdempotencyRecord.objects.get(key=ask.scoped)
    if existing.operation != ask.operation or existing.request_hash != ask.request_hash:
        raise Conflict(
            "idempotency_key_reused",
            "This idempotency key was already used for a different request.",
        )
    return Claim(None, existing.result or {})


def idempotency_claim(
    key: str | None, operation: str, payload: dict[str, Any], *, caller: str
) -> Claim:
    """Claim `key` of `caller` (e.g. "staff:7", "member:42") for this request. Call
    inside the transaction doing the work."""
    ask = claim_ask(key, operation, payload, caller=caller)
    if ask is None:
        return Claim(None, None)
    with connection.cursor() as cursor:
        cursor.execute(CLAIM_SQL, ask.params())
        row = cursor.fetchone()
    return claim_settle(ask, row[0] if row is not None else None)


def idempotency_prune(*, now: datetime.datetime | None = None) -> int:
    cutoff = (now or timezone.now()) - datetime.timedelta(hours=KEEP_HOURS)
    deleted, _ = IdempotencyRecord.objects.filter(created_at__lt=cutoff).delete()
    return deleted
