from typing import Any

from django.core.management.base import BaseCommand, CommandError

from billing.stripe_api import billing_configured
from billing.stripe_prices import plan_prices_sync
from loyalty.errors import DomainError


class Command(BaseCommand):
    help = (
        "Give every paid plan a Stripe Product and a monthly Price at its current price "
        "(a changed price gets a new Price; the old one is archived). Safe to run again."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        if not billing_configured():
            raise CommandError("STRIPE_SECRET_KEY is not set: billing is not configured.")
        try:
            report = plan_prices_sync()
        except DomainError as error:
            raise CommandError(error.message) from error
        for line in report.created:
            self.stdout.write(f"created   {line}")
        for line in report.replaced:
            self.stdout.write(f"replaced  {line} (the old Price is archived)")
        for line in report.unchanged:
            self.stdout.write(f"unchanged {line}")
        for line in report.skipped:
            self.stdout.write(self.style.WARNING(f"skipped   {line}"))
        self.stdout.write(self.style.SUCCESS("Stripe prices are in step with the plans."))
