"""The ledger's sums per closed day (points.daily): the dashboard's figures read from
them equal the sums read straight from the ledger after every kind of write that can
change a closed day, and a closed day is summed from the ledger once."""

import datetime
import threading
import time
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tenants.utils import schema_context

from dashboard.reports import Report, report_home
from loyalty.db import connection
from points.daily import ledger_days_read
from points.models import LedgerDay, PointsSettings
from points.services import points_adjust, points_earn, points_expire, points_void
from tenants.models import Merchant
from tests.threads import committed

pytestmark = pytest.mark.django_db
AMMAN = ZoneInfo("Asia/Amman")
DUBAI = ZoneInfo("Asia/Dubai")
NOW = datetime.datetime(2026, 6, 15, 12, 0, tzinfo=AMMAN)
JUNE = [datetime.date(2026, 6, day) for day in range(1, 16)]

# The dashboard's rule, written independently of it: earn and bonus entries no entry
# reverses, by local day; earns by staff member.
ISSUED_SQL = """
SELECT (e.created_at AT TIME ZONE %(tz)s)::date, sum(e.points)
FROM points_ledgerentry e
WHERE e.created_at >= %(since)s AND e.kind IN ('earn', 'bonus')
  AND NOT EXISTS (SELECT 1 FROM points_ledgerentry v WHERE v.reverses_id = e.id)
GROUP BY 1
"""
STAFF_SQL = """
SELECT u.email, count(*), sum(e.amount), sum(e.points)
FROM points_ledgerentry e JOIN auth_user u ON u.id = e.actor_id
WHERE e.created_at >= %(since)s AND e.kind = 'earn'
  AND NOT EXISTS (SELECT 1 FROM points_ledgerentry v WHERE v.reverses_id = e.id)
GROUP BY u.id, u.email ORDER BY count(*) DESC, u.id
"""


def at(month: int, day: int, hour: int, tz: ZoneInfo = AMMAN) -> datetime.datetime:
    return datetime.datetime(2026, month, day, hour, 30, tzinfo=tz)


def read(now: datetime.datetime = NOW) -> Report:
    with time_machine.travel(now, tick=False):
        return report_home(now=now)


def assert_equals_ledger(report: Report, tz: ZoneInfo = AMMAN) -> None:
    with connection.cursor() as cursor:
        cursor.execute(ISSUED_SQL, {"tz": tz.key, "since": report.since})
        issued = dict(cursor.fetchall())
        cursor.execute(STAFF_SQL, {"since": report.since})
        staff = cursor.fetchall()
    assert report.issued == [int(issued.get(day) or 0) for day in report.days]
    assert [(s.name, s.sales, s.amount, s.points) for s in report.staff] == [
        tuple(row) for row in staff
    ]


def june(report: Report) -> list[int]:
    return report.issued[-15:]


def stored_days() -> list[datetime.date]:
    return sorted({row.day for row in LedgerDay.objects.filter(day__gte=JUNE[0])})


@pytest.fixture
def history(programme):
    """Earns by two staff members on three closed days and today, one at 23:30 (the
    next day in Dubai), one without a staff member."""
    with time_machine.travel(at(5, 1, 10), tick=False):
        lina, omar = programme.member(), programme.member()
    earns = {}
    for when, member, amount, actor in (
        (at(6, 1, 9), lina, "20.000", programme.cashier),  # 200
        (at(6, 5, 23), omar, "3.000", programme.manager),  # 30, June 6 in Dubai
        (at(6, 10, 18), lina, "5.000", programme.cashier),  # 50
        (at(6, 10, 19), omar, "4.000", None),  # 40
        (at(6, 15, 9), omar, "1.000", programme.cashier),  # 10, today
    ):
        with time_machine.travel(when, tick=False):
            earns[when.date()] = points_earn(membership_id=member.pk, amount=amount, actor=actor)
    programme.lina, programme.omar, programme.earns = lina, omar, earns
    return programme


def test_closed_days_are_summed_once_and_equal_the_ledger(history) -> None:
    first = read()
    assert june(first) == [200, 0, 0, 0, 30] + [0] * 4 + [90] + [0] * 4 + [10]
    assert [(s.name, s.sales, s.amount, s.points) for s in first.staff] == [
        (history.cashier.email, 3, Decimal("26.000"), 260),
        (history.manager.email, 1, Decimal("3.000"), 30),
    ]
    assert_equals_ledger(first)
    # Every closed day of the 30 has its rows (a day without entries its empty one);
    # today is summed from the ledger.
    assert LedgerDay.objects.filter(actor=0).count() == 29
    assert stored_days() == JUNE[:-1]
    assert LedgerDay.objects.get(day=JUNE[9], actor=history.cashier.pk).earn_points == 50
    assert LedgerDay.objects.get(day=JUNE[9], actor=0).earn_points == 40

    with CaptureQueriesContext(connection) as second:
        again = read()
    assert again == first
    ledger = [q["sql"] for q in second.captured_queries if "points_ledgerentry" in q["sql"]]
    # One query of the ledger: today's entries, from today's local midnight.
    assert len(ledger) == 1
    assert "\"created_at\" >= '2026-06-15 00:00:00+03:00'::timestamptz" in ledger[0]
    assert not [q for q in second.captured_queries if "INSERT" in q["sql"]]


