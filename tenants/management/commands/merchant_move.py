from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from tenants.models import Merchant
from tenants.move import MoveRefused, merchant_move


class Command(BaseCommand):
    help = (
        "Move a merchant's schema and public rows to another database (a name in "
        "MERCHANT_DATABASES) and record it there (docs/scaling.md). The merchant is "
        "read-only while it moves and stays read-only in this database afterwards."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("slug")
        parser.add_argument("--to", required=True, help="A name in MERCHANT_DATABASES")
        parser.add_argument(
            "--drop-source",
            action="store_true",
            help="Drop the schema here once the copy is checked (kept by default)",
        )
        parser.add_argument(
            "--settle",
            type=float,
            default=5.0,
            help="Seconds between turning read-only and copying, for requests to finish",
        )
        parser.add_argument(
            "--lock-timeout",
            type=int,
            default=30,
            help="Seconds to wait for the schema's writers before giving up",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        merchant = Merchant.objects.filter(slug=options["slug"]).first()
        if merchant is None:
            raise CommandError(f"No merchant {options['slug']!r}.")
        self.stdout.write(f"Moving {merchant.slug} ({merchant.schema_name}) to {options['to']}...")
        try:
            report = merchant_move(
                merchant=merchant,
                database=options["to"],
                drop_source=options["drop_source"],
                settle=options["settle"],
                lock_timeout=options["lock_timeout"],
            )
        except MoveRefused as error:
            raise CommandError(str(error)) from error
        if report.prepared:
            self.stdout.write("The target had no platform tables: created as the source's.")
        self.stdout.write(f"{'public table':<36} {'selected':>9} {'inserted':>9} {'kept':>6}")
        for table, (selected, inserted, already) in report.public_rows.items():
            self.stdout.write(f"{table:<36} {selected:>9} {inserted:>9} {already:>6}")
        self.stdout.write(f"{'schema table':<36} {'source':>9} {'target':>9}")
        for table, (before, after) in report.schema_rows.items():
            self.stdout.write(f"{table:<36} {before:>9} {after:>9}")
        for figure, (before, after) in report.ledger.items():
            self.stdout.write(f"ledger {figure:<29} {before:>9} {after:>9}")
        steps = ", ".join(f"{step} {seconds:.2f} s" for step, seconds in report.steps.items())
        self.stdout.write(f"steps: {steps}")
        left = "dropped" if report.source_dropped else "kept (read-only)"
        self.stdout.write(
            self.style.SUCCESS(
                f"{merchant.slug} lives in {report.database} now; the schema here is {left}; "
                f"{len(report.drifts)} drift(s), {report.seconds:.1f} s."
            )
        )
