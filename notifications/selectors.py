"""Reads of the inbox."""

from .models import InboxItem


def unread_count(membership_id: int) -> int:
    return InboxItem.objects.filter(membership_id=membership_id, read_at__isnull=True).count()
