"""The daily jobs and the other beat jobs that visit every merchant, at scale.

    make bench-jobs                                   # 1,000 merchants x 1,000 members
    BENCH_MERCHANTS=20 BENCH_MEMBERS=200 make bench-jobs   # a quick run

In a database of its own: BENCH_MERCHANTS merchants made by `merchant_create` (progress
shown), each filled by bulk SQL (INSERT ... SELECT generate_series, one transaction per
merchant) with BENCH_MEMBERS customers (public schema) and their memberships, ledger
entries, lots and lot consumptions (merchant schema), counters equal to the ledger. Per
member n, with the run's local date D:
* an earn of 100 points a year ago, its lot expiring on D (n % 3 == 0), on D + 7 days
  (n % 3 == 1: warned of today) or on D + 200 days;
* an earn of 50 points 30 days ago, expiring on D + 335 days;
* when n % 6 == 0, a redemption of 30 points 10 days ago, taken from the first lot.
Points expire after 12 months, the birthday bonus is 50 points, tiers are reviewed
every 12 months. As on any day of a programme running for a year: as many lots are
warned of as expire, the birthdays due are those of the day (n % 365 == 0; the others
fall 30 days or more later) and review dates are spread over the year (n * 11 % 365
days after D: the day's reviews, and 14 days of members checked for a warning).

BENCH_REUSE=1 keeps the database (`<name>_bench_jobs`, or BENCH_DATABASE's name) and the
merchants of an earlier run (those whose slug starts with `bench-`), emptied schema by
schema (memberships, with everything that refers to them, and the outbox; the
customers are kept and taken again) and filled again: provisioning 1,000 merchants
takes longer than the rest.
BENCH_PROVISION_ONLY=1 stops after provisioning.

Then, with the clock frozen at 00:30 on D in Amman (the beat's hour) and Celery eager:
`points.tasks.daily_jobs_all` (the beat's task: it queues `daily_jobs` per merchant),
timed, its per-merchant tasks run by BENCH_WORKERS processes forked from this one (4, the
worker's concurrency in docker-compose.yml), each taking the next merchant when done, as
the worker's prefork children take the next task; BENCH_WORKERS=1 runs them all in this
process, one after another. The points expired are checked against what was planted,
`reconcile` must be clean in every schema, and a second run must expire nothing. Then
one pass of every other beat job that visits every merchant (`beat_jobs_time`, also
used by bench/scale.py). Goal: the daily jobs over 1,000 x 1,000 in 5 minutes or less.
"""

import contextlib
import os
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "loyalty.settings.test")

MERCHANTS = int(os.environ.get("BENCH_MERCHANTS", "1000"))
MEMBERS = int(os.environ.get("BENCH_MEMBERS", "1000"))
REUSE = os.environ.get("BENCH_REUSE", "") == "1"
# The daily jobs' per-merchant tasks run in this many processes, as the worker's prefork
# children run them (docker-compose.yml: --concurrency 4); 1 runs them one after another.
WORKERS = int(os.environ.get("BENCH_WORKERS", "4"))
DATABASE = os.environ.get("BENCH_DATABASE", "bench_jobs")

