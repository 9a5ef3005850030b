"""Many merchants on one PostgreSQL: provisioning, migrations, requests and catalog.

    make bench-scale                          # BENCH_MERCHANTS=1000, BENCH_MEMBERS=20
    BENCH_MERCHANTS=50 make bench-scale       # a short run
    BENCH_RESUME=1 make bench-scale           # go on provisioning where a run stopped
    BENCH_NEW_MIGRATION=0 make bench-scale    # without the run with one new migration
    BENCH_SCALE_NAME=scale3 BENCH_MERCHANTS=3 make bench-scale   # another database,
                                              # beside the first (its own state file)

In a database of its own (`<name>_<BENCH_SCALE_NAME>`, default `<name>_scale`), with
production's password hashers (Argon2: the owner's password is hashed as in production,
not with the test settings' fast hasher):

1. 3 merchants, each with BENCH_MEMBERS members and their history; the p50 of one
   customer read (`GET /api/v1/membership`, customer JWT, Django test client) on the
   first merchant.
2. Merchants up to BENCH_MERCHANTS, each with the same members and history (bulk
   inserts, consistent with the counters, so `reconcile` finds no drift): provisioning
   median and p95 for each 100 merchants, shown as it goes.
3. The same customer read again: p50 with N merchants against 3.
4. `migrate_schemas` with nothing to apply (a child process: time, peak memory).
5. `migrate_schemas` with one new merchant migration (a temporary migration file added
   for the run and removed after): time and peak memory.
6. Database size, catalog size and relations per merchant.

Hooks: each function in `HOOKS` is called with the list of merchant schemas after
step 3 and returns rows (label, figure) for the table (the beat jobs over every
merchant are measured by bench/jobs.py and plug in here).
"""

import io
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "loyalty.settings.test")

MERCHANTS = int(os.environ.get("BENCH_MERCHANTS", "1000"))
MEMBERS = int(os.environ.get("BENCH_MEMBERS", "20"))
EARNS_PER_MEMBER = 5
READS = int(os.environ.get("BENCH_READS", "200"))
RESUME = os.environ.get("BENCH_RESUME") == "1"
PASSWORD = "scale-bench-pass-2026"
NAME = os.environ.get("BENCH_SCALE_NAME", "scale")
STATE = ROOT / ".local" / "bench" / f"{NAME}.json"
PROBE = ROOT / "dashboard" / "migrations" / "9999_bench_scale_probe.py"

Hook = Callable[[list[str]], list[tuple[str, str]]]
# BENCH_NEW_MIGRATION=0 leaves out the run with one new migration (every schema migrates:
# about half a second each).
NEW_MIGRATION = os.environ.get("BENCH_NEW_MIGRATION", "1") != "0"


def beat_jobs(schemas: list[str]) -> list[tuple[str, str]]:
    """One pass of each beat job that visits every merchant (bench/jobs.py)."""
    from jobs import beat_jobs_time

    say("Beat jobs over every merchant ...")
    rows = []
    for row in beat_jobs_time(schemas):
        say(f"  {row.job}: {row.seconds:.1f} s ({row.per_merchant_ms:.0f} ms a merchant)")
        rows.append(
            (
                f"{row.job}, {row.merchants} merchants",
                f"{row.seconds:.1f} s ({row.per_merchant_ms:.0f} ms a merchant; {row.result})",
            )
        )
    return rows


HOOKS: list[Hook] = [beat_jobs]


def scale_database() -> None:
    import psycopg

    parts = urlsplit(os.environ["DATABASE_URL"])
    name = parts.path.lstrip("/") + "_" + NAME
    admin_url = urlunsplit(parts._replace(scheme="postgresql", path="/postgres"))
    with psycopg.connect(admin_url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not (RESUME and exists):
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            conn.execute(f'CREATE DATABASE "{name}"')
            STATE.unlink(missing_ok=True)
    os.environ["DATABASE_URL"] = urlunsplit(parts._replace(path=f"/{name}"))


def say(text: str) -> None:
    print(text, flush=True)


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]


def customers_ensure() -> list[int]:
    """BENCH_MEMBERS customers (public): the same people join every merchant."""
    from customers.models import Customer

    phones = [f"+96279{n:07d}" for n in range(MEMBERS)]
    existing = set(Customer.objects.filter(phone__in=phones).values_list("phone", flat=True))
    Customer.objects.bulk_create(
        Customer(phone=phone, name=f"Member {n}")
        for n, phone in enumerate(phones)
        if phone not in existing
    )
    return list(
        Customer.objects.filter(phone__in=phones).order_by("phone").values_list("pk", flat=True)
    )


