"""Time to provision a merchant (schema, domain, roles, owner), over 20 merchants.

    make bench        # embedded PostgreSQL, like `make test`

Runs in a database of its own (`<name>_bench`, dropped and created afresh) and prints
the median and spread for the two ways a schema is built: replaying the recorded
migration script (every merchant after the first) and running the migrations
(shown for comparison by clearing the recorded script before each merchant).
"""

import os
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "loyalty.settings.test")
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "20"))


def bench_database(suffix: str = "_bench") -> None:
    """A fresh database `<name><suffix>` beside the embedded server's, made the one
    DATABASE_URL names for the rest of the run."""
    import psycopg

    parts = urlsplit(os.environ["DATABASE_URL"])
    name = parts.path.lstrip("/") + suffix
    admin_url = urlunsplit(parts._replace(scheme="postgresql", path="/postgres"))
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    os.environ["DATABASE_URL"] = urlunsplit(parts._replace(path=f"/{name}"))


def provision(rounds: int, label: str, clear_template: bool) -> list[float]:
    from tenants.models import SchemaTemplate
    from tenants.services import merchant_create

    timings = []
    for i in range(rounds):
        if clear_template:
            SchemaTemplate.objects.all().delete()
        started = time.perf_counter()
        merchant_create(
            name=f"Bench {label} {i}",
            slug=f"bench-{label}-{i}",
            owner_email=f"owner{i}@{label}.bench",
        )
        timings.append(time.perf_counter() - started)
    return timings


def report(label: str, timings: list[float]) -> None:
    ordered = sorted(timings)
    print(
        f"{label:<28} median {statistics.median(ordered) * 1000:7.1f} ms   "
        f"min {ordered[0] * 1000:7.1f} ms   max {ordered[-1] * 1000:7.1f} ms   n={len(ordered)}"
    )


def main() -> None:
    bench_database()
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate_schemas", shared=True, verbosity=0)
    first = provision(1, "first", clear_template=False)
    replayed = provision(ROUNDS, "replay", clear_template=False)
    migrated = provision(ROUNDS, "migrate", clear_template=True)
    print(f"Provisioning a merchant, {ROUNDS} merchants each way:")
    report("first merchant (records)", first)
    report("replayed script (default)", replayed)
    report("migrations every time", migrated)


if __name__ == "__main__":
    main()