# Per member n of a merchant: the first lot's expiry, as days after the run's date.
FILL_SQL = """
WITH c AS (
    INSERT INTO public.customers_customer
        (phone, name, email, birthday, language, marketing_consent, time_zone, is_active,
         created_at)
    SELECT '+962' || lpad((%(base)s + n)::text, 10, '0'), 'Member ' || n, '',
           %(birthday)s::date + CASE WHEN n %% 365 = 0 THEN 0 ELSE 30 + n %% 300 END, 'ar',
           n %% 2 = 0, 'Asia/Amman', true,
           %(joined)s
    FROM generate_series(0, %(members)s - 1) AS n
    ON CONFLICT (phone) DO UPDATE SET name = EXCLUDED.name
    RETURNING id, phone
)
INSERT INTO points_membership
    (customer_id, member_number, referral_code, referral_paid, tier_id, tier_review_on,
     current_points, total_earned, total_redeemed, total_visits, total_spend,
     carry_remainder, status, joined_at, last_visit_at)
SELECT c.id, 'M' || lpad(n::text, 9, '0'), 'R' || lpad(n::text, 9, '0'), false, %(tier)s,
       %(day)s::date + ((n * 11) %% 365)::int,
       CASE WHEN n %% 6 = 0 THEN 120 ELSE 150 END, 150,
       CASE WHEN n %% 6 = 0 THEN 30 ELSE 0 END, 2, 15.000, 0, 'active', %(joined)s,
       %(joined)s + interval '335 days'
FROM c, LATERAL (SELECT right(c.phone, 10)::bigint - %(base)s AS n) AS k;

INSERT INTO points_ledgerentry
    (membership_id, kind, bonus_kind, points, balance_after, amount, currency, explanation,
     description, description_ar, reason, idempotency_key, created_at)
SELECT id, 'earn', '', 100, 100, 10.000, 'JOD', '{}', 'Purchase: +100 points',
       'شراء: +100 نقطة', '', '', %(joined)s + interval '1 day'
FROM points_membership ORDER BY id;

INSERT INTO points_ledgerentry
    (membership_id, kind, bonus_kind, points, balance_after, amount, currency, explanation,
     description, description_ar, reason, idempotency_key, created_at)
SELECT id, 'earn', '', 50, 150, 5.000, 'JOD', '{}', 'Purchase: +50 points',
       'شراء: +50 نقطة', '', '', %(joined)s + interval '335 days'
FROM points_membership ORDER BY id;

INSERT INTO points_pointslot (membership_id, entry_id, points, remaining, expires_on,
                              expiry_warned)
SELECT e.membership_id, e.id, e.points, e.points,
       CASE WHEN e.points = 50 THEN %(day)s::date + 335
            WHEN right(m.member_number, 9)::int %% 3 = 0 THEN %(day)s::date
            WHEN right(m.member_number, 9)::int %% 3 = 1 THEN %(day)s::date + 7
            ELSE %(day)s::date + 200 END,
       false
FROM points_ledgerentry e JOIN points_membership m ON m.id = e.membership_id;

WITH r AS (
    INSERT INTO points_ledgerentry
        (membership_id, kind, bonus_kind, points, balance_after, amount, currency,
         explanation, description, description_ar, reason, idempotency_key, created_at)
    SELECT id, 'redeem', '', -30, 120, NULL, '', '{}', 'Reward: -30 points',
           'مكافأة: -30 نقطة', '', '', %(joined)s + interval '355 days'
    FROM points_membership WHERE right(member_number, 9)::int %% 6 = 0 ORDER BY id
    RETURNING id, membership_id
), taken AS (
    UPDATE points_pointslot l SET remaining = 70
    FROM r WHERE l.membership_id = r.membership_id AND l.points = 100
    RETURNING l.id AS lot_id, r.id AS entry_id
)
INSERT INTO points_lotconsumption (entry_id, lot_id, points)
SELECT entry_id, lot_id, 30 FROM taken;

UPDATE points_pointssettings SET expiry_months = 12, birthday_bonus = 50,
       tier_window_months = 12;
"""


@dataclass(frozen=True)
class BeatRow:
    """One pass of a beat job over every merchant."""

    job: str
    seconds: float
    merchants: int
    result: str

    @property
    def per_merchant_ms(self) -> float:
        return self.seconds * 1000 / max(self.merchants, 1)


def run_day(day: "datetime.date") -> "datetime.datetime":  # noqa: F821
    """00:30 on `day` in Amman: when the beat runs the daily jobs."""
    import datetime
    from zoneinfo import ZoneInfo

    return datetime.datetime.combine(day, datetime.time(0, 30), tzinfo=ZoneInfo("Asia/Amman"))


def merchants_fill(schemas: list[str], *, members: int, day: "datetime.date") -> None:  # noqa: F821
    """Fill each schema with `members` members, as the module's docstring says."""
    import datetime

    from django.db import connection, transaction

    joined = run_day(day) - datetime.timedelta(days=366)
    # 1990 was no leap year: a run on 29 February celebrates on the 28th.
    birthday = datetime.date(1990, day.month, min(day.day, 28 if day.month == 2 else day.day))
    started = time.perf_counter()
    for i, schema in enumerate(schemas):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f'SET LOCAL search_path TO "{schema}", public')
            cursor.execute("SELECT id FROM points_tier ORDER BY rank LIMIT 1")
            tier = cursor.fetchone()[0]
            params = {
                "base": 1_000_000 + i * members,
                "members": members,
                "joined": joined,
                "day": day,
                "tier": tier,
                "birthday": birthday,
            }
            for statement in FILL_SQL.split(";\n\n"):
                cursor.execute(statement, params)
        if (i + 1) % 50 == 0 or i + 1 == len(schemas):
            print(
                f"  filled {i + 1}/{len(schemas)} merchants"
                f" ({time.perf_counter() - started:.0f} s)",
                flush=True,
            )


