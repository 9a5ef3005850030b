from typing import Any

from django import template
from django.conf import settings
from django.urls import reverse

from loyalty.db import connection

from ..selectors import webpush_configured

register = template.Library()


@register.simple_tag
def webpush_switch() -> dict[str, Any] | None:
    """What the web card's switch needs: the key browsers subscribe with and where to
    post; None where there is no switch (no VAPID keys, or not a merchant's host)."""
    if not webpush_configured() or connection.schema_name == settings.PUBLIC_SCHEMA_NAME:
        return None
    return {
        "key": settings.VAPID_PUBLIC_KEY,
        "subscribe": reverse("card-push-subscribe"),
        "unsubscribe": reverse("card-push-unsubscribe"),
    }
