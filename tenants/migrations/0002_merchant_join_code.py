from django.db import migrations, models

import tenants.models


def fill(apps, schema_editor):
    Merchant = apps.get_model("tenants", "Merchant")
    for merchant in Merchant.objects.filter(join_code__isnull=True):
        merchant.join_code = tenants.models.join_code_new()
        merchant.save(update_fields=["join_code"])


class Migration(migrations.Migration):
    dependencies = [("tenants", "0001_initial")]

    operations = [
        migrations.AddField(
            model_name="merchant",
            name="join_code",
            field=models.CharField(max_length=12, null=True),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="merchant",
            name="join_code",
            field=models.CharField(
                default=tenants.models.join_code_new,
                help_text="In the join QR: proves the customer scanned the poster in the shop.",
                max_length=12,
                unique=True,
            ),
        ),
    ]
