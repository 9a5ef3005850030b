"""Does provisioning grow with the number of merchants? (docs/scaling.md, item 6)

    make bench-provisioning-growth                        # BENCH_MERCHANTS=150
    BENCH_MERCHANTS=300 BENCH_BLOCK=100 make bench-provisioning-growth

In a database of its own (`<name>_provisioning_growth`, dropped and created afresh),
with the test settings' fast password hasher (the owner's Argon2 hash is a constant
180 ms that would only hide the growth): `merchant_create` for merchants 1 to
BENCH_MERCHANTS, then a table per block of BENCH_BLOCK (50) merchants of the median
wall time and the median CPU time of the PostgreSQL backend that ran it (from
/proc/<pid>/stat: what other work on a shared machine distorts least). The first
merchant migrates for real and records the script the others replay; it is shown
apart. Then what every merchant leaves on the public customers table: its triggers,
the foreign keys into the public schema from merchant schemas, and the cost of one
DELETE of a customer with no membership (50 in one statement, rolled back; with a
foreign key from every schema each runs one check per schema) and of an UPDATE of a
customer's name (500); and the wall and CPU time of one more foreign key into
customers_customer, the step the old 0002_initial ran for each new merchant.

Run it at two commits to compare: copy this file into the other checkout's bench/ and
run it with that checkout as the working directory (it imports the code beside it, and
Celery puts the working directory first on the import path).
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

MERCHANTS = int(os.environ.get("BENCH_MERCHANTS", "150"))
BLOCK = int(os.environ.get("BENCH_BLOCK", "50"))
UPDATES = 500
DELETED = 50
FOREIGN_KEY_ROUNDS = 20
TICK = os.sysconf("SC_CLK_TCK")


def backend_cpu() -> float:
    """CPU seconds (user + system) of the backend serving Django's connection."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def one_value(sql: str) -> object:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchone()[0]


def provision() -> list[tuple[float, float]]:
    """(wall, backend CPU) seconds of each merchant_create."""
    from tenants.services import merchant_create

    timings = []
    for i in range(MERCHANTS):
        cpu, started = backend_cpu(), time.perf_counter()
        merchant_create(name=f"Growth {i}", slug=f"growth-{i:05d}", owner_email=f"o{i}@g.jo")
        wall = time.perf_counter() - started
        timings.append((wall, backend_cpu() - cpu))
        if (i + 1) % BLOCK == 0:
            print(f"  {i + 1}/{MERCHANTS} merchants", file=sys.stderr, flush=True)
    return timings


def customer_costs() -> tuple[float, float]:
    """Backend CPU ms of the DELETE of a memberless customer (mean of DELETED rows in one
    statement, constraints checked at once, rolled back) and of one UPDATE of a
    customer's name (mean of UPDATES)."""
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO customers_customer (phone, name, email, language, marketing_consent,"
            " time_zone, is_active, created_at) SELECT '+96279' || lpad(n::text, 7, '0'), '',"
            " '', 'ar', false, 'Asia/Amman', true, now() FROM generate_series(1, %s) n"
            " RETURNING id",
            [DELETED],
        )
        ids = [row[0] for row in cursor.fetchall()]
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        before = backend_cpu()
        for n in range(UPDATES):
            cursor.execute(
                "UPDATE customers_customer SET name = %s WHERE id = %s", [f"n{n}", ids[0]]
            )
        update_ms = (backend_cpu() - before) * 1000 / UPDATES
        before = backend_cpu()
        cursor.execute("DELETE FROM customers_customer WHERE id = ANY(%s)", [ids])
        delete_ms = (backend_cpu() - before) * 1000 / DELETED
        transaction.set_rollback(True)
    return delete_ms, update_ms


def foreign_key_add_cost() -> tuple[float, float]:
    """Median wall and mean backend CPU ms of what the old 0002_initial did for each new
    merchant: a table whose column references public.customers_customer (created in a
    scratch schema, rolled back; FOREIGN_KEY_ROUNDS times)."""
    from django.db import connection, transaction

    walls, cpus = [], []
    for _ in range(FOREIGN_KEY_ROUNDS):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute('CREATE SCHEMA "_fk_probe"')
            cpu, started = backend_cpu(), time.perf_counter()
            cursor.execute(
                'CREATE TABLE "_fk_probe".m (id bigint, customer_id bigint'
                " REFERENCES public.customers_customer (id) DEFERRABLE INITIALLY DEFERRED)"
            )
            walls.append(time.perf_counter() - started)
            cpus.append(backend_cpu() - cpu)
            transaction.set_rollback(True)
    return statistics.median(walls) * 1000, sum(cpus) * 1000 / FOREIGN_KEY_ROUNDS


def main() -> None:
    bench_database("_provisioning_growth")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate_schemas", shared=True, verbosity=0)
    print(f"Provisioning {MERCHANTS} merchants (merchant_create, fast hasher) ...", flush=True)
    timings = provision()

    first_wall, first_cpu = timings[0]
    print()
    print(f"{'merchants':<14} {'wall median':>12} {'PG CPU median':>14}")
    print(f"{'1 (migrates)':<14} {first_wall * 1000:>9.0f} ms {first_cpu * 1000:>11.0f} ms")
    for start in range(0, MERCHANTS, BLOCK):
        block = timings[max(start, 1) : start + BLOCK]
        if not block:
            continue
        wall = statistics.median(t[0] for t in block) * 1000
        cpu = statistics.median(t[1] for t in block) * 1000
        label = f"{max(start, 1) + 1}-{min(start + BLOCK, MERCHANTS)}"
        print(f"{label:<14} {wall:>9.0f} ms {cpu:>11.0f} ms")

    triggers = one_value(
        "SELECT count(*) FROM pg_trigger WHERE tgrelid = 'public.customers_customer'::regclass"
    )
    keys = one_value(
        """SELECT count(*) FROM pg_constraint c
           JOIN pg_class ref ON ref.oid = c.confrelid
           WHERE c.contype = 'f' AND ref.relnamespace = 'public'::regnamespace
             AND c.connamespace <> 'public'::regnamespace"""
    )
    delete_ms, update_ms = customer_costs()
    fk_wall, fk_cpu = foreign_key_add_cost()
    print()
    print(f"triggers on public.customers_customer:          {triggers}")
    print(f"foreign keys from merchant schemas into public: {keys}")
    print(f"DELETE of one customer (PG CPU, mean):          {delete_ms:.2f} ms")
    print(f"UPDATE of one customer's name (PG CPU, mean):   {update_ms:.3f} ms")
    print(
        f"one more foreign key into customers_customer:   {fk_wall:.1f} ms ({fk_cpu:.1f} ms PG CPU)"
    )


if __name__ == "__main__":
    main()
