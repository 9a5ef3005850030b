"""Figures for the dashboard home, read with a few aggregate queries over indexed
columns (created_at), so the page stays fast on a large ledger."""

import datetime
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import User
from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncDate, TruncWeek
from django.urls import reverse
from django.utils import dateformat, timezone
from django.utils.translation import gettext

from loyalty.formatting import local_name
from points.models import LedgerEntry, Membership, Tier
from rewards.models import Redemption, Reward

from .models import SetupProgress

Kind = LedgerEntry.Kind
DAYS = 30


@dataclass(frozen=True)
class Report:
    kpis: dict[str, Any]
    points_per_day: dict[str, Any]
    members_per_week: dict[str, Any]
    tiers: dict[str, Any]
    top_rewards: list[tuple[str, int]]
    staff_activity: list[tuple[str, int, int]]


def report_home(*, now: datetime.datetime | None = None) -> Report:
    now = now or timezone.now()
    tz = timezone.get_current_timezone()
    today = now.astimezone(tz).date()
    since = now - datetime.timedelta(days=DAYS)
    days = [today - datetime.timedelta(days=n) for n in range(DAYS - 1, -1, -1)]

    daily = (
        LedgerEntry.objects.filter(created_at__gte=since)
        .annotate(day=TruncDate("created_at", tzinfo=tz))
        .values("day")
        .annotate(
            issued=Sum("points", filter=Q(kind__in=[Kind.EARN, Kind.BONUS])),
            redeemed=Sum("points", filter=Q(kind=Kind.REDEEM)),
        )
    )
    by_day: dict[datetime.date, Any] = {row["day"]: row for row in daily}

    def on(day: datetime.date, key: str) -> int:
        return int((by_day.get(day) or {}).get(key) or 0)

    points_per_day: dict[str, Any] = {
        "labels": [dateformat.format(d, "j M") for d in days],  # in the reader's language
        "datasets": [
            {
                "label": gettext("Issued"),
                "data": [on(d, "issued") for d in days],
                "backgroundColor": "#7c3aed",
            },
            {
                "label": gettext("Redeemed"),
                "data": [-on(d, "redeemed") for d in days],
                "backgroundColor": "#f59e0b",
            },
        ],
    }

    weekly = (
        Membership.objects.filter(joined_at__gte=now - datetime.timedelta(weeks=12))
        .annotate(week=TruncWeek("joined_at", tzinfo=tz))
        .values("week")
        .annotate(count=Count("id"))
        .order_by("week")
    )
    members_per_week = {
        "labels": [dateformat.format(row["week"], "j M") for row in weekly],
        "datasets": [
            {
                "label": gettext("New members"),
                "data": [row["count"] for row in weekly],
                "borderColor": "#7c3aed",
                "backgroundColor": "#7c3aed",
            }
        ],
    }

    tier_counts = Tier.objects.annotate(members=Count("membership")).order_by("rank")
    tiers = {
        "labels": [t.display_name() for t in tier_counts],
        "datasets": [
            {
                "label": gettext("Members"),
                "data": [t.members for t in tier_counts],
                "backgroundColor": [t.colour for t in tier_counts],
            }
        ],
    }

    top_rewards = [
        (local_name(name, name_ar), count)
        for name, name_ar, count in Reward.objects.annotate(
            redeemed=Count(
                "redemptions",
                filter=Q(
                    redemptions__created_at__gte=since,
                    redemptions__status__in=[
                        Redemption.Status.APPROVED,
                        Redemption.Status.USED,
                        Redemption.Status.PENDING,
                    ],
                ),
            )
        )
        .filter(redeemed__gt=0)
        .order_by("-redeemed")
        .values_list("name", "name_ar", "redeemed")[:5]
    ]
    staff_activity = _staff_activity(since)

    redemptions = Redemption.objects.filter(created_at__gte=since)
    total = redemptions.count()
    completed = redemptions.filter(
        status__in=[Redemption.Status.APPROVED, Redemption.Status.USED]
    ).count()
    kpis = {
        "members": Membership.objects.count(),
        "active_members": Membership.objects.filter(last_visit_at__gte=since).count(),
        "points_issued": sum(points_per_day["datasets"][0]["data"]),
        "points_redeemed": sum(points_per_day["datasets"][1]["data"]),
        "redemption_rate": round(100 * completed / total) if total else 0,
        "pending_redemptions": Redemption.objects.filter(status=Redemption.Status.PENDING).count(),
    }
    return Report(kpis, points_per_day, members_per_week, tiers, top_rewards, staff_activity)


def _staff_activity(since: datetime.datetime) -> list[tuple[str, int, int]]:
    rows = (
        LedgerEntry.objects.filter(created_at__gte=since, kind=Kind.EARN, actor__isnull=False)
        .values("actor__first_name", "actor__last_name", "actor__email")
        .annotate(earns=Count("id"), points=Sum("points"))
        .order_by("-earns")[:10]
    )
    return [
        (
            f"{r['actor__first_name']} {r['actor__last_name']}".strip() or r["actor__email"],
            r["earns"],
            r["points"] or 0,
        )
        for r in rows
    ]


@dataclass(frozen=True)
class ChecklistItem:
    key: str
    title: str
    done: bool
    link: str


def setup_checklist() -> list[ChecklistItem]:
    """The seed's merchant journey: configure points, tiers, a reward, staff, the QR."""
    progress = SetupProgress.objects.filter(pk=1).first()
    return [
        ChecklistItem(
            "points",
            "Configure points",
            bool(progress and progress.points_at),
            reverse("merchant_admin:points_pointssettings_changelist"),
        ),
        ChecklistItem(
            "tiers",
            "Customise tiers",
            Tier.objects.filter(threshold__gt=0).exists(),  # above the entry tier
            reverse("merchant_admin:points_tier_changelist"),
        ),
        ChecklistItem(
            "reward",
            "Create a reward",
            Reward.objects.exists(),
            reverse("merchant_admin:rewards_reward_add"),
        ),
        ChecklistItem(
            "staff",
            "Add staff",
            User.objects.filter(is_active=True).count() > 1,
            reverse("merchant_admin:auth_user_add"),
        ),
        ChecklistItem(
            "poster",
            "Print the join QR",
            bool(progress and progress.poster_at),
            reverse("merchant_admin:join_poster"),
        ),
    ]
