"""`migrate_schemas` skips a merchant schema recorded at the code's migrations, and
migrates, then records, every other one; a schema that fails or that was altered by
hand is never recorded."""

import pytest
from django.core.management import call_command
from django.db import connection

from tenants import provisioning
from tenants.models import SchemaState, SchemaTemplate
from tenants.services import merchant_create

pytestmark = pytest.mark.django_db

FINGERPRINT = provisioning.migrations_fingerprint()


def migrate(schema: str, capsys: pytest.CaptureFixture[str], *flags: str) -> str:
    call_command("migrate_schemas", *flags, schema_name=schema, verbosity=1)
    captured = capsys.readouterr()
    return captured.out + captured.err


def state(schema: str) -> tuple[str, str] | None:
    row = SchemaState.objects.filter(schema_name=schema).values_list("fingerprint", "shape")
    return row.first()


def test_a_new_merchant_is_recorded_at_the_code_s_migrations(merchant_a) -> None:
    reference = SchemaTemplate.objects.get(fingerprint=FINGERPRINT).shape

    assert len(reference) == 32
    assert state(merchant_a.schema) == (FINGERPRINT, reference)
    assert provisioning.schema_shapes([merchant_a.schema]) == {merchant_a.schema: reference}


def test_a_schema_at_the_current_fingerprint_is_skipped(merchant_a, capsys) -> None:
    out = migrate(merchant_a.schema, capsys)

    assert "1 of 1 merchant schemas are at migrations" in out
    assert "0 to migrate" in out
    assert "Starting migration" not in out


def test_all_migrates_every_schema_and_records_it_again(merchant_a, capsys) -> None:
    SchemaState.objects.filter(schema_name=merchant_a.schema).update(shape="0" * 32)

    out = migrate(merchant_a.schema, capsys, "--all")

    assert "0 of 1 merchant schemas" in out
    assert "No migrations to apply" in out
    assert state(merchant_a.schema) == (FINGERPRINT, SchemaTemplate.objects.get().shape)


def test_a_schema_recorded_at_another_fingerprint_is_migrated_then_recorded(
    merchant_a, capsys
) -> None:
    SchemaState.objects.filter(schema_name=merchant_a.schema).update(fingerprint="e" * 64)

    out = migrate(merchant_a.schema, capsys)

    assert "0 of 1 merchant schemas" in out and "1 to migrate" in out
    assert "No migrations to apply" in out
    assert (state(merchant_a.schema) or ("",))[0] == FINGERPRINT
    assert "1 of 1 merchant schemas" in migrate(merchant_a.schema, capsys)


def test_a_migration_missing_from_a_schema_is_applied_then_recorded(merchant_a, capsys) -> None:
    with connection.cursor() as cursor:
        # dashboard's migrations after its first can run again (options, index drops).
        cursor.execute(
            f'DELETE FROM "{merchant_a.schema}".django_migrations'
            " WHERE app = 'dashboard' AND name >= '0002'"
        )

    out = migrate(merchant_a.schema, capsys)

    assert "1 to migrate" in out
    assert "Applying dashboard.0002_labels_in_arabic... OK" in out
    assert (state(merchant_a.schema) or ("",))[0] == FINGERPRINT
    assert "1 of 1 merchant schemas" in migrate(merchant_a.schema, capsys)


def test_a_schema_whose_migration_fails_is_not_recorded(merchant_a, capsys) -> None:
    # The record says the Google Wallet migrations never ran, but its table is there:
    # applying it fails.
    with connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM \"{merchant_a.schema}\".django_migrations WHERE app = 'googlewallet'"
        )

    with pytest.raises(Exception, match="already exists"):
        call_command("migrate_schemas", schema_name=merchant_a.schema, verbosity=0)

    assert state(merchant_a.schema) is None


def test_a_schema_altered_by_hand_is_migrated_but_never_recorded(merchant_a, capsys) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE INDEX by_hand ON "{merchant_a.schema}".points_tier (name)')

    out = migrate(merchant_a.schema, capsys)
    again = migrate(merchant_a.schema, capsys)

    assert "1 to migrate" in out and "No migrations to apply" in out
    assert "1 schema(s) migrated but not recorded: their catalog differs" in out
    assert out.endswith(f"again next time: {merchant_a.schema}\n")
    assert "1 to migrate" in again
    assert state(merchant_a.schema) is None


def test_without_a_script_at_the_code_s_fingerprint_a_reference_is_built_first(
    merchant_a, capsys
) -> None:
    reference = SchemaTemplate.objects.get(fingerprint=FINGERPRINT).shape
    SchemaTemplate.objects.all().delete()
    SchemaState.objects.all().delete()

    migrate(merchant_a.schema, capsys)

    template = SchemaTemplate.objects.get()
    assert (template.fingerprint, template.shape) == (FINGERPRINT, reference)
    assert state(merchant_a.schema) == (FINGERPRINT, reference)
    assert not provisioning.schema_shapes([provisioning.REFERENCE_SCHEMA])
    assert merchant_create(name="Next", slug="next-one", owner_email="a@n.jo").schema_method == (
        "replayed"
    )
    assert state("next_one") == (FINGERPRINT, reference)
