"""Dropping indexes Django makes by default that no query of this product uses.

Every relation is repeated in each merchant schema (docs/scaling-catalog.md, "Catalog
per merchant"): an index that earns nothing still costs a relation, its catalog rows
and 8 KB per merchant.
"""

from django.db import migrations


def index_drop(name: str, *, table: str, columns: str) -> migrations.RunSQL:
    """Drop index `name` (if there: a later Django migration may already have); undone
    by creating it again on `table` (`columns`: the part between parentheses)."""
    return migrations.RunSQL(
        f'DROP INDEX IF EXISTS "{name}"',
        f'CREATE INDEX IF NOT EXISTS "{name}" ON "{table}" ({columns})',
    )