def members_add(schema: str, customer_ids: list[int]) -> None:
    """Memberships with EARNS_PER_MEMBER earns each, their lots, and counters that
    equal the ledger (what `reconcile` checks)."""
    import datetime
    from decimal import Decimal

    from django.utils import timezone
    from django_tenants.utils import schema_context

    from points.models import LedgerEntry, Membership, PointsLot
    from points.services.tiers import tier_entry_ensure

    now = timezone.now()
    with schema_context(schema):
        tier = tier_entry_ensure()
        plan = {
            n: [10 * (1 + (n + k) % 7) for k in range(EARNS_PER_MEMBER)]
            for n in range(len(customer_ids))
        }
        members = Membership.objects.bulk_create(
            Membership(
                customer_id=customer_id,
                member_number=str(10_000_000 + n),
                referral_code=f"R{n:07d}",
                tier=tier,
                joined_at=now - datetime.timedelta(days=60),
                last_visit_at=now - datetime.timedelta(days=1),
                current_points=sum(plan[n]),
                total_earned=sum(plan[n]),
                total_visits=EARNS_PER_MEMBER,
                total_spend=Decimal("5.000") * EARNS_PER_MEMBER,
            )
            for n, customer_id in enumerate(customer_ids)
        )
        entries = []
        for n, member in enumerate(members):
            balance = 0
            for k, points in enumerate(plan[n]):
                balance += points
                entries.append(
                    LedgerEntry(
                        membership=member,
                        kind=LedgerEntry.Kind.EARN,
                        points=points,
                        balance_after=balance,
                        amount=Decimal("5.000"),
                        currency="JOD",
                        description="bench",
                        description_ar="bench",
                        created_at=now - datetime.timedelta(days=EARNS_PER_MEMBER - k),
                    )
                )
        LedgerEntry.objects.bulk_create(entries)
        PointsLot.objects.bulk_create(
            PointsLot(membership_id=e.membership_id, entry=e, points=e.points, remaining=e.points)
            for e in entries
        )


def merchant_add(index: int, customer_ids: list[int]) -> float:
    """Provision merchant `index` (timed: `merchant_create` alone) and fill it."""
    from tenants.services import merchant_create

    started = time.perf_counter()
    created = merchant_create(
        name=f"Scale {index}",
        slug=f"scale-{index:05d}",
        owner_email=f"owner{index}@scale.bench",
        owner_password=PASSWORD,
    )
    seconds = time.perf_counter() - started
    members_add(created.merchant.schema_name, customer_ids)
    return seconds


def customer_read_p50(customer_id: int, reads: int = READS) -> tuple[float, float]:
    """p50 and p95 of `GET /api/v1/membership` on the first merchant, as a customer."""
    from django.core.cache import cache
    from django.test import Client

    from loyalty.api.tokens import CUSTOMER, tokens_issue
    from loyalty.db import connection

    # The reads come faster than a customer may send them: the throttle's counts
    # (loyalty.ratelimit.sliding_hit) start from nothing for each measurement.
    redis = cache.client  # type: ignore[attr-defined]  # loyalty.cache.RedisCache
    for key in redis.scan_iter(match="*sw:*"):
        redis.delete(key)
    token = tokens_issue(kind=CUSTOMER, subject_id=customer_id)["access"]
    client = Client(HTTP_HOST="scale-00001.localhost:8000", HTTP_AUTHORIZATION=f"Bearer {token}")
    timings = []
    for n in range(reads + 20):
        started = time.perf_counter()
        response = client.get("/api/v1/membership")
        if n >= 20:
            timings.append(time.perf_counter() - started)
        assert response.status_code == 200, response.content[:300]
    connection.set_schema_to_public()  # the middleware left the merchant's schema set
    return statistics.median(timings), p95(timings)