def expected_expiry(members: int) -> tuple[int, int]:
    """Members whose points expire on the run's date, and the points, per merchant."""
    due = [n for n in range(members) if n % 3 == 0]
    return len(due), sum(70 if n % 6 == 0 else 100 for n in due)


def expired_totals(schemas: list[str]) -> tuple[int, int]:
    """Expiry entries and their points over these schemas, read from the ledgers."""
    from django.db import connection

    entries = points = 0
    with connection.cursor() as cursor:
        for start in range(0, len(schemas), 200):
            parts = [
                f'SELECT count(*), coalesce(sum(points), 0) FROM "{s}".points_ledgerentry'
                " WHERE kind = 'expire'"
                for s in schemas[start : start + 200]
            ]
            cursor.execute(
                "SELECT sum(c), sum(p) FROM (" + " UNION ALL ".join(parts) + ") AS t(c, p)"
            )
            c, p = cursor.fetchone()
            entries, points = entries + int(c), points - int(p)
    return entries, points


def drifts(schemas: list[str]) -> int:
    from django_tenants.utils import schema_context

    from points.reconcile import reconcile

    found = 0
    for schema in schemas:
        with schema_context(schema):
            found += len(reconcile().drifts)
    return found


def _in_processes(
    task: object, schemas: list[str], workers: int, spent: dict[str, float], kicked: list[str]
) -> int:
    """Run `task(schema)` for every queued schema in `workers` processes forked from this
    one, each taking the next schema when it is done with one (as prefork children take
    the next queued task). Their seconds per job are added to `spent`, the relay kicks
    they made to `kicked`. Forked, so they share this process's frozen clock; each opens
    its own database connection."""
    import multiprocessing
    import traceback

    from django.db import connections

    connections.close_all()  # a child must not share this process's connection
    context = multiprocessing.get_context("fork")
    todo = context.Queue()
    done = context.Queue()
    for schema in schemas:
        todo.put(schema)
    for _ in range(workers):
        todo.put(None)

    def work() -> None:
        spent.clear()
        kicked.clear()
        try:
            while (schema := todo.get()) is not None:
                task(schema)  # type: ignore[operator]
            done.put((dict(spent), list(kicked), None))
        except Exception:
            done.put(({}, [], traceback.format_exc()))
        finally:
            connections.close_all()

    processes = [context.Process(target=work) for _ in range(workers)]
    for process in processes:
        process.start()
    failures = []
    for _ in processes:
        their_spent, their_kicks, failure = done.get()
        for name, seconds in their_spent.items():
            spent[name] = spent.get(name, 0.0) + seconds
        kicked.extend(their_kicks)
        if failure:
            failures.append(failure)
    for process in processes:
        process.join()
    if failures:
        raise RuntimeError("a worker process failed:\n" + "\n".join(failures))
    return len(schemas)


def _eager() -> object:
    from loyalty.celery import app

    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    return previous


def _timed(job: str, merchants: int, call: object) -> BeatRow:
    started = time.perf_counter()
    result = call()  # type: ignore[operator]
    seconds = time.perf_counter() - started
    shown = len(result) if isinstance(result, list) else result
    return BeatRow(job, seconds, merchants, str(shown))


def beat_jobs_time(schemas: list[str], *, daily: bool = True) -> list[BeatRow]:
    """One pass of each beat job that visits every merchant, as the beat starts it
    (its task, run eagerly in this process: one worker doing all of it, one merchant
    after another). `schemas` are the merchants' schemas (for the per-merchant figure);
    the jobs themselves visit every active merchant. With `daily`, the daily jobs
    first (`daily_jobs_time`: they expire points at the clock's date)."""
    from django.core.cache import caches

    from billing.tasks import billing_clock
    from loyalty.celery import app
    from messaging.tasks import relay_sweep
    from points.tasks import expire_redemptions_all
    from tenants.tasks import stats_collect_all

    rows = [daily_jobs_time(schemas)[0]] if daily else []
    previous = _eager()
    try:
        caches["platform"].clear()  # no relay left marked queued by an earlier run
        rows += [
            _timed("relay sweep (messaging.tasks.relay_sweep)", len(schemas), relay_sweep),
            _timed("relay sweep again (nothing due)", len(schemas), relay_sweep),
            _timed(
                "expire redemptions (points.tasks.expire_redemptions_all)",
                len(schemas),
                expire_redemptions_all,
            ),
            _timed(
                "platform stats (tenants.tasks.stats_collect_all)", len(schemas), stats_collect_all
            ),
            _timed("billing clock (billing.tasks.billing_clock)", len(schemas), billing_clock),
        ]
    finally:
        app.conf.task_always_eager = previous
    return rows


