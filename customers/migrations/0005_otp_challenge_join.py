from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0004_otp_challenge_language"),
    ]

    operations = [
        migrations.AlterField(
            model_name="otpchallenge",
            name="purpose",
            field=models.CharField(
                choices=[
                    ("login", "Sign in"),
                    ("change_phone", "Change phone number"),
                    ("join", "Join at the counter"),
                ],
                max_length=20,
            ),
        ),
    ]
