from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from tenants.demo import DEMO_MERCHANTS, DEMO_PASSWORD, PLATFORM_ADMIN_EMAIL, demo_seed


class Command(BaseCommand):
    help = "Create the demo merchants and their staff. Running it again changes nothing."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--list", action="store_true", help="Only print the demo logins.")

    def handle(self, *args: Any, **options: Any) -> None:
        if not options["list"]:
            created = demo_seed()
            for line in created:
                self.stdout.write(f"  created {line}")
            if not created:
                self.stdout.write("Demo data already present; nothing changed.")
        self.stdout.write(f"\nDemo logins (password for all: {DEMO_PASSWORD}):")
        self.stdout.write(
            f"  {'platform':<14} {'admin':<8} {PLATFORM_ADMIN_EMAIL}  (authenticator code: "
            f"python manage.py totp_code {PLATFORM_ADMIN_EMAIL})"
        )
        for demo in DEMO_MERCHANTS:
            for person in demo.staff:
                self.stdout.write(f"  {demo.slug:<14} {person.role:<8} {person.email}")