def test_a_void_today_of_an_earn_of_a_closed_day_drops_that_day(history) -> None:
    read()
    with time_machine.travel(NOW, tick=False):
        points_void(entry_id=history.earns[JUNE[0]].pk, actor=history.manager, reason="twice")
    assert JUNE[0] not in stored_days()
    assert JUNE[9] in stored_days()
    report = read()
    assert june(report)[0] == 0
    assert report.points_issued == 130
    assert_equals_ledger(report)
    assert JUNE[0] in stored_days()


def test_the_earn_of_today_leaves_the_stored_days_alone(history) -> None:
    read()
    before = list(LedgerDay.objects.order_by("day", "actor").values_list())
    with CaptureQueriesContext(connection) as earn, time_machine.travel(NOW, tick=False):
        points_earn(membership_id=history.lina.pk, amount="2.000", actor=history.manager)
    assert not [q for q in earn.captured_queries if "points_ledgerday" in q["sql"]]
    assert list(LedgerDay.objects.order_by("day", "actor").values_list()) == before
    report = read()
    assert june(report)[-1] == 30
    assert_equals_ledger(report)


def test_a_back_dated_entry_drops_its_day(history) -> None:
    read()
    with time_machine.travel(NOW, tick=False):
        points_earn(
            membership_id=history.lina.pk,
            amount="7.000",
            actor=history.manager,
            at=at(6, 3, 14),
        )
        points_adjust(
            membership_id=history.omar.pk,
            points=5,
            reason="late",
            actor=history.manager,
            at=at(6, 4, 14),
        )
    assert JUNE[2] not in stored_days() and JUNE[3] not in stored_days()
    report = read()
    assert june(report)[:5] == [200, 0, 70, 0, 30]  # an adjustment is not issued
    assert [(s.name, s.sales) for s in report.staff] == [
        (history.cashier.email, 3),
        (history.manager.email, 2),
    ]
    assert_equals_ledger(report)


def test_an_expiry_run_on_a_closed_day_drops_it(history) -> None:
    PointsSettings.objects.filter(pk=1).update(expiry_months=1)
    with time_machine.travel(at(5, 10, 12), tick=False):
        points_earn(membership_id=history.omar.pk, amount="6.000", actor=history.cashier)
    read()
    with time_machine.travel(NOW, tick=False):
        assert points_expire(at=at(6, 12, 1)) == 1  # May 10's 60 points, run late
    assert JUNE[11] not in stored_days()
    report = read()
    assert june(report) == [200, 0, 0, 0, 30] + [0] * 4 + [90] + [0] * 4 + [10]
    assert_equals_ledger(report)


def test_a_new_time_zone_sums_every_day_again(history) -> None:
    read()
    Merchant.objects.filter(schema_name=connection.schema_name).update(timezone="Asia/Dubai")
    now = NOW.astimezone(DUBAI)
    report = read(now)
    # The 23:30 earn of June 5 in Amman is on June 6 in Dubai.
    assert june(report) == [200, 0, 0, 0, 0, 30] + [0] * 3 + [90] + [0] * 4 + [10]
    assert_equals_ledger(report, DUBAI)
    assert set(LedgerDay.objects.values_list("timezone", flat=True)) == {"Asia/Dubai"}


# The clock runs on from a fixed noon (the threads wait on each other for real).
@time_machine.travel(NOW, tick=True)
def test_a_void_waits_for_a_read_storing_its_day_and_drops_what_it_stored(busy_merchant) -> None:
    """The read sums the day before the void commits; the void's delete must not run
    before the read's rows commit, or they would stay with the voided earn counted."""
    schema, programme = busy_merchant
    tz = AMMAN
    now = timezone.now()
    with schema_context(schema):
        committed(lambda: LedgerDay.objects.all().delete())
        member = committed(programme.member)
        earn = committed(
            lambda: points_earn(
                membership_id=member.pk,
                amount="9.000",
                actor=programme.cashier,
                at=now - datetime.timedelta(days=3),
            )
        )
    day = earn.created_at.astimezone(tz).date()
    stored, voided = threading.Event(), threading.Event()

    def reader() -> None:
        with schema_context(schema), transaction.atomic():
            ledger_days_read(first=day, now=now, tz=tz)
            stored.set()
            # Commit only once the void waits for the lock this read holds.
            with connection.cursor() as cursor:
                for _ in range(200):
                    cursor.execute(
                        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
                    )
                    if cursor.fetchone()[0]:
                        break
                    time.sleep(0.05)
        connection.close()

    def voider() -> None:
        stored.wait(30)
        with schema_context(schema):
            points_void(entry_id=earn.pk, actor=programme.manager, reason="twice")
        voided.set()
        connection.close()

    threads = [threading.Thread(target=reader), threading.Thread(target=voider)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert voided.is_set()

    with schema_context(schema):
        assert not LedgerDay.objects.filter(day=day).exists()
        rows = ledger_days_read(first=day, now=now, tz=tz)
        assert [r.earn_points for r in rows if r.day == day] == [0]  # its empty row only
        committed(lambda: LedgerDay.objects.all().delete())
