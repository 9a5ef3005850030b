"""The one place that changes balances: locks, ledger entries, lots and counters.

Every service that moves points locks the memberships it touches with
`memberships_lock` (by primary key, in ascending order, so two transactions never wait
on each other in a cycle), then calls `entry_record` for each entry. The membership
row is updated from the locked values, so no update is ever lost.

Counters are caches of ledger sums (`manage.py reconcile` checks them):
    current_points = sum of every entry
    total_earned   = sum of earn, bonus and void entries
    total_redeemed = -(sum of redeem and refund entries)
    total_visits   = number of earn entries - number of void entries
    total_spend    = amount of earn entries - amount of void entries
"""

import datetime
from collections.abc import Iterable, Sequence
from decimal import Decimal
from itertools import chain
from typing import Any

from dateutil.relativedelta import relativedelta
from django.contrib.auth.models import User
from django.db import transaction

from loyalty.db import connection
from loyalty.errors import DomainError, NotFound
from tenants.selectors import merchant_timezone

from .models import LedgerEntry, LotConsumption, Membership, PointsLot, PointsSettings
from .signals import balance_changed

Kind = LedgerEntry.Kind
EARNED_KINDS = (Kind.EARN, Kind.BONUS, Kind.VOID)
REDEEMED_KINDS = (Kind.REDEEM, Kind.REFUND)


def memberships_lock(ids: Iterable[int]) -> dict[int, Membership]:
    """Lock these memberships (ascending primary key) and return them fresh."""
    wanted = sorted(set(ids))
    rows = (
        Membership.objects.select_for_update(of=("self",))
        .select_related("tier")
        .filter(pk__in=wanted)
        .order_by("pk")
    )
    locked = {m.pk: m for m in rows}
    if len(locked) != len(wanted):
        raise NotFound("member_not_found", "No such member.")
    return locked


def lot_expiry(settings: PointsSettings, on: datetime.date) -> datetime.date | None:
    """The expiry date of points credited on `on`, under today's policy."""
    if not settings.expiry_months:
        return None
    return on + relativedelta(months=settings.expiry_months)


def insufficient(balance: int, needed: int) -> DomainError:
    return DomainError(
        "insufficient_points",
        f"Not enough points: {balance} available, {needed} needed.",
        fields={"available": balance, "needed": needed},
    )


def entry_record(
    *,
    membership: Membership,
    kind: str,
    points: int,
    at: datetime.datetime,
    description: str,
    description_ar: str,
    expires_on: datetime.date | None = None,
    amount: Decimal | None = None,
    currency: str = "",
    explanation: dict[str, Any] | None = None,
    actor: User | None = None,
    reason: str = "",
    bonus_kind: str = "",
    reverses: LedgerEntry | None = None,
    consume_first: Sequence[PointsLot] = (),
    restore_from: LedgerEntry | None = None,
    also_save: Sequence[str] = (),
    idempotency_key: str | None = None,
) -> LedgerEntry:
    """Append one entry for a membership locked by the caller and update its counters.

    A credit opens a lot expiring on `expires_on`, unless `restore_from` names the debit
    whose points it gives back to the lots they came from. A debit takes from the lots
    in `consume_first` (a void its own earn's lot, an expiry the expired lots) and then
    from the oldest lots. `also_save` names membership fields the caller changed, saved
    in the same UPDATE as the counters.
    """
    balance = membership.current_points + points
    if balance < 0:
        raise insufficient(membership.current_points, -points)
    entry = LedgerEntry.objects.create(
        membership=membership,
        kind=kind,
        bonus_kind=bonus_kind,
        points=points,
        balance_after=balance,
        amount=amount,
        currency=currency,
        explanation=explanation or {},
        description=description[:255],
        description_ar=description_ar[:255],
        reason=reason,
        reverses=reverses,
        idempotency_key=idempotency_key or "",
        actor=actor,
        created_at=at,
    )
    if points > 0 and restore_from is not None:
        _restore(entry, restore_from, at.astimezone(merchant_timezone()).date())
    elif points > 0:
        PointsLot.objects.create(
            membership=membership,
            entry=entry,
            points=points,
            remaining=points,
            expires_on=expires_on,
        )
    elif points < 0:
        _consume(entry, -points, consume_first)

    membership.current_points = balance
    update = ["current_points", *also_save]
    if kind in EARNED_KINDS:
        membership.total_earned += points
        update.append("total_earned")
    if kind in REDEEMED_KINDS:
        membership.total_redeemed -= points
        update.append("total_redeemed")
    if kind in (Kind.EARN, Kind.VOID):
        sign = 1 if kind == Kind.EARN else -1
        membership.total_visits += sign
        membership.total_spend += sign * (amount or Decimal("0"))
        update += ["total_visits", "total_spend"]
    membership.save(update_fields=update)
    if balance_changed.has_listeners():
        schema, member = connection.schema_name, membership.pk
        transaction.on_commit(
            lambda: balance_changed.send(Membership, schema=schema, membership_id=member)
        )
    return entry


