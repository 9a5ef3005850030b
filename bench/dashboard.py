"""The merchant dashboard home on a large ledger: BENCH_ENTRIES (1,000,000) entries.

    make bench-dashboard
    BENCH_ENTRIES=100000 make bench-dashboard      # a quick run

In a database of its own: one merchant with the seed's programme and BENCH_MEMBERS
(20,000) members; the entries are inserted by one INSERT ... SELECT generate_series
(this measures reading, not writing), spread over 90 days: nine earns for each
redemption, made by two cashiers and the owner, and a void for about one earn in a
hundred. Times the first read of the home page's figures (`dashboard.reports.report_home`),
which sums the closed days and stores them (points.daily), then prints the median and
p95 of BENCH_ROUNDS (20) runs of the figures and of the whole page over HTTP (Django's
test client, signed in as the owner), of a read after a closed day's sums are dropped
(as a void or a back-dated entry drops them), and of the two ledger aggregates the page
ran before; then checks the figures against sums read straight from the ledger.
Target: p95 of 300 ms or less.
"""

import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "loyalty.settings.test")

from provisioning import bench_database  # noqa: E402

ENTRIES = int(os.environ.get("BENCH_ENTRIES", "1000000"))
MEMBERS = int(os.environ.get("BENCH_MEMBERS", "20000"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "20"))

# Entry n: member n % members, a redemption when n % 10 == 0, else an earn of 20-200
# points by one of three staff; at a pseudo-random minute of the last 90 days.
ENTRIES_SQL = """
INSERT INTO points_ledgerentry
    (membership_id, kind, bonus_kind, points, balance_after, amount, currency, explanation,
     description, description_ar, reason, idempotency_key, actor_id, created_at)
SELECT %(first)s + n %% %(members)s,
       CASE WHEN n %% 10 = 0 THEN 'redeem' ELSE 'earn' END, '',
       CASE WHEN n %% 10 = 0 THEN -100 ELSE (20 + (n * 7919) %% 181)::int END,
       1000,
       CASE WHEN n %% 10 = 0 THEN NULL ELSE 5.000 END, 'JOD', '{}', 'bench', 'bench', '', '',
       CASE WHEN n %% 10 = 0 THEN NULL ELSE (ARRAY[%(a)s, %(b)s, %(c)s])[1 + n %% 3] END,
       %(now)s - make_interval(mins => ((n::bigint * 104729) %% (90 * 24 * 60))::int)
FROM generate_series(0::bigint, %(entries)s - 1) AS n
"""
VOIDS_SQL = """
INSERT INTO points_ledgerentry
    (membership_id, kind, bonus_kind, points, balance_after, amount, currency, explanation,
     description, description_ar, reason, idempotency_key, actor_id, reverses_id, created_at)
SELECT membership_id, 'void', '', -points, 1000, amount, 'JOD', '{}', 'bench', 'bench', '',
       '', actor_id, id, created_at + interval '5 minutes'
FROM points_ledgerentry WHERE kind = 'earn' AND id %% 97 = 0
"""
# What the home page must show, read straight from the ledger (dashboard.reports).
ISSUED_SQL = """
SELECT (e.created_at AT TIME ZONE %(tz)s)::date, sum(e.points)
FROM points_ledgerentry e
WHERE e.created_at >= %(since)s AND e.kind IN ('earn', 'bonus')
  AND NOT EXISTS (SELECT 1 FROM points_ledgerentry v WHERE v.reverses_id = e.id)
GROUP BY 1
"""
STAFF_SQL = """
SELECT e.actor_id, count(*), sum(e.points), sum(e.amount)
FROM points_ledgerentry e
WHERE e.created_at >= %(since)s AND e.kind = 'earn' AND e.actor_id IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM points_ledgerentry v WHERE v.reverses_id = e.id)
GROUP BY 1
"""


def timed(call: object, rounds: int) -> list[float]:
    timings = []
    for _ in range(rounds):
        started = time.perf_counter()
        call()  # type: ignore[operator]
        timings.append(time.perf_counter() - started)
    return timings


