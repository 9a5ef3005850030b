"""Earning points: the counter's hot path, measured at the service level.

    make bench-earn                 # BENCH_PROFILE=1 adds a profile (top 20 functions)

In a database of its own: one merchant with the seed's programme (tiers, a campaign
and a daily cap, so every rule is exercised), then
* the statements one earn sends, without and with an idempotency key and a cashier
  (as the API calls it);
* sequential: 500 earns on 50 members, one after another, inside the merchant's
  context as a request has it; prints the median and p95 per earn, and the CPU time
  per earn of this process (Python) and of its PostgreSQL backend;
* concurrent: 4 threads x 250 earns on 4 members each, the way a busy counter and
  the app race; prints earns per second.
"""

import os
import resource
import statistics
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "loyalty.settings.test")

from provisioning import bench_database  # noqa: E402

SEQUENTIAL = 500
TICKS = os.sysconf("SC_CLK_TCK")


def cpu_self() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def cpu_backend(pid: int) -> float:
    """CPU seconds of a PostgreSQL backend (utime + stime from /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def main() -> None:
    bench_database()
    import django

    django.setup()
    import datetime
    from decimal import Decimal

    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django_tenants.utils import tenant_context

    from points.models import Campaign, PointsSettings
    from points.services import points_earn
    from points.tests.factories import programme_create
    from tenants.services import merchant_create

    call_command("migrate_schemas", shared=True, verbosity=0)
    merchant = merchant_create(name="Bench", slug="bench-earn", owner_email="o@bench.jo").merchant
    with tenant_context(merchant):
        programme = programme_create()
        PointsSettings.objects.filter(pk=1).update(daily_earn_cap=100_000, expiry_months=12)
        Campaign.objects.create(
            name="Happy Hour",
            kind=Campaign.Kind.WEEKLY,
            multiplier=Decimal("2"),
            weekdays="2",
            start_time=datetime.time(16),
            end_time=datetime.time(18),
        )
        members = [programme.member() for _ in range(66)]
        with CaptureQueriesContext(connection) as queries:
            points_earn(membership_id=members[0].pk, amount="5.000")
        with CaptureQueriesContext(connection) as keyed:
            points_earn(
                membership_id=members[0].pk,
                amount="5.000",
                actor=programme.cashier,
                idempotency_key="bench-key-1",
            )
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            backend = cursor.fetchone()[0]
        timings = []
        cpu_started, backend_started = cpu_self(), cpu_backend(backend)
        for i in range(SEQUENTIAL):
            started = time.perf_counter()
            points_earn(membership_id=members[i % 50].pk, amount="7.250")
            timings.append(time.perf_counter() - started)
        cpu = (cpu_self() - cpu_started) / SEQUENTIAL
        cpu_pg = (cpu_backend(backend) - backend_started) / SEQUENTIAL
        if os.environ.get("BENCH_PROFILE"):
            import cProfile
            import pstats

            profile = cProfile.Profile()
            profile.enable()
            for i in range(200):
                points_earn(membership_id=members[i % 50].pk, amount="7.250")
            profile.disable()

    def worker(offset: int, done: list[int]) -> None:
        with tenant_context(merchant):
            for i in range(250):
                points_earn(membership_id=members[50 + offset * 4 + i % 4].pk, amount="3.500")
        connection.close()
        done.append(250)

    done: list[int] = []
    threads = [threading.Thread(target=worker, args=(n, done)) for n in range(4)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started

    ordered = sorted(timings)
    print("Earning points (points_earn), embedded PostgreSQL 16:")
    print(f"  queries per earn        {len(queries.captured_queries)}")
    print(f"  with key and cashier    {len(keyed.captured_queries)}")
    print(f"  sequential median       {statistics.median(ordered) * 1000:6.2f} ms")
    print(f"  sequential p95          {ordered[int(len(ordered) * 0.95)] * 1000:6.2f} ms")
    print(f"  CPU per earn, Python    {cpu * 1000:6.2f} ms")
    print(f"  CPU per earn, Postgres  {cpu_pg * 1000:6.2f} ms")
    print(f"  4 threads               {sum(done) / elapsed:6.0f} earns/s")
    if os.environ.get("BENCH_PROFILE"):
        print("\nProfile of 200 sequential earns (top 20 by own time):")
        pstats.Stats(profile, stream=sys.stdout).sort_stats("tottime").print_stats(20)


if __name__ == "__main__":
    main()
