"""Reads about Web Push subscriptions."""

from django.conf import settings

from .models import PushSubscription


def webpush_configured() -> bool:
    """Whether the platform has VAPID keys: without them the switch is hidden and the
    relay records what it would send."""
    return bool(settings.VAPID_PUBLIC_KEY and settings.VAPID_PRIVATE_KEY)


def push_subscriptions_of(*, customer_ids: list[int], merchant_id: int) -> list[PushSubscription]:
    """The customers' subscriptions made on this merchant's host."""
    return list(
        PushSubscription.objects.filter(
            customer_id__in=customer_ids, merchant_id=merchant_id
        ).order_by("id")
    )
