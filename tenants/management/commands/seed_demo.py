from typing import Any

from django.core.management.base import BaseCommand

from tenants.demo import DEMO_MERCHANTS, DEMO_PASSWORD, demo_seed


class Command(BaseCommand):
    help = "Create the demo merchants and their staff. Running it again changes nothing."

    def handle(self, *args: Any, **options: Any) -> None:
        created = demo_seed()
        for line in created:
            self.stdout.write(f"  created {line}")
        if not created:
            self.stdout.write("Demo data already present; nothing changed.")
        self.stdout.write(f"\nDemo logins (password for all: {DEMO_PASSWORD}):")
        for demo in DEMO_MERCHANTS:
            for person in demo.staff:
                self.stdout.write(f"  {demo.slug:<14} {person.role:<8} {person.email}")
