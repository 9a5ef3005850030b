"""Building merchant schemas fast, without drift.

Running every migration for each new merchant costs most of a second; cloning a
template schema with django-tenants' clone function is faster but drifts (the template
is never migrated again) and renames constraints. Instead:

* The first merchant created at a given state of the migrations is migrated for real,
  and every SQL statement that run sends is recorded (with its parameters inlined).
* That script is stored in `SchemaTemplate` under a fingerprint of the migration files.
* Every later merchant gets an empty schema and the script replayed in one round trip.

The script is exactly what `migrate` did, so a replayed schema has the same tables,
columns, indexes, constraint names and seed rows (content types, permissions,
migration records) as a migrated one. A new or edited migration file changes the
fingerprint, so the next merchant is migrated for real and records a new script.

Each schema built, and each schema `migrate_schemas` migrates for real, gets a
`SchemaState` row (its fingerprint and catalog digest) when its catalog has the shape
of the schema the script was recorded from; `migrate_schemas` then skips the schemas
whose row is current (tenants/management/commands/migrate_schemas.py).
"""

import hashlib
import re
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

from django.core.management import call_command
from django.db import transaction
from django.db.migrations.loader import MigrationLoader
from django.utils import timezone
from django_tenants.management.commands.migrate_schemas import (
    Command as MigrateSchemasCommand,
)
from django_tenants.utils import schema_context

from loyalty.db import connection

from .models import SchemaState, SchemaTemplate

# Statements that read, or only steer the session, are not part of the schema.
_SKIPPED = re.compile(r"^\s*(SELECT\b|SET\s+search_path\b|SHOW\b)", re.IGNORECASE)


@cache
def migrations_fingerprint() -> str:
    """A hash of every migration's app, name and file content."""
    loader = MigrationLoader(None, ignore_no_migrations=True)
    digest = hashlib.sha256()
    for app_label, name in sorted(loader.disk_migrations):
        module = loader.disk_migrations[(app_label, name)].__module__
        digest.update(f"{app_label}.{name}\n".encode())
        source = __import__(module, fromlist=["_"]).__file__
        if source:
            digest.update(Path(source).read_bytes())
    return digest.hexdigest()


@cache
def migrations_on_disk() -> tuple[str, ...]:
    """Every migration of the code as "app.name": what a complete schema has applied."""
    loader = MigrationLoader(None, ignore_no_migrations=True)
    return tuple(sorted(f"{app}.{name}" for app, name in loader.disk_migrations))


# One digest per schema of what `migrate` shapes: relations by kind and name, columns
# with type, nullability and whether they have a default, every index (its table,
# uniqueness, columns, operator classes, options, predicate and expressions: read
# from pg_index, as pg_get_indexdef() costs ten times more) and every constraint
# definition (the schema's own name taken out, so two schemas compare).
_SHAPE_SQL = r"""
WITH spaces AS (SELECT oid, nspname FROM pg_namespace WHERE nspname = ANY(%s)),
items AS (
    SELECT s.nspname, c.relkind::text || ' ' || c.relname AS item
    FROM pg_class c JOIN spaces s ON s.oid = c.relnamespace
    UNION ALL
    SELECT s.nspname, 'column ' || c.relname || '.' || a.attname || ' '
        || format_type(a.atttypid, a.atttypmod)
        || CASE WHEN a.attnotnull THEN ' not null' ELSE '' END
        || CASE WHEN a.atthasdef THEN ' default' ELSE '' END || ' ' || a.attidentity::text
    FROM pg_attribute a
    JOIN pg_class c ON c.oid = a.attrelid JOIN spaces s ON s.oid = c.relnamespace
    WHERE c.relkind IN ('r', 'p', 'v', 'm') AND a.attnum > 0 AND NOT a.attisdropped
    UNION ALL
    SELECT s.nspname, 'index ' || c.relname || ' on ' || t.relname || ' ' || i.indisunique::text
        || ' ' || i.indkey::text || ' ' || i.indclass::text || ' ' || i.indoption::text
        || ' ' || coalesce(pg_get_expr(i.indpred, i.indrelid), '')
        || ' ' || coalesce(pg_get_expr(i.indexprs, i.indrelid), '')
    FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
    JOIN pg_class t ON t.oid = i.indrelid JOIN spaces s ON s.oid = c.relnamespace
    UNION ALL
    SELECT s.nspname, 'constraint ' || con.conname || ' ' || replace(replace(
        pg_get_constraintdef(con.oid), quote_ident(s.nspname) || '.', ''), 'public.', '')
    FROM pg_constraint con JOIN spaces s ON s.oid = con.connamespace
)
SELECT nspname, md5(string_agg(item, E'\n' ORDER BY item)) FROM items GROUP BY nspname
"""


def schema_shapes(schema_names: list[str]) -> dict[str, str]:
    """The catalog digest of each schema (one query for all: it reads the catalog
    once, where one query per schema would scan pg_class each time)."""
    if not schema_names:
        return {}
    with connection.cursor() as cursor:
        cursor.execute(_SHAPE_SQL, [list(schema_names)])
        return dict(cursor.fetchall())


