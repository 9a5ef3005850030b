from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("points", "0005_balances_64_bit"),
    ]

    operations = [
        migrations.AddField(
            model_name="pointssettings",
            name="enrol_without_code",
            field=models.BooleanField(
                default=False,
                help_text="Off: a customer joins at the counter only with the code sent to "
                "their phone.",
                verbose_name="Counter may enrol a customer without the SMS code",
            ),
        ),
    ]
