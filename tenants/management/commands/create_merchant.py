from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from tenants.models import Merchant
from tenants.selectors import merchant_host
from tenants.services import merchant_create


class Command(BaseCommand):
    help = "Create a merchant: its schema, domain, staff roles and owner account."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name", help='Business name, e.g. "Café Aroma"')
        parser.add_argument("slug", help="Subdomain, e.g. cafe-aroma")
        parser.add_argument("owner_email")
        parser.add_argument(
            "--password",
            help="Owner password (when omitted, the welcome mail carries a link to choose one)",
        )
        parser.add_argument(
            "--category", default=Merchant.Category.OTHER, choices=Merchant.Category.values
        )
        parser.add_argument("--city", default="")
        parser.add_argument("--port", default="8000", help="Port shown in the printed URLs")

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(f"Creating {options['name']} ({options['slug']})...")
        try:
            result = merchant_create(
                name=options["name"],
                slug=options["slug"],
                owner_email=options["owner_email"],
                owner_password=options["password"],
                category=options["category"],
                city=options["city"],
            )
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        merchant = result.merchant
        base = f"http://{merchant_host(merchant)}:{options['port']}"
        self.stdout.write(
            f"  schema {merchant.schema_name} {result.schema_method} in {result.seconds:.2f} s"
        )
        self.stdout.write(f"  domain {merchant_host(merchant)}")
        self.stdout.write(self.style.SUCCESS(f"Created {merchant.name}."))
        self.stdout.write(f"  Dashboard: {base}/admin/")
        self.stdout.write(f"  API:       {base}/api/v1/")
        how = "the password given" if options["password"] else "the link in the welcome mail"
        self.stdout.write(f"  Owner:     {result.owner.get_username()} (signs in with {how})")
