import json
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django_tenants.utils import get_public_schema_name, schema_context

from messaging.models import SentMessage
from tenants.models import Merchant


class Command(BaseCommand):
    help = "List messages sent or recorded (OTP codes among them), newest first."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--to", help="Only messages to this address or phone")
        parser.add_argument("--limit", type=int, default=20)
        parser.add_argument("--json", action="store_true", help="One JSON array")

    def handle(self, *args: Any, **options: Any) -> None:
        public = get_public_schema_name()
        merchants = Merchant.objects.exclude(schema_name=public).values_list(
            "schema_name", flat=True
        )
        schemas = [public, *merchants]
        rows: list[dict[str, Any]] = []
        for schema in schemas:
            with schema_context(schema):
                messages = SentMessage.objects.all()
                if options["to"]:
                    messages = messages.filter(to=options["to"])
                for m in messages[: options["limit"]]:
                    rows.append(
                        {
                            "schema": schema,
                            "channel": m.channel,
                            "to": m.to,
                            "subject": m.subject,
                            "body": m.body,
                            "purpose": m.purpose,
                            "status": m.status,
                            "created_at": m.created_at.isoformat(),
                        }
                    )
        rows.sort(key=lambda r: r["created_at"], reverse=True)
        rows = rows[: options["limit"]]
        if options["json"]:
            self.stdout.write(json.dumps(rows, ensure_ascii=False, indent=2))
            return
        for r in rows:
            self.stdout.write(
                f"{r['created_at'][:19]}  {r['channel']:<5} {r['to']:<16} "
                f"[{r['schema']}] {r['body']}"
            )
        if not rows:
            self.stdout.write("No messages.")
