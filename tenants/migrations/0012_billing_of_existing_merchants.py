"""Existing merchants get the billing state their plan implies: a paid plan is paying,
the trial plan is trialing (with a trial end: created_at + TRIAL_DAYS when it had
none). The owner's language is taken from their welcome mail, when it is still there.
The trial reminders sent from now on are recorded once each."""

import datetime

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


def billing_set(apps, schema_editor) -> None:  # type: ignore[no-untyped-def]
    Merchant = apps.get_model("tenants", "Merchant")
    Outbox = apps.get_model("messaging", "Outbox")
    merchants = Merchant.objects.exclude(schema_name="public")
    merchants.filter(plan__is_trial=False).update(billing_status="active")
    trials = merchants.filter(models.Q(plan__isnull=True) | models.Q(plan__is_trial=True))
    trials.update(billing_status="trialing")
    for merchant in trials.filter(trial_ends_at__isnull=True):
        merchant.trial_ends_at = merchant.created_at + datetime.timedelta(days=settings.TRIAL_DAYS)
        merchant.save(update_fields=["trial_ends_at"])
    welcomes = Outbox.objects.filter(
        dedupe_key__startswith="merchant-welcome:", language__in=["en", "ar"]
    ).values_list("dedupe_key", "language")
    for key, language in welcomes:
        pk = key.removeprefix("merchant-welcome:")
        if pk.isdigit():
            merchants.filter(pk=int(pk), owner_language="").update(owner_language=language)


class Migration(migrations.Migration):
    dependencies = [
        ("tenants", "0011_merchant_billing_state"),
        ("billing", "0003_stripe"),
        ("messaging", "0010_labels_in_arabic"),
    ]

    operations = [
        migrations.AddField(
            model_name="merchant",
            name="owner_language",
            field=models.CharField(
                blank=True,
                choices=[("en", "English"), ("ar", "العربية")],
                max_length=2,
                verbose_name="owner's language",
            ),
        ),
        migrations.CreateModel(
            name="TrialReminder",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("trial_ends_at", models.DateTimeField(verbose_name="trial ends")),
                ("days", models.PositiveSmallIntegerField(verbose_name="days before the end")),
                ("sent_at", models.DateTimeField(default=django.utils.timezone.now, verbose_name="sent")),
                (
                    "merchant",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="trial_reminders",
                        to="tenants.merchant",
                        verbose_name="merchant",
                    ),
                ),
            ],
            options={
                "verbose_name": "trial reminder",
                "verbose_name_plural": "trial reminders",
                "constraints": [
                    models.UniqueConstraint(
                        fields=("merchant", "trial_ends_at", "days"), name="trial_reminder_once"
                    )
                ],
            },
        ),
        migrations.RunPython(billing_set, migrations.RunPython.noop),
    ]