def daily_jobs_time(schemas: list[str], workers: int = 1) -> tuple[BeatRow, dict[str, float]]:
    """`points.tasks.daily_jobs_all` as the beat starts it, eagerly in this process;
    with the seconds spent in each of the jobs it runs per merchant, summed.

    With `workers` > 1, the per-merchant tasks it queues are run by that many processes
    forked from this one (`_in_processes`), as the Celery worker's prefork children run
    them; the seconds per job are then summed over the processes."""
    from unittest import mock

    from loyalty.celery import app
    from messaging.tasks import relay
    from points import services, tasks

    spent: dict[str, float] = {}

    def clocked(name: str, func: object) -> object:
        def run(*args: object, **kwargs: object) -> object:
            started = time.perf_counter()
            try:
                return func(*args, **kwargs)  # type: ignore[operator]
            finally:
                spent[name] = spent.get(name, 0.0) + time.perf_counter() - started

        return run

    jobs = [
        (services, "points_expire"),
        (services, "points_warn_expiring"),
        (services, "birthday_bonuses_pay"),
        (services, "tiers_requalify"),
        (tasks, "redemptions_expire"),
        (tasks, "idempotency_prune"),
        (tasks, "messages_prune"),
    ]
    kicked: list[str] = []
    previous = _eager()
    try:
        with contextlib.ExitStack() as stack:
            for module, name in jobs:
                stack.enter_context(
                    mock.patch.object(module, name, clocked(name, getattr(module, name)))
                )
            # The messages the jobs queue are relayed by a task of their own, on any
            # worker: noted here, relayed after the jobs and timed apart.
            stack.enter_context(mock.patch.object(relay, "delay", kicked.append))
            if workers > 1:
                queued: list[str] = []
                stack.enter_context(mock.patch.object(tasks.daily_jobs, "delay", queued.append))

                def beat_then_workers() -> int:
                    tasks.daily_jobs_all()  # queues one task per merchant, into `queued`
                    return _in_processes(tasks.daily_jobs, queued, workers, spent, kicked)

                row = _timed(
                    f"daily jobs (points.tasks.daily_jobs_all), {workers} processes",
                    len(schemas),
                    beat_then_workers,
                )
            else:
                row = _timed(
                    "daily jobs (points.tasks.daily_jobs_all)",
                    len(schemas),
                    tasks.daily_jobs_all,
                )
        started = time.perf_counter()
        for schema in sorted(set(kicked)):
            relay(schema)
        spent["relay of the jobs' messages, after"] = time.perf_counter() - started
    finally:
        app.conf.task_always_eager = previous
    return row, spent


def rows_print(rows: list[BeatRow]) -> None:
    print(f"  {'job':<58} {'total':>9} {'per merchant':>13}  result")
    for row in rows:
        print(f"  {row.job:<58} {row.seconds:8.1f} s {row.per_merchant_ms:10.1f} ms  {row.result}")


def jobs_database(*, reuse: bool) -> bool:
    """Point DATABASE_URL at a database of this benchmark's own; True if it was kept."""
    from urllib.parse import urlsplit, urlunsplit

    import psycopg

    parts = urlsplit(os.environ["DATABASE_URL"])
    name = parts.path.lstrip("/") + "_" + DATABASE
    admin_url = urlunsplit(parts._replace(scheme="postgresql", path="/postgres"))
    with psycopg.connect(admin_url, autocommit=True) as conn:
        found = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not (reuse and found):
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            conn.execute(f'CREATE DATABASE "{name}"')
    os.environ["DATABASE_URL"] = urlunsplit(parts._replace(path=f"/{name}"))
    return bool(reuse and found)