def manage(*args: str) -> tuple[float, float, str]:
    """Run `manage.py` in a child process: wall seconds, peak RSS in MB, last line."""
    started = time.perf_counter()
    child = subprocess.Popen(
        [sys.executable, str(ROOT / "manage.py"), *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert child.stdout is not None
    lines = []
    for line in child.stdout:
        lines.append(line.rstrip())
        if "merchant schemas" in line or "Error" in line:
            say(f"    {line.rstrip()}")
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - started
    if status != 0:
        say("\n".join(lines[-30:]))
        raise RuntimeError(f"manage.py {' '.join(args)} failed")
    summary = next((x for x in lines if "merchant schemas" in x), lines[-1] if lines else "")
    return seconds, usage.ru_maxrss / 1024, summary


def probe_migration_write() -> None:
    from django.db.migrations.loader import MigrationLoader

    loader = MigrationLoader(None, ignore_no_migrations=True)
    leaf = max(name for app, name in loader.graph.leaf_nodes() if app == "dashboard")
    PROBE.write_text(
        "from django.db import migrations\n\n\n"
        "class Migration(migrations.Migration):\n"
        f"    dependencies = [('dashboard', '{leaf}')]\n"
        "    operations = [\n"
        "        migrations.RunSQL(\n"
        "            'ALTER TABLE points_tier ADD COLUMN bench_probe integer NULL',\n"
        "            'ALTER TABLE points_tier DROP COLUMN bench_probe',\n"
        "        )\n"
        "    ]\n"
    )


def probe_migration_remove() -> None:
    PROBE.unlink(missing_ok=True)
    for cached in (PROBE.parent / "__pycache__").glob(PROBE.stem + ".*"):
        cached.unlink()


CATALOG_SQL = """
SELECT pg_database_size(current_database()),
       (SELECT count(*) FROM pg_class),
       (SELECT sum(pg_total_relation_size(c.oid)) FROM pg_class c
        WHERE c.relnamespace = 'pg_catalog'::regnamespace AND c.relkind = 'r')
"""

RELATIONS_SQL = """
SELECT count(*) + (SELECT 2 * count(*) FROM pg_class
                   WHERE relnamespace = %s::regnamespace AND reltoastrelid <> 0),
       count(*) FILTER (WHERE relkind = 'r'), count(*) FILTER (WHERE relkind = 'i'),
       count(*) FILTER (WHERE relkind = 'S')
FROM pg_class WHERE relnamespace = %s::regnamespace
"""


def catalog() -> tuple[int, int, int]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(CATALOG_SQL)
        size, classes, catalog_bytes = cursor.fetchone()
    return int(size), int(classes), int(catalog_bytes)


def relations(schema: str) -> tuple[int, int, int, int]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(RELATIONS_SQL, [schema, schema])
        return tuple(int(v) for v in cursor.fetchone())  # type: ignore[return-value]


def new_migration_measure(rows: list[tuple[str, str]], schemas: list[str]) -> None:
    """migrate_schemas with one new merchant migration (written for the run, removed
    after), then again with nothing to apply."""
    probe_migration_write()
    try:
        seconds, rss, summary = manage("migrate_schemas", "--verbosity", "1")
        rows.append(
            (
                f"migrate_schemas, one new migration ({len(schemas)} schemas)",
                f"{seconds:.1f} s, peak {rss:.0f} MB",
            )
        )
        say(f"  {seconds:.1f} s, peak {rss:.0f} MB: {summary}")
        again, rss_again, summary = manage("migrate_schemas", "--verbosity", "1")
        rows.append(
            (
                "migrate_schemas, nothing to apply after it",
                f"{again:.1f} s, peak {rss_again:.0f} MB",
            )
        )
        say(f"  then nothing to apply: {again:.1f} s: {summary}")
    finally:
        probe_migration_remove()


def main() -> None:
    scale_database()
    import django

    django.setup()
    from django.core.management import call_command
    from django.test.utils import override_settings

    from loyalty.settings import base
    from tenants.models import Merchant

    rows: list[tuple[str, str]] = []
    state = json.loads(STATE.read_text()) if STATE.exists() else {}
    # Production's hashers (Argon2 first): each owner's password costs what it costs.
    with override_settings(PASSWORD_HASHERS=base.PASSWORD_HASHERS):
        call_command("migrate_schemas", shared=True, verbosity=0)
        customer_ids = customers_ensure()
        timings: list[float] = state.get("timings", [])
        have = Merchant.objects.filter(slug__startswith="scale-").count()
        say(f"Scale bench: {MERCHANTS} merchants, {MEMBERS} members each; {have} already there.")
        while have < min(3, MERCHANTS):
            have += 1
            timings.append(merchant_add(have, customer_ids))
        if "p50_at_3" not in state:
            base_size, base_classes, base_catalog = catalog()
            p50, p95_3 = customer_read_p50(customer_ids[0])
            state.update(
                p50_at_3=p50,
                p95_at_3=p95_3,
                size_at_3=base_size,
                classes_at_3=base_classes,
                catalog_at_3=base_catalog,
            )
            say(f"  customer read with 3 merchants: p50 {ms(p50)}, p95 {ms(p95_3)}")
        started = time.perf_counter()
        while have < MERCHANTS:
            have += 1
            timings.append(merchant_add(have, customer_ids))
            if have % 10 == 0:
                STATE.write_text(json.dumps({**state, "timings": timings}))
            if have % 100 == 0 or have == MERCHANTS:
                last = timings[-100:] if have % 100 == 0 else timings[-(have % 100) :]
                say(
                    f"  {have:>6} merchants: last {len(last)} median {ms(statistics.median(last))},"
                    f" p95 {ms(p95(last))}; {time.perf_counter() - started:.0f} s so far"
                )
            elif have % 25 == 0:
                say(f"  {have:>6} merchants")
        STATE.write_text(json.dumps({**state, "timings": timings}))

    # The first merchant migrates for real and records the script every later one
    # replays: shown apart, left out of the per-100 figures.
    say("Provisioning (merchant_create with Argon2), per 100 merchants:")
    rows.append(("provisioning, merchant 1 (migrates, records the script)", ms(timings[0])))
    replayed = timings[1:] or timings
    rows.append(
        (
            "provisioning, the others: median / p95",
            f"{ms(statistics.median(replayed))} / {ms(p95(replayed))}",
        )
    )
    for start in range(0, len(timings), 100):
        chunk = timings[max(start, 1) : start + 100] or timings[:1]
        label = f"merchants {max(start, 1) + 1}-{start + len(timings[start : start + 100])}"
        say(f"  {label:<24} median {ms(statistics.median(chunk)):>10}   p95 {ms(p95(chunk)):>10}")
        rows.append(
            (
                f"provisioning {label}: median / p95",
                f"{ms(statistics.median(chunk))} / {ms(p95(chunk))}",
            )
        )

    p50, p95_n = customer_read_p50(customer_ids[0])
    ratio = p50 / state["p50_at_3"]
    rows.append(
        (
            f"customer read p50, 3 merchants -> {MERCHANTS}",
            f"{ms(state['p50_at_3'])} -> {ms(p50)} ({ratio:.2f}x; goal <= 1.1x)",
        )
    )
    rows.append(
        (
            f"customer read p95, 3 merchants -> {MERCHANTS}",
            f"{ms(state['p95_at_3'])} -> {ms(p95_n)}",
        )
    )

    schemas = list(
        Merchant.objects.exclude(schema_name="public")
        .order_by("pk")
        .values_list("schema_name", flat=True)
    )
    for hook in HOOKS:
        rows.extend(hook(schemas))

    say("migrate_schemas, nothing to apply ...")
    seconds, rss, summary = manage("migrate_schemas", "--verbosity", "1")
    rows.append(
        (
            f"migrate_schemas, nothing to apply ({len(schemas)} schemas)",
            f"{seconds:.1f} s, peak {rss:.0f} MB (goal <= 60 s at 1,000)",
        )
    )
    say(f"  {seconds:.1f} s, peak {rss:.0f} MB: {summary}")

    if NEW_MIGRATION:
        say("migrate_schemas, one new merchant migration ...")
        new_migration_measure(rows, schemas)

    size, classes, catalog_bytes = catalog()
    total, tables, indexes, sequences = relations(schemas[0])
    merchants_added = len(schemas) - 3
    rows.append(
        (
            "database size, 3 merchants -> N",
            f"{state['size_at_3'] / 2**20:.0f} MB -> {size / 2**20:.0f} MB",
        )
    )
    rows.append(("pg_class rows, 3 merchants -> N", f"{state['classes_at_3']:,} -> {classes:,}"))
    rows.append(
        (
            "catalog (pg_catalog tables), 3 merchants -> N",
            f"{state['catalog_at_3'] / 2**20:.0f} MB -> {catalog_bytes / 2**20:.0f} MB",
        )
    )
    if merchants_added > 0:
        each = (size - state["size_at_3"]) / merchants_added / 2**20
        each_catalog = (catalog_bytes - state["catalog_at_3"]) / merchants_added / 2**20
        rows.append(
            ("per merchant added: database / catalog", f"{each:.2f} MB / {each_catalog:.2f} MB")
        )
    rows.append(
        (
            "relations per merchant (tables, indexes, sequences + toast)",
            f"{total} ({tables}, {indexes}, {sequences} + {total - tables - indexes - sequences})",
        )
    )

    say("")
    say(
        f"Scale: {len(schemas)} merchants x {MEMBERS} members x {EARNS_PER_MEMBER} earns,"
        " embedded PostgreSQL 16"
    )
    width = max(len(label) for label, _ in rows)
    for label, figure in rows:
        say(f"  {label:<{width}}  {figure}")
    say("")
    call_command("reconcile", verbosity=0, stdout=io.StringIO())
    say(f"reconcile: all {len(schemas)} merchants without drift")


if __name__ == "__main__":
    main()
