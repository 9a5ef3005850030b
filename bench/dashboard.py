"""The merchant dashboard home on a large ledger: 100,000 entries, 2,000 members.

    make bench-dashboard

Rows are bulk-inserted (this measures reading, not writing), spread over 90 days.
Prints the median and worst time of the home page's figures (`report_home`) and of
the whole page over HTTP (test client, signed in as the owner); target 300 ms.
"""

import os
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "loyalty.settings.test")

from provisioning import bench_database  # noqa: E402

ENTRIES = int(os.environ.get("BENCH_ENTRIES", "100000"))
MEMBERS = 2000


def main() -> None:
    bench_database()
    import django

    django.setup()
    import datetime
    from decimal import Decimal

    from django.core.management import call_command
    from django.test import Client
    from django.utils import timezone
    from django_tenants.utils import tenant_context

    from customers.models import Customer
    from dashboard.reports import report_home
    from points.models import LedgerEntry, Membership
    from points.tests.factories import programme_create
    from tenants.services import merchant_create

    call_command("migrate_schemas", shared=True, verbosity=0)
    created = merchant_create(
        name="Big Cafe", slug="big-cafe", owner_email="o@big.jo", owner_password="bench-pass-2026"
    )
    rng = random.Random(7)
    now = timezone.now()
    with tenant_context(created.merchant):
        programme = programme_create()
        customers = Customer.objects.bulk_create(
            Customer(phone=f"+9627{n:08d}", name=f"Member {n}") for n in range(MEMBERS)
        )
        members = Membership.objects.bulk_create(
            Membership(
                customer=c,
                member_number=str(10_000_000 + n),
                referral_code=f"R{n:05d}",
                tier=programme.bronze,
                joined_at=now - datetime.timedelta(days=90),
                last_visit_at=now - datetime.timedelta(days=rng.randint(0, 60)),
            )
            for n, c in enumerate(customers)
        )
        batch = []
        for n in range(ENTRIES):
            kind = "redeem" if n % 10 == 0 else "earn"
            points = -100 if kind == "redeem" else rng.randint(20, 200)
            batch.append(
                LedgerEntry(
                    membership=members[n % MEMBERS],
                    kind=kind,
                    points=points,
                    balance_after=1000,
                    amount=Decimal("5.000") if kind == "earn" else None,
                    currency="JOD",
                    description="bench",
                    description_ar="bench",
                    actor=programme.cashier,
                    created_at=now - datetime.timedelta(minutes=rng.randint(0, 90 * 24 * 60)),
                )
            )
            if len(batch) == 5000:
                LedgerEntry.objects.bulk_create(batch)
                batch = []
        LedgerEntry.objects.bulk_create(batch)

        timings = []
        for _ in range(10):
            started = time.perf_counter()
            report_home()
            timings.append(time.perf_counter() - started)

    client = Client(HTTP_HOST="big-cafe.localhost:8000")
    client.post("/admin/login/", {"username": "o@big.jo", "password": "bench-pass-2026"})
    pages = []
    for _ in range(10):
        started = time.perf_counter()
        assert client.get("/admin/").status_code == 200
        pages.append(time.perf_counter() - started)

    print(f"Dashboard home, {ENTRIES} ledger entries, {MEMBERS} members:")
    print(
        f"  figures (report_home)   median {statistics.median(timings) * 1000:6.1f} ms"
        f"   max {max(timings) * 1000:6.1f} ms"
    )
    print(
        f"  whole page over HTTP    median {statistics.median(pages) * 1000:6.1f} ms"
        f"   max {max(pages) * 1000:6.1f} ms"
    )


if __name__ == "__main__":
    main()