def schemas_fully_applied(schema_names: list[str], *, batch: int = 200) -> set[str]:
    """The schemas whose `django_migrations` lists every migration of the code."""
    expected = list(migrations_on_disk())
    complete: set[str] = set()
    with connection.cursor() as cursor:
        for start in range(0, len(schema_names), batch):
            names = schema_names[start : start + batch]
            parts = [
                f"SELECT %s::text, count(DISTINCT m.app || '.' || m.name)"
                f' FROM "{name}".django_migrations m'
                f" JOIN expected e ON e.full_name = m.app || '.' || m.name"
                for name in names
            ]
            sql = "WITH expected AS (SELECT unnest(%s::text[]) AS full_name) " + " UNION ALL ".join(
                parts
            )
            cursor.execute(sql, [expected, *names])
            complete.update(name for name, count in cursor.fetchall() if count == len(expected))
    return complete


def schemas_current(schema_names: list[str], *, fingerprint: str) -> set[str]:
    """The schemas `migrate_schemas` may skip: recorded at `fingerprint`, with the
    catalog digest recorded then, and every migration of the code applied."""
    recorded = dict(
        SchemaState.objects.filter(
            schema_name__in=schema_names, fingerprint=fingerprint
        ).values_list("schema_name", "shape")
    )
    shapes = schema_shapes(list(recorded))
    unchanged = [name for name, shape in recorded.items() if shapes.get(name) == shape]
    return schemas_fully_applied(unchanged)


def reference_shape(*, fingerprint: str) -> str:
    """The catalog digest of a freshly built schema at `fingerprint` ("" if unknown)."""
    template = SchemaTemplate.objects.filter(fingerprint=fingerprint).first()
    return template.shape if template is not None else ""


REFERENCE_SCHEMA = "_schema_reference"  # no merchant slug starts with "_"


def reference_shape_ensure(*, fingerprint: str) -> str:
    """The reference digest at `fingerprint`, building it when missing: a scratch
    schema migrated from nothing records the script (so the next merchant is a
    replay) and its shape, and is dropped. "" if no script could be stored."""
    shape = reference_shape(fingerprint=fingerprint)
    if shape:
        return shape
    with transaction.atomic():
        schema_build(schema_name=REFERENCE_SCHEMA)
        with connection.cursor() as cursor:
            # Deferred foreign-key checks of its seed rows must run before the drop.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(f'DROP SCHEMA "{REFERENCE_SCHEMA}" CASCADE')
        SchemaState.objects.filter(schema_name=REFERENCE_SCHEMA).delete()
    return reference_shape(fingerprint=fingerprint)


def schema_state_record(*, schema_name: str, fingerprint: str, reference: str) -> bool:
    """Record `schema_name` as complete at `fingerprint` if its catalog has the
    reference shape; otherwise forget any earlier record. True if recorded."""
    shape = schema_shapes([schema_name]).get(schema_name, "")
    complete = schema_name in schemas_fully_applied([schema_name])
    if reference and shape == reference and complete:
        SchemaState.objects.update_or_create(
            schema_name=schema_name,
            defaults={"fingerprint": fingerprint, "shape": shape, "migrated_at": timezone.now()},
        )
        return True
    SchemaState.objects.filter(schema_name=schema_name).delete()
    return False


def _recorder(statements: list[str]) -> Callable[..., Any]:
    def record(execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
        result = execute(sql, params, many, context)
        if not _SKIPPED.match(sql):
            for one in params if many else [params]:
                statements.append(connection.ops.compose_sql(sql, one) if one else sql)
        return result

    return record


def _migrate_and_record(schema_name: str) -> list[str]:
    statements: list[str] = []
    with connection.execute_wrapper(_recorder(statements)):
        # django-tenants' own command: this project's skips and records, which a
        # schema being built must not go through (its writes would be recorded).
        call_command(
            MigrateSchemasCommand(), schema_name=schema_name, interactive=False, verbosity=0
        )
    return statements


def _store(fingerprint: str, statements: list[str], schema_name: str) -> str:
    """Store the script and the shape it builds; returns the shape ("" if not stored)."""
    # A statement that names its own schema cannot be replayed into another one.
    if any(schema_name in statement for statement in statements):
        return ""
    script = ";\n".join(s.rstrip().rstrip(";") for s in statements) + ";\n"
    shape = schema_shapes([schema_name])[schema_name]
    template, _ = SchemaTemplate.objects.update_or_create(
        fingerprint=fingerprint,
        defaults={"script": script, "statement_count": len(statements), "shape": shape},
    )
    return template.shape


def schema_build(*, schema_name: str) -> str:
    """Create and fill the schema of a merchant. Returns "replayed" or "migrated".

    Runs in the caller's transaction: if provisioning fails later, the schema goes too.
    """
    fingerprint = migrations_fingerprint()
    template = SchemaTemplate.objects.filter(fingerprint=fingerprint).first()
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE SCHEMA "{schema_name}"')
    if template is not None and template.shape:
        with schema_context(schema_name), connection.cursor() as cursor:
            cursor.execute(template.script)
        # The script is what built the reference schema: its shape is the template's.
        SchemaState.objects.update_or_create(
            schema_name=schema_name,
            defaults={"fingerprint": fingerprint, "shape": template.shape},
        )
        return "replayed"
    statements = _migrate_and_record(schema_name)
    shape = _store(fingerprint, statements, schema_name)
    schema_state_record(schema_name=schema_name, fingerprint=fingerprint, reference=shape)
    return "migrated"
