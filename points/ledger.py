"""The one place that changes balances: locks, ledger entries, lots and counters.

Every service that moves points locks the memberships it touches with
`memberships_lock` (by primary key, in ascending order, so two transactions never wait
on each other in a cycle), then calls `entry_record` for each entry. The membership
row is updated from the locked values, so no update is ever lost. An entry, its lot
and the membership's UPDATE are one statement (`LedgerWrites`); the earn gathers all
its writes, message included, into one.

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
from functools import cache
from itertools import chain
from typing import Any, cast

from dateutil.relativedelta import relativedelta
from django.contrib.auth.models import User
from django.db import DEFAULT_DB_ALIAS, connections, models, transaction
from django.db.backends.base.base import BaseDatabaseWrapper

from loyalty.db import connection
from loyalty.errors import DomainError, NotFound
from tenants.selectors import merchant_timezone

from .daily import ledger_days_written
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
    pk: int | None = None,
    writes: "LedgerWrites | None" = None,
) -> LedgerEntry:
    """Append one entry for a membership locked by the caller and update its counters.

    A credit opens a lot expiring on `expires_on`, unless `restore_from` names the debit
    whose points it gives back to the lots they came from. A debit takes from the lots
    in `consume_first` (a void its own earn's lot, an expiry the expired lots) and then
    from the oldest lots. `also_save` names membership fields the caller changed, saved
    in the same UPDATE as the counters.

    The entry, its lot and the membership's UPDATE go to PostgreSQL as one statement,
    at once; or, for a credit given `writes`, with the rest of the caller's writes when
    it calls `writes.flush()` (the entry has its primary key then, or `pk` if given,
    from the caller's `nextval`).

    An entry dated on a closed day, or reversing an entry of one, drops the day's
    dashboard sums (`points.daily`); today's entries (every earn at the counter) leave
    them alone, without a statement.
    """
    balance = membership.current_points + points
    if balance < 0:
        raise insufficient(membership.current_points, -points)
    ledger_days_written(at=at, reverses=reverses)
    entry = LedgerEntry(
        pk=pk,
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
    lot = None
    if points > 0 and restore_from is None:
        lot = PointsLot(
            membership=membership, points=points, remaining=points, expires_on=expires_on
        )
    elif writes is not None and points:
        raise ValueError("a debit or a restoring credit is written at once, without writes")

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
    batch = writes if writes is not None else LedgerWrites()
    batch.entry(entry, lot)
    batch.save(membership, update)
    if writes is None:
        batch.flush()
        if points > 0 and restore_from is not None:
            _restore(entry, restore_from, at.astimezone(merchant_timezone()).date())
        elif points < 0:
            _consume(entry, -points, consume_first)
    if balance_changed.has_listeners():
        schema, member = connection.schema_name, membership.pk
        transaction.on_commit(
            lambda: balance_changed.send(Membership, schema=schema, membership_id=member)
        )
    return entry


class LedgerWrites:
    """The writes of one balance change, sent to PostgreSQL as one statement.

    Ledger entries (each with its lot), row updates (merged by row: the last value of
    each field wins) and inserts of other rows (outbox messages) are collected, then
    `flush()` sends them as the data-modifying CTEs of a single statement: one round
    trip, values prepared by each model field as the ORM prepares them. Entries are
    inserted in the order they were recorded (each entry's CTE reads the one before),
    so their ids follow their balances; an entry without a `pk` gets its id then.
    """

    def __init__(self) -> None:
        self._entries: list[tuple[LedgerEntry, PointsLot | None]] = []
        self._saves: dict[tuple[type[models.Model], Any], tuple[models.Model, set[str]]] = {}
        self._inserts: list[models.Model] = []

    def entry(self, entry: LedgerEntry, lot: PointsLot | None) -> None:
        self._entries.append((entry, lot))

    def save(self, obj: models.Model, fields: Iterable[str]) -> None:
        """Save these fields of `obj` (read from it at flush)."""
        key = (type(obj), obj.pk)
        if key in self._saves:
            self._saves[key][1].update(fields)
        else:
            self._saves[key] = (obj, set(fields))

    def insert(self, obj: models.Model) -> None:
        self._inserts.append(obj)

    def flush(self) -> None:
        # The connection itself, not `django.db.connection`: each attribute read through
        # that proxy looks the connection up again (a context-local), once per value.
        db = connections[DEFAULT_DB_ALIAS]
        ctes: list[str] = []
        params: list[Any] = []
        for n, (entry, lot) in enumerate(self._entries):
            after = f" FROM e{n - 1}" if n else ""
            columns, values = _row(entry, params, db)
            ctes.append(
                f"e{n} AS (INSERT INTO {_table(entry)} ({columns}) SELECT {values}{after}"
                " RETURNING id)"
            )
            if lot is not None:
                columns, values = _row(lot, params, db, skip=frozenset({"entry"}))
                ctes.append(
                    f"l{n} AS (INSERT INTO {_table(lot)} ({columns}, entry_id)"
                    f" SELECT {values}, id FROM e{n})"
                )
        for n, (obj, fields) in enumerate(self._saves.values()):
            chosen, update = _update_sql(type(obj), frozenset(fields))
            params.extend(_value(field, obj, db) for field in chosen)
            params.append(obj.pk)
            ctes.append(f"u{n} AS ({update})")
        for n, obj in enumerate(self._inserts):
            columns, values = _row(obj, params, db)
            ctes.append(f"i{n} AS (INSERT INTO {_table(obj)} ({columns}) SELECT {values})")
        if not ctes:
            return
        ids = ", ".join(f"(SELECT id FROM e{n})" for n in range(len(self._entries))) or "1"
        with db.cursor() as cursor:
            cursor.execute(f"WITH {', '.join(ctes)} SELECT {ids}", params)
            row = cursor.fetchone()
        for (entry, lot), pk in zip(self._entries, row or (), strict=False):
            entry.pk = pk
            entry._state.adding = False
            if lot is not None:
                lot.entry = entry
        for obj in self._inserts:
            obj._state.adding = False
        self._entries, self._saves, self._inserts = [], {}, []


@cache
def _quote(name: str | None) -> str:
    return connection.ops.quote_name(name or "")


def _table(obj: models.Model) -> str:
    return _quote(obj._meta.db_table)


@cache
def _update_sql(
    model: type[models.Model], fields: frozenset[str]
) -> tuple[list["models.Field[Any, Any]"], str]:
    """The fields an UPDATE of `fields` sets, in its order, and the statement (the
    values, then the primary key, as parameters)."""
    meta = model._meta
    chosen = [cast("models.Field[Any, Any]", meta.get_field(name)) for name in sorted(fields)]
    sets = ", ".join(f"{_quote(field.column)} = %s" for field in chosen)
    return chosen, f"UPDATE {_quote(meta.db_table)} SET {sets} WHERE {_quote(meta.pk.column)} = %s"


# Fields whose value the ORM sends as it is when it is already of the column's Python
# type (`get_db_prep_save` checks and converts, and PostgreSQL's adapters return it):
# most of an earn's values. Exact classes only (a subclass may prepare its values), and
# exact value types (an enum member, a bool for an integer, go the ORM's way).
_PLAIN: dict[type["models.Field[Any, Any]"], type] = {
    models.AutoField: int,
    models.BigAutoField: int,
    models.IntegerField: int,
    models.BigIntegerField: int,
    models.SmallIntegerField: int,
    models.PositiveIntegerField: int,
    models.PositiveSmallIntegerField: int,
    models.PositiveBigIntegerField: int,
    models.ForeignKey: int,  # every key here is an integer
    models.BooleanField: bool,
    models.CharField: str,
    models.TextField: str,
}


def _value(
    field: "models.Field[Any, Any]",
    obj: models.Model,
    db: BaseDatabaseWrapper,
    *,
    add: bool = False,
) -> Any:
    plain = _PLAIN.get(type(field))
    if plain is not None:
        value = getattr(obj, field.attname)
        if value is None or type(value) is plain:
            return value
    return field.get_db_prep_save(field.pre_save(obj, add), db)


@cache
def _insert_columns(
    model: type[models.Model], with_pk: bool, skip: frozenset[str]
) -> tuple[list["models.Field[Any, Any]"], str, str]:
    """The fields of a new row, their columns and their placeholders (typed, since a
    SELECT reads them: a NULL would otherwise be text)."""
    fields = [
        f
        for f in model._meta.concrete_fields
        if f.name not in skip and (with_pk or not f.primary_key)
    ]
    placeholders = [
        "%s"
        if isinstance(f, models.CharField | models.TextField)
        else f"%s::{f.db_type(connection)}"
        for f in fields
    ]
    columns = ", ".join(_quote(f.column) for f in fields)
    return fields, columns, ", ".join(placeholders)


def _row(
    obj: models.Model,
    params: list[Any],
    db: BaseDatabaseWrapper,
    skip: frozenset[str] = frozenset(),
) -> tuple[str, str]:
    """The columns and placeholders of `obj` as a new row (its primary key when set),
    appending its values to `params` as the ORM prepares them."""
    fields, columns, placeholders = _insert_columns(type(obj), obj.pk is not None, skip)
    params.extend(_value(field, obj, db, add=True) for field in fields)
    return columns, placeholders


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
    members touched. Expiries dated on a closed day drop its dashboard sums, as
    `entry_record`'s entries do."""
    ids = sorted(set(membership_ids))
    if not ids:
        return []
    ledger_days_written(at=at)
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
