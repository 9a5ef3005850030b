"""Moving one merchant to another database: its schema and the public rows it needs.

The first step past one PostgreSQL (docs/scaling.md, "Several databases"). The default
database stays the platform's: it keeps the merchant, its domains, its customers and
its billing, and `MerchantPlacement` there says where the merchant's schema now lives.
The target gets the schema and a copy of every public row the schema and the
merchant's host need (`PUBLIC_TABLES`), ids kept.

The order, and why:

1. The merchant turns read-only (`Merchant.moving_since`): the services' gate refuses
   earn, redeem, join... with `merchant_inactive`; balances stay readable. The move
   then waits `settle` seconds, so that requests past the gate finish.
2. One transaction on the source, REPEATABLE READ, takes a SHARE lock on every table
   of the schema before its snapshot: no write to the schema can commit while the
   copy reads, and everything read (pg_dump too, through the exported snapshot) is
   one instant.
3. One transaction on the target: the platform tables if the database has none
   (structure of the source's public schema, migration records, content types,
   permissions, plans), the merchant's public rows, the schema's tables (pg_dump's
   pre-data), its rows (COPY, binary), its sequences, then its indexes and foreign
   keys (post-data), then the checks: rows per table, ledger sums and `reconcile`
   against the source's. Any error rolls the whole target back.
4. Then, on the source, the placement is recorded (and with `drop_source` the schema
   dropped). The source's merchant stays read-only: its live copy is the target's.

A failure at any point before 4 leaves the source as it was (the read-only mark is
taken back) and the target without a trace. A merchant already placed is refused, and
an advisory lock on the source keeps to one move of a merchant at a time. Should the
default database fail in step 4, after the target committed, the merchant stays
read-only here and the target holds a copy no placement names: drop that schema there
before moving again (the move refuses a target that has the schema).

Rows other merchants share (a customer who is a member elsewhere too, their devices
and preferences, a plan) are inserted only when the target does not have them; when
it does, the target's row is kept, and the move is refused if it is another person
(another phone under the same id) or if a unique value is taken by another id.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import environ
import psycopg
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from psycopg import sql

from loyalty.db import connection
from points.reconcile import ORPHANS_SQL, Drift, Orphan, orphans_from_rows, report_from_rows
from points.reconcile import SQL as RECONCILE_SQL

from .models import Merchant, MerchantPlacement


class MoveRefused(Exception):
    """The move did not happen (or was taken back); the message says why."""


@dataclass(frozen=True)
class PublicTable:
    """Public rows the merchant needs: `where` selects them ({merchant} is the
    merchant's id, {schema} its schema)."""

    table: str
    where: str
    # Shared with other merchants: kept when the target has the id, which must then be
    # the same `identity` (phone, code...).
    identity: str = ""


MEMBERS = (
    "SELECT customer_id FROM public.customers_merchantlink WHERE merchant_id = {merchant}"
    " UNION SELECT customer_id FROM {schema}.points_membership"
)

# In an order that satisfies the foreign keys.
PUBLIC_TABLES = [
    PublicTable(
        "billing_plan",
        "id IN (SELECT plan_id FROM public.tenants_merchant WHERE id = {merchant}"
        " UNION SELECT plan_id FROM public.billing_subscription WHERE merchant_id = {merchant})",
        identity="code",
    ),
    PublicTable("tenants_merchant", "id = {merchant}"),
    PublicTable("tenants_domain", "tenant_id = {merchant}"),
    PublicTable("tenants_trialreminder", "merchant_id = {merchant}"),
    PublicTable("tenants_merchantdailystats", "merchant_id = {merchant}"),
    PublicTable("billing_stripecustomer", "merchant_id = {merchant}"),
    PublicTable("billing_subscription", "merchant_id = {merchant}"),
    PublicTable("billing_invoice", "merchant_id = {merchant}"),
    PublicTable("billing_messageusage", "merchant_id = {merchant}"),
    PublicTable("billing_stripeevent", "merchant_id = {merchant}"),
    PublicTable("customers_customer", f"id IN ({MEMBERS})", identity="phone"),
    PublicTable("customers_device", f"customer_id IN ({MEMBERS})", identity="token"),
    PublicTable(
        "customers_notificationpreference",
        f"customer_id IN ({MEMBERS})",
        identity="customer_id",
    ),
    PublicTable("customers_merchantlink", "merchant_id = {merchant}"),
    PublicTable("webcard_cardsession", "merchant_id = {merchant}"),
    PublicTable("webpush_pushsubscription", "merchant_id = {merchant}"),
]

# Public tables that name a merchant or a customer and are not copied, and why
# (a test checks that every such table is in one list or the other).
PUBLIC_TABLES_LEFT = {
    "tenants_merchantplacement": "the routing table itself: it lives in the default database",
    "customers_otpchallenge": "sign-in codes live minutes; sign-in is on the root domain",
}

# The advisory lock's first key (the second is the merchant's id).
MOVE_LOCK = 14_001

# Platform rows a new database gets with its tables: what `migrate` would have written.
PLATFORM_TABLES = ["django_migrations", "django_content_type", "auth_permission", "billing_plan"]


@dataclass
class MoveReport:
    merchant: str
    database: str
    # table -> rows on the source and on the target after the copy
    schema_rows: dict[str, tuple[int, int]] = field(default_factory=dict)
    # table -> (rows selected on the source, inserted, kept because already there)
    public_rows: dict[str, tuple[int, int, int]] = field(default_factory=dict)
    ledger: dict[str, tuple[int, int]] = field(default_factory=dict)
    drifts: list[Drift] = field(default_factory=list)
    prepared: bool = False
    source_dropped: bool = False
    seconds: float = 0.0
    # step -> seconds: "locks", "prepare", "public rows", "schema", "checks", "commit"
    steps: dict[str, float] = field(default_factory=dict)


def database_settings(name: str) -> dict[str, Any]:
    """The Django-style settings of a database a merchant can move to."""
    url = settings.MERCHANT_DATABASES.get(name)
    if not url:
        known = ", ".join(sorted(settings.MERCHANT_DATABASES)) or "none"
        raise MoveRefused(f"No database named {name!r} in MERCHANT_DATABASES (known: {known}).")
    return dict(environ.Env.db_url_config(url))


def _connect_args(db: dict[str, Any]) -> dict[str, Any]:
    # What Django reads itself is not for psycopg; the rest are connection parameters.
    django_only = ("pool", "server_side_binding", "prepare_threshold")
    options = {k: v for k, v in (db.get("OPTIONS") or {}).items() if k not in django_only}
    args = {
        "dbname": db.get("NAME"),
        "user": db.get("USER"),
        "password": db.get("PASSWORD"),
        "host": db.get("HOST"),
        "port": db.get("PORT"),
        **options,
    }
    return {k: str(v) for k, v in args.items() if v not in (None, "")}


def _pg_dump() -> str:
    """pg_dump of the server's major version: the embedded server's own when pgserver
    is installed (development, tests), else the one on PATH (PG_BIN_DIR first)."""
    folders = [os.environ.get("PG_BIN_DIR", "")]
    try:
        import pgserver  # type: ignore[import-untyped]

        folders.append(str(Path(pgserver.__file__).parent / "pginstall" / "bin"))
    except ImportError:
        pass
    for folder in filter(None, folders):
        candidate = Path(folder) / "pg_dump"
        if candidate.exists():
            return str(candidate)
    found = shutil.which("pg_dump")
    if not found:
        raise MoveRefused("pg_dump was not found (set PG_BIN_DIR).")
    return found


def _dump(args: dict[str, Any], snapshot: str, schema: str, *options: str) -> str:
    """pg_dump's plain SQL for `schema`, as the source's transaction sees it."""
    env = dict(os.environ)
    if "password" in args:
        env["PGPASSWORD"] = args["password"]
    conninfo = psycopg.conninfo.make_conninfo(**{k: v for k, v in args.items() if k != "password"})
    result = subprocess.run(
        [
            _pg_dump(),
            f"--dbname={conninfo}",
            f"--snapshot={snapshot}",
            f"--schema={schema}",
            "--no-owner",
            "--no-privileges",
            *options,
        ],
        env=env,
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        raise MoveRefused(f"pg_dump failed: {result.stderr.strip()}")
    # psql's meta-commands (\connect, \restrict) are no SQL.
    return "\n".join(line for line in result.stdout.splitlines() if not line.startswith("\\"))


def _same_database(a: dict[str, Any], b: dict[str, Any]) -> bool:
    keys = ("host", "port", "dbname")
    return all(a.get(k, "") == b.get(k, "") for k in keys)


def _tables(cur: psycopg.Cursor[Any], schema: str) -> list[str]:
    cur.execute(
        "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
        " WHERE n.nspname = %s AND c.relkind IN ('r', 'p') ORDER BY c.relname",
        [schema],
    )
    return [row[0] for row in cur.fetchall()]


def _columns(cur: psycopg.Cursor[Any], schema: str, table: str) -> list[str]:
    cur.execute(
        "SELECT attname FROM pg_attribute WHERE attrelid = %s::regclass AND attnum > 0"
        " AND NOT attisdropped ORDER BY attnum",
        [f'"{schema}"."{table}"'],
    )
    return [row[0] for row in cur.fetchall()]


def _count(cur: psycopg.Cursor[Any], query: sql.Composed) -> int:
    cur.execute(query)
    row = cur.fetchone()
    return int(row[0]) if row else 0


def _ledger(cur: psycopg.Cursor[Any], schema: str) -> dict[str, int]:
    figures = {
        "entries": "count(*) FROM {}.points_ledgerentry",
        "points": "coalesce(sum(points), 0) FROM {}.points_ledgerentry",
        "balances": "coalesce(sum(current_points), 0) FROM {}.points_membership",
        "lots_left": "coalesce(sum(remaining), 0) FROM {}.points_pointslot",
        "redemptions": "count(*) FROM {}.rewards_redemption",
    }
    return {
        name: _count(cur, sql.SQL("SELECT " + query).format(sql.Identifier(schema)))
        for name, query in figures.items()
    }


def _reconcile(cur: psycopg.Cursor[Any], schema: str) -> tuple[list[Drift], list[Orphan]]:
    """The drifts, and the memberships whose customer row is missing: no foreign key
    checks that the public rows copied hold every member (docs/scaling.md, item 6)."""
    cur.execute(sql.SQL("SET LOCAL search_path = {}, public").format(sql.Identifier(schema)))
    cur.execute(RECONCILE_SQL)
    drifts = report_from_rows(schema, cur.fetchall()).drifts
    cur.execute(ORPHANS_SQL)
    orphans = orphans_from_rows(cur.fetchall())
    cur.execute("SET LOCAL search_path = public")
    return drifts, orphans


def _copy_rows(
    src: psycopg.Cursor[Any],
    dst: psycopg.Cursor[Any],
    select: sql.Composable,
    into: sql.Composable,
    binary: bool,
) -> None:
    fmt = sql.SQL(" (FORMAT BINARY)" if binary else "")
    with (
        src.copy(sql.SQL("COPY ({}) TO STDOUT{}").format(select, fmt)) as out,
        dst.copy(sql.SQL("COPY {} FROM STDIN{}").format(into, fmt)) as into_copy,
    ):
        for chunk in out:
            into_copy.write(chunk)


def _where(spec: PublicTable, merchant_id: int, schema: str, cur: psycopg.Cursor[Any]) -> sql.SQL:
    quoted = sql.Identifier(schema).as_string(cur)
    return sql.SQL(spec.where.format(merchant=int(merchant_id), schema=quoted))  # type: ignore[arg-type]


def _public_copy(
    src: psycopg.Cursor[Any], dst: psycopg.Cursor[Any], spec: PublicTable, where: sql.SQL
) -> tuple[int, int, int]:
    """Copy the rows `where` selects; returns (selected, inserted, kept)."""
    columns = _columns(src, "public", spec.table)
    cols = sql.SQL(", ").join(map(sql.Identifier, columns))
    table = sql.Identifier("public", spec.table)
    temp = sql.Identifier(f"move_{spec.table}")
    dst.execute(sql.SQL("CREATE TEMP TABLE {} (LIKE {}) ON COMMIT DROP").format(temp, table))
    _copy_rows(
        src,
        dst,
        sql.SQL("SELECT {} FROM {} WHERE {}").format(cols, table, where),
        sql.SQL("{} ({})").format(temp, cols),
        binary=False,
    )
    selected = _count(dst, sql.SQL("SELECT count(*) FROM {}").format(temp))
    if spec.identity:
        dst.execute(
            sql.SQL(
                "SELECT t.id FROM {} t JOIN {} m USING (id)"
                " WHERE t.{ident} IS DISTINCT FROM m.{ident} ORDER BY t.id LIMIT 1"
            ).format(table, temp, ident=sql.Identifier(spec.identity))
        )
        row = dst.fetchone()
        if row:
            raise MoveRefused(
                f"{spec.table} #{row[0]} on the target is another row "
                f"(its {spec.identity} differs): ids clash; nothing was moved."
            )
        insert = sql.SQL("INSERT INTO {} ({}) SELECT {} FROM {} ON CONFLICT (id) DO NOTHING")
    else:
        insert = sql.SQL("INSERT INTO {} ({}) SELECT {} FROM {}")
    dst.execute(insert.format(table, cols, cols, temp))
    inserted = dst.rowcount
    there = sql.SQL("SELECT count(*) FROM {} JOIN {} USING (id)").format(temp, table)
    if _count(dst, there) != selected:
        raise MoveRefused(f"{spec.table}: the target lacks rows it was given.")
    _sequence_past_ids(dst, f"public.{spec.table}")
    return selected, inserted, selected - inserted


def _sequence_past_ids(dst: psycopg.Cursor[Any], table: str) -> None:
    """Rows inserted with their ids: the target's sequence must not hand them out again."""
    dst.execute(
        sql.SQL(
            "SELECT setval(seq, greatest(m, coalesce(pg_sequence_last_value(seq), 0)))"
            " FROM (SELECT pg_get_serial_sequence({t}, 'id')::regclass AS seq,"
            " (SELECT max(id) FROM {name}) AS m) x WHERE seq IS NOT NULL AND m IS NOT NULL"
        ).format(t=sql.Literal(table), name=sql.SQL(table))
    )


def _prepare(src: psycopg.Cursor[Any], dst: psycopg.Cursor[Any], args: dict, snap: str) -> None:
    """Give an empty database the platform's tables, as the source has them."""
    script = _dump(args, snap, "public", "--schema-only")
    # Named with -n, the public schema is created by the dump; every database has it.
    dst.execute(script.replace("CREATE SCHEMA public;", "", 1))
    dst.execute("SELECT pg_catalog.set_config('search_path', 'public', true)")
    for table in PLATFORM_TABLES:
        cols = sql.SQL(", ").join(map(sql.Identifier, _columns(src, "public", table)))
        name = sql.Identifier("public", table)
        _copy_rows(
            src,
            dst,
            sql.SQL("SELECT {} FROM {}").format(cols, name),
            sql.SQL("{} ({})").format(name, cols),
            binary=True,
        )
    _sequences_copy(src, dst, "public")


def _sequences_copy(src: psycopg.Cursor[Any], dst: psycopg.Cursor[Any], schema: str) -> None:
    src.execute(
        "SELECT sequencename, last_value FROM pg_sequences"
        " WHERE schemaname = %s AND last_value IS NOT NULL",
        [schema],
    )
    for name, value in src.fetchall():
        dst.execute("SELECT setval(%s::regclass, %s)", [f'"{schema}"."{name}"', value])


def _migrations(cur: psycopg.Cursor[Any], schema: str) -> set[tuple[str, str]]:
    cur.execute(
        sql.SQL("SELECT app, name FROM {}").format(sql.Identifier(schema, "django_migrations"))
    )
    return {(app, name) for app, name in cur.fetchall()}


class _Clock:
    def __init__(self, report: MoveReport) -> None:
        self.report = report
        self.last = time.perf_counter()

    def lap(self, step: str) -> None:
        now = time.perf_counter()
        self.report.steps[step] = now - self.last
        self.last = now


def _copy(
    *,
    merchant: Merchant,
    source: dict[str, Any],
    target: dict[str, Any],
    report: MoveReport,
    before_commit: Callable[[psycopg.Cursor[Any]], None] | None,
    lock_timeout: int,
) -> None:
    schema = merchant.schema_name
    with psycopg.connect(**source) as src_conn, psycopg.connect(**target) as dst_conn:
        src_conn.autocommit = True
        src = src_conn.cursor()
        tables = _tables(src, schema)
        if not tables:
            raise MoveRefused(f"The schema {schema} has no tables here.")
        src_conn.autocommit = False
        src_conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        # Locks before the snapshot: writers that got in first commit before it.
        src.execute(sql.SQL("SET LOCAL lock_timeout = {}").format(sql.Literal(f"{lock_timeout}s")))
        src.execute(
            sql.SQL("LOCK TABLE {} IN SHARE MODE").format(
                sql.SQL(", ").join(sql.Identifier(schema, t) for t in tables)
            )
        )
        clock = _Clock(report)
        clock.lap("locks")
        src.execute("SELECT pg_export_snapshot()")
        snapshot = src.fetchone()[0]  # type: ignore[index]
        dst = dst_conn.cursor()

        dst.execute("SELECT to_regclass('public.tenants_merchant') IS NULL")
        if dst.fetchone()[0]:  # type: ignore[index]
            _prepare(src, dst, source, snapshot)
            report.prepared = True
            clock.lap("prepare")
        if _migrations(src, "public") != _migrations(dst, "public"):
            raise MoveRefused(
                "The target's platform tables are at other migrations than the source's: "
                "migrate both to the same code first."
            )
        dst.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", [schema])
        if dst.fetchone():
            raise MoveRefused(f"The target already has a schema {schema}.")

        for spec in PUBLIC_TABLES:
            where = _where(spec, merchant.pk, schema, src)
            report.public_rows[spec.table] = _public_copy(src, dst, spec, where)
        clock.lap("public rows")

        dst.execute(_dump(source, snapshot, schema, "--section=pre-data"))
        dst.execute("SELECT pg_catalog.set_config('search_path', 'public', true)")
        for table in tables:
            name = sql.Identifier(schema, table)
            cols = sql.SQL(", ").join(map(sql.Identifier, _columns(src, schema, table)))
            _copy_rows(
                src,
                dst,
                sql.SQL("SELECT {} FROM {}").format(cols, name),
                sql.SQL("{} ({})").format(name, cols),
                binary=True,
            )
        _sequences_copy(src, dst, schema)
        dst.execute(_dump(source, snapshot, schema, "--section=post-data"))
        dst.execute("SELECT pg_catalog.set_config('search_path', 'public', true)")
        # The target's copy is the live one.
        dst.execute(
            "UPDATE public.tenants_merchant SET moving_since = NULL WHERE id = %s", [merchant.pk]
        )
        clock.lap("schema")

        for table in tables:
            query = sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(schema, table))
            report.schema_rows[table] = (_count(src, query), _count(dst, query))
        before, after = _ledger(src, schema), _ledger(dst, schema)
        report.ledger = {k: (before[k], after[k]) for k in before}
        differing = [t for t, (a, b) in report.schema_rows.items() if a != b]
        if differing or before != after:
            raise MoveRefused(f"The copy differs from the source: {differing or report.ledger}.")
        source_drifts, source_orphans = _reconcile(src, schema)
        report.drifts, orphans = _reconcile(dst, schema)
        if report.drifts != source_drifts:
            raise MoveRefused("The target does not reconcile as the source does.")
        if orphans != source_orphans:
            raise MoveRefused("A membership on the target names a customer it does not have.")
        clock.lap("checks")
        if before_commit is not None:
            before_commit(dst)
        dst_conn.commit()
        src_conn.rollback()
        clock.lap("commit")


def merchant_move(
    *,
    merchant: Merchant,
    database: str,
    drop_source: bool = False,
    settle: float = 5.0,
    lock_timeout: int = 30,
    before_commit: Callable[[psycopg.Cursor[Any]], None] | None = None,
) -> MoveReport:
    """Move `merchant`'s schema and public rows to the database named `database` in
    `MERCHANT_DATABASES`, and record where it lives (see the module's docstring).
    `before_commit` runs on the target's cursor just before the target commits (tests
    use it to fail at the last moment). Raises MoveRefused, having changed nothing."""
    started = time.perf_counter()
    target = _connect_args(database_settings(database))
    source = _connect_args(connection.settings_dict)
    if _same_database(source, target):
        raise MoveRefused(f"{database} is the database the merchant is in.")
    report = MoveReport(merchant=merchant.slug, database=database)

    # One move of a merchant at a time: a session lock on the source while this runs.
    with psycopg.connect(**source, autocommit=True) as guard:
        got = guard.execute("SELECT pg_try_advisory_lock(%s, %s)", [MOVE_LOCK, merchant.pk])
        if not got.fetchone()[0]:  # type: ignore[index]
            raise MoveRefused(f"Another move of {merchant.slug} is running.")
        # Read under the lock: a move that just finished has recorded its placement.
        merchant = Merchant.objects.get(pk=merchant.pk)  # its mark as stored, not as passed
        placed = MerchantPlacement.objects.filter(merchant=merchant).first()
        if placed is not None:
            raise MoveRefused(
                f"{merchant.slug} already lives in {placed.database} "
                f"(moved {placed.moved_at:%Y-%m-%d %H:%M} UTC): nothing to do."
            )
        # Already set: a move that crashed before taking it back; go on from here.
        if merchant.moving_since is None:
            merchant.moving_since = timezone.now()
            merchant.save(update_fields=["moving_since"])
            time.sleep(settle)
        try:
            _copy(
                merchant=merchant,
                source=source,
                target=target,
                report=report,
                before_commit=before_commit,
                lock_timeout=lock_timeout,
            )
        except BaseException as error:
            # No placement: the source is still the merchant's one live copy.
            merchant.moving_since = None
            merchant.save(update_fields=["moving_since"])
            if isinstance(error, psycopg.Error):
                raise MoveRefused(f"The copy failed and was rolled back: {error}") from error
            raise
        with transaction.atomic():
            MerchantPlacement.objects.create(
                merchant=merchant,
                database=database,
                moved_at=timezone.now(),
                source_dropped=drop_source,
            )
            if drop_source:
                with connection.cursor() as cursor:
                    cursor.execute(
                        sql.SQL("DROP SCHEMA {} CASCADE")
                        .format(sql.Identifier(merchant.schema_name))
                        .as_string(cursor.connection)
                    )
    report.source_dropped = drop_source
    report.seconds = time.perf_counter() - started
    return report