def p95(timings: list[float]) -> float:
    ordered = sorted(timings)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def main() -> None:
    bench_database()
    import django

    django.setup()
    import datetime

    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone
    from django_tenants.utils import tenant_context

    from customers.models import Customer
    from dashboard.reports import report_home
    from points.models import LedgerDay, Membership
    from points.tests.factories import programme_create
    from tenants.selectors import merchant_timezone
    from tenants.services import merchant_create

    call_command("migrate_schemas", shared=True, verbosity=0)
    created = merchant_create(
        name="Big Cafe", slug="big-cafe", owner_email="o@big.jo", owner_password="bench-pass-2026"
    )
    now = timezone.now()
    with tenant_context(created.merchant):
        programme = programme_create()
        customers = Customer.objects.bulk_create(
            (Customer(phone=f"+9627{n:08d}", name=f"Member {n}") for n in range(MEMBERS)),
            batch_size=5000,
        )
        Membership.objects.bulk_create(
            (
                Membership(
                    customer=c,
                    member_number=str(10_000_000 + n),
                    referral_code=f"R{n:07d}",
                    tier=programme.bronze,
                    joined_at=now - datetime.timedelta(days=n % 120),
                    last_visit_at=now - datetime.timedelta(days=n % 60),
                )
                for n, c in enumerate(customers)
            ),
            batch_size=5000,
        )
        started = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute("SELECT min(id) FROM points_membership")
            first = cursor.fetchone()[0]
            owner = created.owner.pk
            staff = (programme.cashier.pk, programme.manager.pk, owner)
            cursor.execute(
                ENTRIES_SQL,
                {"first": first, "members": MEMBERS, "entries": ENTRIES, "now": now}
                | dict(zip("abc", staff, strict=True)),
            )
            cursor.execute(VOIDS_SQL, {})
            cursor.execute("ANALYZE points_ledgerentry")
            cursor.execute("SELECT count(*) FROM points_ledgerentry")
            total = cursor.fetchone()[0]
        print(f"  {total:,} entries inserted in {time.perf_counter() - started:.0f} s", flush=True)

        # The first read sums the 29 closed days from the ledger and stores them.
        with CaptureQueriesContext(connection) as cold_queries:
            started = time.perf_counter()
            report = report_home()
            cold = time.perf_counter() - started
        cold_slowest = sorted(cold_queries.captured_queries, key=lambda q: -float(q["time"]))
        figures = timed(report_home, ROUNDS)
        with CaptureQueriesContext(connection) as queries:
            report_home()
        slowest = sorted(queries.captured_queries, key=lambda q: -float(q["time"]))
        # A closed day dropped, as a void or a back-dated entry drops it: summed again.
        dropped = report.days[len(report.days) // 2]
        redone = []
        for _ in range(3):
            LedgerDay.objects.filter(day=dropped).delete()
            redone += timed(report_home, 1)
        tz = merchant_timezone()

        def ledger_sums() -> tuple[dict, list]:
            with connection.cursor() as cursor:
                cursor.execute(ISSUED_SQL, {"tz": tz.key, "since": report.since})
                issued = dict(cursor.fetchall())
                cursor.execute(STAFF_SQL, {"since": report.since})
                rows = cursor.fetchall()
            return issued, [(r[1], r[2], r[3]) for r in sorted(rows, key=lambda r: (-r[1], r[0]))]

        # The two aggregates the page ran before the day sums, for comparison.
        direct = timed(ledger_sums, 3)
        issued, staff_rows = ledger_sums()
        expected_issued = [int(issued.get(day) or 0) for day in report.days]
        active = Membership.objects.filter(last_visit_at__gte=report.since).count()
        after = report_home()

    client = Client(HTTP_HOST="big-cafe.localhost:8000")
    client.post("/admin/login/", {"username": "o@big.jo", "password": "bench-pass-2026"})
    assert client.get("/admin/").status_code == 200

    def page() -> None:
        assert client.get("/admin/").status_code == 200

    pages = timed(page, ROUNDS)
    with CaptureQueriesContext(connection) as page_queries:
        page()
    slowest_page = sorted(page_queries.captured_queries, key=lambda q: -float(q["time"]))

    print(f"Dashboard home, {total:,} ledger entries, {MEMBERS:,} members, {ROUNDS} rounds:")
    print(
        f"  first read (sums and stores the closed days) {cold * 1000:6.1f} ms,"
        f" {len(cold_queries.captured_queries)} queries"
    )
    for label, timings in (
        ("figures (report_home)", figures),
        ("whole page over HTTP", pages),
        ("a closed day dropped", redone),
        ("ledger aggregates", direct),
    ):
        print(
            f"  {label:<24} median {statistics.median(timings) * 1000:7.1f} ms"
            f"   p95 {p95(timings) * 1000:7.1f} ms   max {max(timings) * 1000:7.1f} ms"
            f"   ({len(timings)} runs)"
        )
    print("  (target: p95 of report_home and of the page 300 ms or less; the ledger")
    print("   aggregates are the two sums the page read before the day sums)")
    checks = [
        ("points issued per day", report.issued, expected_issued),
        (
            "sales per staff member",
            [(s.sales, s.points, s.amount) for s in report.staff],
            staff_rows,
        ),
        ("members", report.members, MEMBERS),
        ("active members", report.active_members, active),
        ("after a day dropped", (after.issued, after.staff), (report.issued, report.staff)),
    ]
    for name, shown, expected in checks:
        mark = "equal" if shown == expected else f"DIFFER: shown {shown}, ledger {expected}"
        print(f"  {name:<24} {mark}")
    print(f"  points issued, 30 days   {report.points_issued:,}")
    print(f"  the first read's {len(cold_slowest)} queries, the slowest:")
    for query in cold_slowest[:3]:
        print(f"    {float(query['time']) * 1000:7.1f} ms  {query['sql'][:110]}")
    print(f"  report_home's {len(slowest)} queries, the slowest (one run):")
    for query in slowest[:4]:
        print(f"    {float(query['time']) * 1000:7.1f} ms  {query['sql'][:110]}")
    print(f"  the page's {len(slowest_page)} queries, the slowest (one run):")
    for query in slowest_page[:6]:
        print(f"    {float(query['time']) * 1000:7.1f} ms  {query['sql'][:110]}")
    assert all(shown == expected for _, shown, expected in checks)


if __name__ == "__main__":
    main()
