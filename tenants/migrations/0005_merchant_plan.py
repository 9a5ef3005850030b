import django.db.models.deletion
from django.db import migrations, models


def trial_for_all(apps, schema_editor):
    Plan = apps.get_model("billing", "Plan")
    Merchant = apps.get_model("tenants", "Merchant")
    trial = Plan.objects.get(code="trial")
    Merchant.objects.filter(plan__isnull=True).update(plan=trial)


class Migration(migrations.Migration):
    dependencies = [
        ("tenants", "0004_merchant_daily_stats"),
        ("billing", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="merchant",
            name="plan",
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name="merchants", to="billing.plan"),
        ),
        migrations.RunPython(trial_for_all, migrations.RunPython.noop),
    ]