def main() -> None:
    kept = jobs_database(reuse=REUSE)
    import django

    django.setup()
    import datetime

    import time_machine
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from tenants.models import Merchant
    from tenants.services import merchant_create

    call_command("migrate_schemas", shared=True, verbosity=0)
    # The run's date: tomorrow in Amman, well inside every merchant's trial.
    day = timezone.localdate(timezone.now()) + datetime.timedelta(days=1)
    schemas = list(
        Merchant.objects.filter(slug__startswith="bench-")
        .order_by("slug")
        .values_list("schema_name", flat=True)[:MERCHANTS]
    )
    if kept:
        print(f"Kept {len(schemas)} merchants of an earlier run; emptying them.", flush=True)
        # Schema by schema: one TRUNCATE cascading to every schema would need a lock
        # per table of all of them at once. The customers are kept and taken again.
        with connection.cursor() as cursor:
            for schema in schemas:
                cursor.execute(
                    f'TRUNCATE "{schema}".points_membership, "{schema}".messaging_outbox CASCADE'
                )
            cursor.execute("TRUNCATE public.tenants_merchantdailystats")
    print(f"Provisioning {MERCHANTS - len(schemas)} merchants (merchant_create, test hasher):")
    created = []
    started = time.perf_counter()
    for i in range(len(schemas), MERCHANTS):
        one = time.perf_counter()
        merchant = merchant_create(
            name=f"Bench {i}", slug=f"bench-{i:05d}", owner_email=f"o{i}@bench.jo"
        ).merchant
        created.append(time.perf_counter() - one)
        schemas.append(merchant.schema_name)
        if (i + 1) % 50 == 0 or i + 1 == MERCHANTS:
            print(
                f"  {i + 1}/{MERCHANTS} merchants ({time.perf_counter() - started:.0f} s,"
                f" median {statistics.median(created) * 1000:.0f} ms)",
                flush=True,
            )
    if os.environ.get("BENCH_PROVISION_ONLY") == "1":
        return
    print(f"Filling them with {MEMBERS} members each (bulk SQL):")
    fill_started = time.perf_counter()
    merchants_fill(schemas, members=MEMBERS, day=day)
    fill_seconds = time.perf_counter() - fill_started
    with time_machine.travel(run_day(day) - datetime.timedelta(hours=1), tick=True):
        # Drain what provisioning queued (the owners' welcome mails), so the sweep
        # below measures finding work, not this backlog.
        from loyalty.celery import app
        from messaging.tasks import relay

        previous = _eager()
        try:
            relay("public")
        finally:
            app.conf.task_always_eager = previous
    due_members, due_points = expected_expiry(MEMBERS)
    with time_machine.travel(run_day(day), tick=True):
        daily, spent = daily_jobs_time(schemas, WORKERS)
        entries, points = expired_totals(schemas)
        again, _ = daily_jobs_time(schemas, WORKERS)
        entries_again, _ = expired_totals(schemas)
        rows = beat_jobs_time(schemas, daily=False)
    drift = drifts(schemas)

    print()
    print(
        f"Daily jobs, {MERCHANTS} merchants x {MEMBERS} members, run date {day}"
        f" (fill {fill_seconds:.0f} s); "
        + (
            f"{WORKERS} processes, as the Celery worker's prefork children (BENCH_WORKERS):"
            if WORKERS > 1
            else "Celery eager: one process, one merchant after another:"
        )
    )
    print(f"  total                 {daily.seconds:8.1f} s   (goal 300 s at 1,000 x 1,000)")
    print(f"  merchants/s           {MERCHANTS / daily.seconds:8.1f}")
    print(f"  expiry entries/s      {entries / daily.seconds:8.0f}")
    print(
        f"  expired               {entries} entries, {points} points"
        f" (expected {due_members * MERCHANTS} entries, {due_points * MERCHANTS} points)"
    )
    if WORKERS > 1:
        print("  seconds per job, summed over the processes:")
    for name, seconds in spent.items():
        print(f"    {name:<32} {seconds:8.1f} s")
    print(f"  second run            {again.seconds:8.1f} s, {entries_again - entries} new expiries")
    print(f"  reconcile             {drift} drifts over {len(schemas)} schemas")
    print()
    print("Other beat jobs, one pass over every merchant (Celery eager, one process):")
    rows_print(rows)
    assert entries == due_members * MERCHANTS, (entries, due_members * MERCHANTS)
    assert points == due_points * MERCHANTS, (points, due_points * MERCHANTS)
    assert entries_again == entries
    assert drift == 0, drift


if __name__ == "__main__":
    main()
