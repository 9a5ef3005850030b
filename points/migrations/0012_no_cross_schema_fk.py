import django.db.models.deletion
from django.db import migrations, models

# The name Django gave the constraint in 0002_initial (schemas built before this
# migration have it; 0002 no longer creates it).
CONSTRAINT = "points_membership_customer_id_0cf78f90_fk_customers_customer_id"


class Migration(migrations.Migration):
    """No foreign key from a merchant schema into the public schema (docs/scaling.md,
    item 6): the membership's customer stays a relation for the ORM only."""

    dependencies = [
        ('points', '0011_ledger_day'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(model_name='membership', name='customer', field=models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='customers.customer', verbose_name='customer')),
            ],
            database_operations=[
                # IF EXISTS: a schema built since 0002 changed has none, and dropping
                # nothing takes no lock on customers_customer.
                migrations.RunSQL(
                    f'ALTER TABLE "points_membership" DROP CONSTRAINT IF EXISTS "{CONSTRAINT}"',
                    f'ALTER TABLE "points_membership" ADD CONSTRAINT "{CONSTRAINT}"'
                    ' FOREIGN KEY ("customer_id") REFERENCES "customers_customer" ("id")'
                    ' DEFERRABLE INITIALLY DEFERRED',
                ),
            ],
        ),
    ]
