"""`migrate` is `migrate_schemas` (as django-tenants makes it), with this project's skip."""

from .migrate_schemas import Command

__all__ = ["Command"]
