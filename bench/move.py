"""Time to move one merchant to another database (`manage.py merchant_move`).

    make bench-move   # embedded PostgreSQL, like `make test`

Runs in two databases of its own on the embedded server (`<name>_move` and
`<name>_move_target`, dropped and created afresh): creates a merchant with
BENCH_MEMBERS members (200) of BENCH_VISITS earns each (10) through `points_earn`,
moves it, and prints how long the copy took (the merchant is read-only for that long,
plus the settle time), the rows and sums on both sides, and the database sizes.
"""

import os
import sys
import time
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "loyalty.settings.test")
MEMBERS = int(os.environ.get("BENCH_MEMBERS", "200"))
VISITS = int(os.environ.get("BENCH_VISITS", "10"))


def databases() -> str:
    """Fresh source and target databases; returns the target's URL."""
    import psycopg

    parts = urlsplit(os.environ["DATABASE_URL"])
    name = parts.path.lstrip("/") + "_move"
    admin_url = urlunsplit(parts._replace(scheme="postgresql", path="/postgres"))
    with psycopg.connect(admin_url, autocommit=True) as conn:
        for db in (name, f"{name}_target"):
            conn.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{db}"')
    os.environ["DATABASE_URL"] = urlunsplit(parts._replace(path=f"/{name}"))
    return urlunsplit(parts._replace(path=f"/{name}_target"))


def main() -> None:
    target_url = databases()
    os.environ["MERCHANT_DATABASES"] = f"target={target_url}"
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django_tenants.utils import tenant_context

    from points.services import membership_join, points_earn
    from points.tests.factories import customer_make, programme_create
    from tenants.models import Merchant
    from tenants.move import merchant_move
    from tenants.services import merchant_create

    call_command("migrate_schemas", shared=True, verbosity=0)

    def merchant_with_history(slug: str, members: int, visits: int, first_phone: int) -> Merchant:
        merchant = merchant_create(
            name=slug.title(), slug=slug, owner_email=f"owner@{slug}.bench"
        ).merchant
        Merchant.objects.filter(pk=merchant.pk).update(
            email_verified_at=merchant.created_at, billing_status=Merchant.Billing.ACTIVE
        )
        merchant.refresh_from_db()
        with tenant_context(merchant):
            programme_create()
            for n in range(members):
                customer = customer_make(phone=f"+9627{first_phone + n}")
                membership = membership_join(customer=customer)
                for _ in range(visits):
                    points_earn(membership_id=membership.pk, amount=Decimal("7.250"))
        return merchant

    # The first move into an empty database also creates its platform tables.
    first = merchant_move(
        merchant=merchant_with_history("first-move", 1, 1, 70_000_000),
        database="target",
        settle=0,
    )
    started = time.perf_counter()
    merchant = merchant_with_history("moving-bakery", MEMBERS, VISITS, 80_000_000)
    print(f"history: {MEMBERS} members x {VISITS} earns in {time.perf_counter() - started:.0f} s")
    print(
        f"first move (1 member; creates the target's platform tables): {first.seconds:.2f} s,"
        f" of which prepare {first.steps['prepare']:.2f} s"
    )

    report = merchant_move(merchant=merchant, database="target", settle=0)
    print(f"\nMoving one merchant ({MEMBERS} members, {MEMBERS * VISITS} earns):")
    print(f"  copied and checked in {report.seconds:.2f} s (read-only for that long + settle)")
    print("  " + ", ".join(f"{step} {seconds:.2f} s" for step, seconds in report.steps.items()))
    print(f"  {'figure':<28} {'source':>10} {'target':>10}")
    for figure, (before, after) in report.ledger.items():
        print(f"  {figure:<28} {before:>10} {after:>10}")
    biggest = sorted(report.schema_rows.items(), key=lambda item: -item[1][0])[:5]
    for table, (before, after) in biggest:
        print(f"  {table:<28} {before:>10} {after:>10}")
    print(f"  drifts on the target: {len(report.drifts)}")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_size_pretty(sum(pg_total_relation_size(c.oid))) FROM pg_class c"
            " JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = %s",
            [merchant.schema_name],
        )
        print(f"  schema size on the source: {cursor.fetchone()[0]}")


if __name__ == "__main__":
    main()
