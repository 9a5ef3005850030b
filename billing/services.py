"""Changes to plans and usage."""

import datetime

from django.db import connection
from django.utils import timezone

from .models import MessageUsage


def texts_count(*, merchant_id: int, day: datetime.date | None = None) -> int:
    """Count one text message (SMS or WhatsApp) sent for the merchant this month;
    returns the month's count. One statement, safe when workers send side by side;
    called in the transaction that records the send, so it counts exactly the texts
    whose sending is recorded."""
    month = MessageUsage.month_of(day or timezone.localdate())
    table = MessageUsage._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO public.{table} (merchant_id, month, texts) VALUES (%s, %s, 1)
            ON CONFLICT (merchant_id, month) DO UPDATE SET texts = {table}.texts + 1
            RETURNING texts
            """,
            [merchant_id, month],
        )
        row = cursor.fetchone()
    return int(row[0]) if row else 0
