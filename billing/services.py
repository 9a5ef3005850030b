"""Changes to plans and usage."""

import datetime

from django.db import connection
from django.utils import timezone

from .models import MessageUsage


def texts_allowance_take(
    *, merchant_id: int, allowance: int, day: datetime.date | None = None
) -> bool:
    """Count one text message against the merchant's monthly allowance.

    Returns False, counting nothing, when the allowance is used up. One statement, so
    two workers can never both take the last message. Called inside the transaction
    that records the send: when the send rolls back, so does the count.
    """
    if allowance <= 0:
        return False
    month = MessageUsage.month_of(day or timezone.localdate())
    table = MessageUsage._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO public.{table} (merchant_id, month, texts) VALUES (%s, %s, 1)
            ON CONFLICT (merchant_id, month) DO UPDATE SET texts = {table}.texts + 1
            WHERE {table}.texts < %s
            RETURNING texts
            """,
            [merchant_id, month, allowance],
        )
        return cursor.fetchone() is not None
