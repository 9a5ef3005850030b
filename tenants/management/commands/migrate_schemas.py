"""`migrate_schemas` that skips the merchant schemas already at the code's migrations.

django-tenants' command runs `migrate` in every schema, about half a second each even
with nothing to apply (ten minutes at 1,000 merchants). Here the public schema is
migrated as before; a merchant schema is skipped when its `SchemaState` row has the
fingerprint of the code's migration files, its catalog still has the digest recorded
then, and its `django_migrations` lists every migration of the code (two catalog
queries for all schemas). Every other schema is migrated, and recorded when it ends
with the shape of a freshly built schema; a schema that fails, or ends with another
shape (altered by hand), is not recorded and is migrated again next time.

    manage.py migrate_schemas            # skips the current schemas
    manage.py migrate_schemas --all      # migrates every schema (and records them)

A run aimed at one app or migration, `--fake`, `--fake-initial`, `--plan`, `--check`
or `--prune` skips nothing and records nothing: django-tenants' command as it is.
"""

import time
from typing import Any

from django.core.management.base import CommandParser
from django_tenants.management.commands.migrate_schemas import MigrateSchemasCommand
from django_tenants.migration_executors import get_executor
from django_tenants.signals import schema_migrated
from django_tenants.utils import get_public_schema_name, schema_exists

from tenants import provisioning
from tenants.models import Merchant, SchemaState

# Options after which a schema's end state is not the code's: nothing is recorded.
_PARTIAL = ("app_label", "migration_name", "fake", "fake_initial", "plan", "check_unapplied")


class Command(MigrateSchemasCommand):
    help = MigrateSchemasCommand.help + " Skips merchant schemas already at the code's migrations."

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        parser.add_argument(
            "--all",
            "--force",
            action="store_true",
            dest="migrate_all",
            help="Migrate every merchant schema, even one recorded as current.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if any(options.get(name) for name in (*_PARTIAL, "prune")):
            super().handle(*args, **options)
            return
        # SyncCommon.handle reads the flags (sync_public, sync_tenant, schema_name).
        super(MigrateSchemasCommand, self).handle(*args, **options)
        public = get_public_schema_name()
        executor = get_executor(codename=self.executor)(self.args, self.options)
        if self.sync_public:
            executor.run_migrations(tenants=[public])
        if not self.sync_tenant:
            return
        if self.schema_name and self.schema_name != public:
            if not schema_exists(self.schema_name):
                raise RuntimeError(f'Schema "{self.schema_name}" does not exist')
            schemas = [self.schema_name]
        else:
            schemas = list(
                Merchant.objects.exclude(schema_name=public)
                .order_by("pk")
                .values_list("schema_name", flat=True)
            )
        if schemas:
            self._migrate_tenants(executor, schemas, skip=not options["migrate_all"])

    def _migrate_tenants(self, executor: Any, schemas: list[str], *, skip: bool) -> None:
        started = time.perf_counter()
        fingerprint = provisioning.migrations_fingerprint()
        current = provisioning.schemas_current(schemas, fingerprint=fingerprint) if skip else set()
        pending = [name for name in schemas if name not in current]
        if int(self.options.get("verbosity", 1)) >= 1:
            self.stdout.write(
                f"{len(current)} of {len(schemas)} merchant schemas are at migrations "
                f"{fingerprint[:12]} and skipped ({time.perf_counter() - started:.1f} s);"
                f" {len(pending)} to migrate."
            )
        if not pending:
            return
        # A schema about to be migrated is no longer known complete: if its run fails,
        # no stale record may let a later run skip it.
        SchemaState.objects.filter(schema_name__in=pending).delete()
        reference = provisioning.reference_shape_ensure(fingerprint=fingerprint)
        differing: list[str] = []
        to_record = set(pending)

        def record(sender: Any, schema_name: str, **kwargs: Any) -> None:
            # Sent by django-tenants after each schema's `migrate` returned (in the
            # process that ran it, the multiprocessing executor's children included).
            if schema_name in to_record and not provisioning.schema_state_record(
                schema_name=schema_name, fingerprint=fingerprint, reference=reference
            ):
                differing.append(schema_name)

        schema_migrated.connect(record, weak=False)
        try:
            executor.run_migrations(tenants=pending)
        finally:
            schema_migrated.disconnect(record)
        if differing:
            self.stderr.write(
                f"{len(differing)} schema(s) migrated but not recorded: their catalog differs"
                " from a freshly built schema's (altered by hand?), so they will be migrated"
                f" again next time: {', '.join(differing[:20])}"
            )
