from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django_tenants.utils import schema_context

from points.reconcile import Report, reconcile
from tenants.models import Merchant


class Command(BaseCommand):
    help = (
        "Check every merchant's balances and counters against its ledger, and that every"
        " membership's customer exists."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        reports: list[Report] = []
        merchants = Merchant.objects.exclude(schema_name="public").order_by("slug")
        for merchant in merchants:
            with schema_context(merchant.schema_name):
                reports.append(reconcile())
        self.stdout.write(f"{'merchant':<24} {'members':>8} {'entries':>9} {'drift':>6}")
        for merchant, report in zip(merchants, reports, strict=True):
            mark = len(report.drifts) + len(report.orphans)
            line = f"{merchant.slug:<24} {report.members:>8} {report.entries:>9} {mark:>6}"
            self.stdout.write(self.style.ERROR(line) if mark else line)
        drifted = [r for r in reports if r.drifts or r.orphans]
        for report in drifted:
            for d in report.drifts:
                self.stdout.write(
                    f"  {report.schema} member #{d.member_number}: {d.check}: "
                    f"stored {d.stored}, ledger says {d.expected}"
                )
            for o in report.orphans:
                self.stdout.write(
                    f"  {report.schema} member #{o.member_number}: customer #{o.customer_id}"
                    " does not exist (an orphan membership)"
                )
        if drifted:
            raise CommandError(f"drift in {len(drifted)} merchant(s)")
        self.stdout.write(self.style.SUCCESS(f"All {len(reports)} merchants reconcile."))
