"""The ledger's closed days, summed once: what the dashboard's daily figures need.

The dashboard home shows, over its last 30 local days, the points issued per day and
the sales per staff member; summing the entries each time reads every entry of those
days (337,000 at 1,000,000 entries). `LedgerDay` keeps those sums per closed day and
staff member, so a read sums about 30 x staff rows, plus today's entries.

- A day is stored once it closed `SETTLE` ago (in the merchant's time zone); the days
  after it (today, and yesterday in the first hour) are summed from the ledger at
  each read. A closed day missing is summed on read, with the other missing ones, in
  one grouped query over just those days, and stored (`ledger_days_read`).
- Any entry written with a `created_at` on a closed day, and any entry reversing an
  entry of a closed day, drops that day's rows in its transaction (`entry_record`,
  `expiries_record` in points.ledger call `ledger_days_written`); the next read sums
  the day again. The earn writes today's entries: it never touches these rows.
- Rows remember the time zone they were computed in; once the merchant's differs,
  the next read drops them all and sums the days again in the new zone.

Why `SETTLE`: an entry dated just before midnight can commit just after it, when
its day is already closed; a read storing that day then must see it. Writes last far
less than an hour, so a day whose end is an hour past has every entry it will ever
get, except those written later on purpose (back-dated, or reversing), which drop it.

Why an advisory lock: a read storing a day and a write dropping it could otherwise
cross (the read sums before the write commits, the write deletes before the read's
rows commit, and stale rows stay). The read takes it exclusively, a dropping write
shared: the write waits for the read's rows and deletes them, or the read waits for
the write and sums with its entry.
"""

import datetime
from collections.abc import Collection
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db import transaction
from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from loyalty.db import connection
from tenants.selectors import merchant_timezone

from .models import LedgerDay, LedgerEntry

Kind = LedgerEntry.Kind
SETTLE = datetime.timedelta(hours=1)
NO_ACTOR = 0
LOCK_SQL = "SELECT pg_advisory_xact_lock{}(hashtext('points_ledgerday ' || %s))"


def ledger_days_written(
    *, at: datetime.datetime, reverses: LedgerEntry | None = None
) -> list[datetime.date]:
    """An entry dated `at` (reversing `reverses`, if given) is written in the caller's
    transaction: drop the stored rows of the closed days it changes. Returns those
    days; none, without a statement, for an entry of today that reverses nothing."""
    tz = merchant_timezone()
    today = timezone.now().astimezone(tz).date()
    moments = (at, reverses.created_at) if reverses is not None else (at,)
    days = sorted({day for m in moments if (day := m.astimezone(tz).date()) < today})
    if days:
        with connection.cursor() as cursor:
            cursor.execute(LOCK_SQL.format("_shared"), [connection.schema_name])
        LedgerDay.objects.filter(day__in=days).delete()
    return days


def ledger_days_read(
    *, first: datetime.date, now: datetime.datetime, tz: ZoneInfo
) -> list[LedgerDay]:
    """The sums of every local day from `first` to today in `tz`, per staff member:
    the closed days' rows as stored (those missing summed and stored now), the days
    after them summed from the ledger (rows not saved)."""
    settled = (now - SETTLE).astimezone(tz).date()  # the first day not stored
    closed = {first + datetime.timedelta(days=n) for n in range((settled - first).days)}
    stored = list(LedgerDay.objects.filter(day__gte=first, day__lt=settled)) if closed else []
    computed = {row.day for row in stored if row.actor == NO_ACTOR and row.timezone == tz.key}
    if closed - computed or any(row.timezone != tz.key for row in stored):
        stored = _days_store(first=first, settled=settled, missing=closed - computed, tz=tz)
    live = _sums(tz=tz, start=_midnight(max(first, settled), tz))
    return stored + live


def _days_store(
    *, first: datetime.date, settled: datetime.date, missing: set[datetime.date], tz: ZoneInfo
) -> list[LedgerDay]:
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(LOCK_SQL.format(""), [connection.schema_name])
        LedgerDay.objects.exclude(timezone=tz.key).delete()
        if missing:
            rows = _sums(
                tz=tz,
                start=_midnight(min(missing), tz),
                end=_midnight(max(missing) + datetime.timedelta(days=1), tz),
                days=missing,
            )
            marked = {row.day for row in rows if row.actor == NO_ACTOR}
            rows += [_row(day, NO_ACTOR, tz) for day in sorted(missing - marked)]
            # A read that held the lock before this one may have stored some of them.
            LedgerDay.objects.bulk_create(rows, ignore_conflicts=True)
        return list(LedgerDay.objects.filter(day__gte=first, day__lt=settled))


def _sums(
    *,
    tz: ZoneInfo,
    start: datetime.datetime,
    end: datetime.datetime | None = None,
    days: Collection[datetime.date] | None = None,
) -> list[LedgerDay]:
    """One grouped query: earn and bonus entries from `start` (to `end`) that nothing
    reverses, by local day and staff member (the dashboard's rule, dashboard.reports)."""
    entries = LedgerEntry.objects.filter(
        created_at__gte=start, kind__in=[Kind.EARN, Kind.BONUS], reversed_by__isnull=True
    )
    if end is not None:
        entries = entries.filter(created_at__lt=end)
    grouped = entries.annotate(day=TruncDate("created_at", tzinfo=tz))
    if days is not None:
        grouped = grouped.filter(day__in=sorted(days))
    earn = Q(kind=Kind.EARN)
    return [
        LedgerDay(
            day=row["day"],
            actor=row["actor_id"] or NO_ACTOR,
            timezone=tz.key,
            earns=row["earns"],
            earn_points=row["earn_points"] or 0,
            earn_amount=row["earn_amount"] or Decimal(0),
            bonus_points=row["bonus_points"] or 0,
        )
        for row in grouped.values("day", "actor_id")
        .annotate(
            earns=Count("id", filter=earn),
            earn_points=Sum("points", filter=earn),
            earn_amount=Sum("amount", filter=earn),
            bonus_points=Sum("points", filter=Q(kind=Kind.BONUS)),
        )
        .order_by()
    ]


def _row(day: datetime.date, actor: int, tz: ZoneInfo) -> LedgerDay:
    return LedgerDay(
        day=day,
        actor=actor,
        timezone=tz.key,
        earns=0,
        earn_points=0,
        earn_amount=Decimal(0),
        bonus_points=0,
    )


def _midnight(day: datetime.date, tz: ZoneInfo) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time()), tz)
