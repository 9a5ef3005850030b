"""The ledger refuses UPDATE and DELETE at the database level, whoever asks."""

from django.db import migrations


def settings_row(apps, schema_editor):
    apps.get_model("points", "PointsSettings").objects.get_or_create(pk=1)


class Migration(migrations.Migration):
    dependencies = [("points", "0003_ledger_idempotency_key")]

    operations = [
        migrations.RunSQL(
            sql="""
                CREATE FUNCTION points_ledger_append_only() RETURNS trigger AS $$
                BEGIN
                    RAISE EXCEPTION 'the points ledger is append-only: % refused', TG_OP
                        USING ERRCODE = 'integrity_constraint_violation';
                END;
                $$ LANGUAGE plpgsql;
                CREATE TRIGGER points_ledgerentry_append_only
                    BEFORE UPDATE OR DELETE ON points_ledgerentry
                    FOR EACH ROW EXECUTE FUNCTION points_ledger_append_only();
            """,
            reverse_sql="""
                DROP TRIGGER points_ledgerentry_append_only ON points_ledgerentry;
                DROP FUNCTION points_ledger_append_only();
            """,
        ),
        migrations.RunPython(settings_row, migrations.RunPython.noop),
    ]
