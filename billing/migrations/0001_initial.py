from decimal import Decimal

import django.db.models.deletion
from django.db import migrations, models

PLANS = [
    # code, name, name_ar, price, members, staff, rewards, texts, whatsapp, trial, sort
    ("trial", "Trial", "تجريبي", "0.000", 250, 3, 5, 50, False, True, 0),
    ("starter", "Starter", "البداية", "15.000", 1000, 5, 20, 200, False, False, 1),
    ("growth", "Growth", "النمو", "35.000", 5000, 15, 100, 1000, True, False, 2),
    ("pro", "Pro", "الاحترافي", "75.000", None, None, None, 5000, True, False, 3),
]


def plans_seed(apps, schema_editor):
    Plan = apps.get_model("billing", "Plan")
    for code, name, name_ar, price, members, staff, rewards, texts, wa, trial, sort in PLANS:
        Plan.objects.update_or_create(
            code=code,
            defaults=dict(
                name=name,
                name_ar=name_ar,
                price=Decimal(price),
                max_members=members,
                max_staff=staff,
                max_rewards=rewards,
                sms_per_month=texts,
                whatsapp=wa,
                is_trial=trial,
                sort=sort,
            ),
        )


class Migration(migrations.Migration):
    initial = True

    dependencies = [("tenants", "0004_merchant_daily_stats")]

    operations = [
        migrations.CreateModel(
            name="Plan",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("code", models.SlugField(max_length=20, unique=True)),
                ("name", models.CharField(max_length=60)),
                ("name_ar", models.CharField(blank=True, max_length=60, verbose_name="name (Arabic)")),
                ("price", models.DecimalField(decimal_places=3, default=0, max_digits=10, verbose_name="monthly price (JOD)")),
                ("max_members", models.PositiveIntegerField(blank=True, null=True)),
                ("max_staff", models.PositiveIntegerField(blank=True, null=True)),
                ("max_rewards", models.PositiveIntegerField(blank=True, null=True)),
                ("sms_per_month", models.PositiveIntegerField(default=0, help_text="SMS and WhatsApp messages to customers; sign-in codes are not counted.", verbose_name="text messages a month")),
                ("whatsapp", models.BooleanField(default=False, verbose_name="WhatsApp messages")),
                ("is_trial", models.BooleanField(default=False)),
                ("is_public", models.BooleanField(default=True, verbose_name="offered at signup")),
                ("sort", models.PositiveSmallIntegerField(default=0)),
            ],
            options={"ordering": ["sort", "price"]},
        ),
        migrations.CreateModel(
            name="MessageUsage",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("month", models.DateField(help_text="The first day of the month.")),
                ("texts", models.PositiveIntegerField(default=0)),
                ("merchant", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="message_usage", to="tenants.merchant")),
            ],
            options={
                "constraints": [models.UniqueConstraint(fields=("merchant", "month"), name="message_usage_once")]
            },
        ),
        migrations.RunPython(plans_seed, migrations.RunPython.noop),
    ]