EXPIRE_SQL = """
WITH due AS (
    SELECT id, membership_id, remaining FROM points_pointslot
    WHERE membership_id = ANY(%(ids)s) AND remaining > 0 AND expires_on <= %(today)s
), per AS (
    SELECT membership_id, SUM(remaining) AS total, array_agg(id ORDER BY id) AS lots
    FROM due GROUP BY membership_id
), entries AS (
    INSERT INTO points_ledgerentry
        (membership_id, kind, bonus_kind, points, balance_after, currency, explanation,
         description, description_ar, reason, idempotency_key, created_at)
    SELECT per.membership_id, 'expire', '', -per.total, m.current_points - per.total, '',
           jsonb_build_object('lots', to_jsonb(per.lots), 'points', -per.total),
           'Points expired: -' || per.total || ' points',
           'انتهت صلاحية النقاط: -' || per.total || ' نقطة', '', '', %(at)s
    FROM per JOIN points_membership m ON m.id = per.membership_id
    ORDER BY per.membership_id
    RETURNING id, membership_id
), lots AS (
    UPDATE points_pointslot l SET remaining = 0 FROM due WHERE l.id = due.id
), consumed AS (
    INSERT INTO points_lotconsumption (entry_id, lot_id, points)
    SELECT entries.id, due.id, due.remaining
    FROM due JOIN entries ON entries.membership_id = due.membership_id
    ORDER BY entries.id, due.id
), members AS (
    UPDATE points_membership m SET current_points = m.current_points - per.total
    FROM per WHERE m.id = per.membership_id
)
SELECT membership_id FROM entries
"""


def expiries_record(
    *, membership_ids: Iterable[int], today: datetime.date, at: datetime.datetime
) -> list[int]:
    """Expire what is left of these members' lots due by `today`: for each member with
    some, one expiry entry taking the whole of every due lot (`entry_record` with the
    lots as `consume_first`, for all of them in one statement). The caller's
    transaction must hold the members' locks (`memberships_lock`), taken before this
    statement reads the lots, so no debit or refund moves them meanwhile. Returns the
    members touched."""
    ids = sorted(set(membership_ids))
    if not ids:
        return []
    with connection.cursor() as cursor:
        cursor.execute(EXPIRE_SQL, {"ids": ids, "today": today, "at": at})
        touched = sorted(row[0] for row in cursor.fetchall())
    if touched and balance_changed.has_listeners():
        schema = connection.schema_name

        def send() -> None:
            for member in touched:
                balance_changed.send(Membership, schema=schema, membership_id=member)

        transaction.on_commit(send)
    return touched


def _consume(entry: LedgerEntry, points: int, first: Sequence[PointsLot]) -> None:
    first_ids = [lot.pk for lot in first]
    preferred = PointsLot.objects.filter(pk__in=first_ids, remaining__gt=0).in_bulk()
    oldest = (
        PointsLot.objects.filter(membership_id=entry.membership_id, remaining__gt=0)
        .exclude(pk__in=first_ids)
        .order_by("id")
        .iterator(chunk_size=200)
    )
    ordered = chain((preferred[pk] for pk in first_ids if pk in preferred), oldest)
    left = points
    consumptions = []
    for lot in ordered:
        take = min(lot.remaining, left)
        PointsLot.objects.filter(pk=lot.pk).update(remaining=lot.remaining - take)
        consumptions.append(LotConsumption(entry=entry, lot=lot, points=take))
        left -= take
        if left == 0:
            break
    if left:
        raise RuntimeError(f"lots of membership {entry.membership_id} are short by {left}")
    LotConsumption.objects.bulk_create(consumptions)


def _restore(entry: LedgerEntry, debit: LedgerEntry, today: datetime.date) -> None:
    """Give a debit's points back to the lots they came from. Points whose lot has
    expired meanwhile come back in a new lot of the refund's own, dated as if earned
    today, so a refund the member did not choose is never lost to an expiry."""
    restored = []
    fresh = 0
    for taken in debit.consumptions.select_related("lot"):
        lot = taken.lot
        if lot.expires_on is not None and lot.expires_on <= today:
            fresh += taken.points
            continue
        PointsLot.objects.filter(pk=lot.pk).update(remaining=lot.remaining + taken.points)
        restored.append(LotConsumption(entry=entry, lot_id=lot.pk, points=-taken.points))
    LotConsumption.objects.bulk_create(restored)
    if fresh:
        settings = PointsSettings.objects.get_or_create(pk=1)[0]
        PointsLot.objects.create(
            membership_id=entry.membership_id,
            entry=entry,
            points=fresh,
            remaining=fresh,
            expires_on=lot_expiry(settings, today),
        )
