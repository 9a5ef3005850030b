from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice


class Command(BaseCommand):
    help = (
        "Development only: print a platform admin's current authenticator code and the "
        "otpauth:// link to add the device to an authenticator app."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("email")

    def handle(self, *args: Any, **options: Any) -> None:
        if not (settings.DEBUG or getattr(settings, "DEMO_MODE", False)):
            raise CommandError("Only in development or demo mode.")
        device = TOTPDevice.objects.filter(user__username=options["email"]).first()
        if device is None:
            raise CommandError(f"{options['email']} has no authenticator device.")
        code = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits)
        self.stdout.write(f"{code:0{device.digits}d}")
        self.stdout.write(device.config_url)
