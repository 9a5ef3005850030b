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
"""

import hashlib
import re
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

from django.core.management import call_command
from django.db.migrations.loader import MigrationLoader
from django_tenants.utils import schema_context

from loyalty.db import connection

from .models import SchemaTemplate

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
        call_command("migrate_schemas", schema_name=schema_name, interactive=False, verbosity=0)
    return statements


def _store(fingerprint: str, statements: list[str], schema_name: str) -> None:
    # A statement that names its own schema cannot be replayed into another one.
    if any(schema_name in statement for statement in statements):
        return
    script = ";\n".join(s.rstrip().rstrip(";") for s in statements) + ";\n"
    SchemaTemplate.objects.get_or_create(
        fingerprint=fingerprint,
        defaults={"script": script, "statement_count": len(statements)},
    )


def schema_build(*, schema_name: str) -> str:
    """Create and fill the schema of a merchant. Returns "replayed" or "migrated".

    Runs in the caller's transaction: if provisioning fails later, the schema goes too.
    """
    fingerprint = migrations_fingerprint()
    template = SchemaTemplate.objects.filter(fingerprint=fingerprint).first()
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE SCHEMA "{schema_name}"')
    if template is not None:
        with schema_context(schema_name), connection.cursor() as cursor:
            cursor.execute(template.script)
        return "replayed"
    statements = _migrate_and_record(schema_name)
    _store(fingerprint, statements, schema_name)
    return "migrated"
