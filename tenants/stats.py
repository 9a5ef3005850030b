"""Platform figures: each merchant's day, written into the public schema by a task
that runs in the merchant's schema (beat fans it out), read by the platform dashboard."""

import datetime
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import Max, Q, Sum
from django.db.models.functions import Coalesce
from django.utils import dateformat, timezone
from django.utils.translation import gettext
from django_tenants.utils import get_public_schema_name, schema_context

from billing.selectors import mrr
from loyalty.db import connection
from loyalty.formatting import money_text

from .models import Merchant, MerchantDailyStats


def stats_collect(*, day: datetime.date | None = None) -> MerchantDailyStats:
    """Count the current merchant's day (its schema is the connection's) and store it."""
    from messaging.models import SentMessage
    from points.models import LedgerEntry, Membership
    from rewards.models import Redemption

    tz = timezone.get_current_timezone()
    day = day or timezone.localdate()
    start = datetime.datetime.combine(day, datetime.time.min, tzinfo=tz)
    end = start + datetime.timedelta(days=1)
    entries = LedgerEntry.objects.filter(created_at__gte=start, created_at__lt=end)
    points = entries.aggregate(
        issued=Coalesce(Sum("points", filter=Q(kind__in=["earn", "bonus"])), 0),
        redeemed=Coalesce(Sum("points", filter=Q(kind="redeem")), 0),
    )
    figures = {
        "members": Membership.objects.filter(joined_at__lt=end).count(),
        "new_members": Membership.objects.filter(joined_at__gte=start, joined_at__lt=end).count(),
        "active_members": Membership.objects.filter(
            last_visit_at__gte=end - datetime.timedelta(days=30), last_visit_at__lt=end
        ).count(),
        "points_issued": points["issued"],
        "points_redeemed": -points["redeemed"],
        "redemptions": Redemption.objects.filter(created_at__gte=start, created_at__lt=end).count(),
        "messages_sent": SentMessage.objects.filter(
            created_at__gte=start, created_at__lt=end
        ).count(),
    }
    schema = connection.schema_name
    with schema_context(get_public_schema_name()):
        merchant = Merchant.objects.get(schema_name=schema)
        stats, _ = MerchantDailyStats.objects.update_or_create(
            merchant=merchant, day=day, defaults=figures
        )
    return stats


@dataclass(frozen=True)
class PlatformOverview:
    kpis: dict[str, Any]
    points_per_day: dict[str, Any]


def platform_overview(*, days: int = 30) -> PlatformOverview:
    """The platform dashboard's figures, from the collected daily stats only."""
    today = timezone.localdate()
    since = today - datetime.timedelta(days=days - 1)
    daily: dict[datetime.date, Any] = {
        row["day"]: row
        for row in MerchantDailyStats.objects.filter(day__gte=since)
        .values("day")
        .annotate(
            issued=Sum("points_issued"),
            redeemed=Sum("points_redeemed"),
            messages=Sum("messages_sent"),
        )
    }
    labels = [since + datetime.timedelta(days=n) for n in range(days)]
    merchants = Merchant.objects.exclude(schema_name=get_public_schema_name())
    latest = MerchantDailyStats.objects.filter(day=today)
    kpis = {
        "active_merchants": merchants.filter(status=Merchant.Status.ACTIVE).count(),
        "suspended_merchants": merchants.filter(status=Merchant.Status.SUSPENDED).count(),
        "members": latest.aggregate(n=Coalesce(Sum("members"), 0))["n"],
        "points_issued_today": (daily.get(today) or {}).get("issued") or 0,
        "messages_sent_today": (daily.get(today) or {}).get("messages") or 0,
        "mrr": mrr_text(),
    }
    chart = {
        "labels": [dateformat.format(d, "j M") for d in labels],  # in the reader's language
        "datasets": [
            {
                "label": gettext("Points issued"),
                "data": [(daily.get(d) or {}).get("issued") or 0 for d in labels],
                "backgroundColor": "#7c3aed",
            },
            {
                "label": gettext("Points redeemed"),
                "data": [(daily.get(d) or {}).get("redeemed") or 0 for d in labels],
                "backgroundColor": "#f59e0b",
            },
        ],
    }
    return PlatformOverview(kpis, chart)


def mrr_text() -> str:
    """MRR in the reader's language, one amount per currency Stripe bills in."""
    amounts = mrr()
    if not amounts:
        return money_text(0, settings.BILLING_CURRENCY)
    return " + ".join(money_text(amount, currency) for currency, amount in amounts.items())


def merchants_with_figures() -> Any:
    """Merchants with their latest collected member count and last activity day."""
    return Merchant.objects.exclude(schema_name=get_public_schema_name()).annotate(
        last_active=Max("daily_stats__day", filter=Q(daily_stats__points_issued__gt=0)),
        member_count=Max("daily_stats__members"),
        issued_30d=Coalesce(
            Sum(
                "daily_stats__points_issued",
                filter=Q(daily_stats__day__gte=timezone.localdate() - datetime.timedelta(days=29)),
            ),
            0,
        ),
    )
