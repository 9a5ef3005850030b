"""Figures for the dashboard home, read with a few aggregate queries over indexed
columns (created_at), so the page stays fast on a large ledger. Points issued and
sales per staff member, which would read every entry of the 30 days, come from the
ledger's sums per closed day (`points.daily`) and today's entries.

Every figure of the period covers the same whole local days (the last 30, today
included), so the parts shown beside a total are counted over the same rows:
- points issued: earned and bonus points, less earnings voided since;
- points redeemed: points spent on rewards that were not given back (a rejected,
  cancelled or expired redemption refunds its points);
- redemption rate: points redeemed / points issued;
- sales per staff member: the counter earnings each one recorded, voided ones left
  out, so their points add up to at most the points issued.
"""

import datetime
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth.models import User
from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncDate, TruncWeek
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from points.daily import NO_ACTOR, ledger_days_read
from points.models import LedgerDay, LedgerEntry, Membership, Tier
from rewards.models import Redemption, Reward
from tenants.selectors import merchant_timezone

from .models import SetupProgress

Kind = LedgerEntry.Kind
DAYS = 30
WEEKS = 12
KEPT = (Redemption.Status.PENDING, Redemption.Status.APPROVED, Redemption.Status.USED)


@dataclass(frozen=True)
class StaffSales:
    name: str
    sales: int
    amount: Decimal
    points: int


@dataclass(frozen=True)
class Report:
    since: datetime.datetime  # the start of the first local day of the period
    days: list[datetime.date]
    issued: list[int]  # per day
    redeemed: list[int]  # per day
    weeks: list[datetime.date]  # the Mondays of the last WEEKS weeks
    joined: list[int]  # per week
    tiers: Sequence[tuple[Tier, int]]
    top_rewards: Sequence[tuple[Reward, int]]
    staff: list[StaffSales]
    members: int
    active_members: int
    pending_redemptions: int

    @property
    def points_issued(self) -> int:
        return sum(self.issued)

    @property
    def points_redeemed(self) -> int:
        return sum(self.redeemed)

    @property
    def redemption_rate(self) -> int | None:
        """Points redeemed as a whole percentage of points issued; None when none were."""
        issued = self.points_issued
        return round(100 * self.points_redeemed / issued) if issued else None

    @property
    def staff_points(self) -> int:
        return sum(row.points for row in self.staff)

    @property
    def empty(self) -> bool:
        """A new programme: no member, no points, nothing to draw yet."""
        return not (self.members or self.points_issued or self.points_redeemed)


def _local_midnight(day: datetime.date, tz: datetime.tzinfo) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time()), tz)


def report_home(*, now: datetime.datetime | None = None) -> Report:
    now = now or timezone.now()
    tz = merchant_timezone()
    today = now.astimezone(tz).date()
    days = [today - datetime.timedelta(days=n) for n in range(DAYS - 1, -1, -1)]
    since = _local_midnight(days[0], tz)

    sums = ledger_days_read(first=days[0], now=now, tz=tz)
    issued_by_day: dict[datetime.date, int] = defaultdict(int)
    for row in sums:
        issued_by_day[row.day] += row.earn_points + row.bonus_points
    redeemed_by_day = dict(
        Redemption.objects.filter(created_at__gte=since, status__in=KEPT)
        .annotate(day=TruncDate("created_at", tzinfo=tz))
        .values("day")
        .annotate(points=Sum("points"))
        .values_list("day", "points")
    )

    monday = today - datetime.timedelta(days=today.weekday())
    weeks = [monday - datetime.timedelta(weeks=n) for n in range(WEEKS - 1, -1, -1)]
    joined_by_week = dict(
        Membership.objects.filter(joined_at__gte=_local_midnight(weeks[0], tz))
        .annotate(week=TruncWeek("joined_at", tzinfo=tz))
        .values("week")
        .annotate(count=Count("id"))
        .values_list("week", "count")
    )
    joined_on = {
        week.date() if isinstance(week, datetime.datetime) else week: count
        for week, count in joined_by_week.items()
    }

    tiers = [
        (tier, tier.members)
        for tier in Tier.objects.annotate(members=Count("membership")).order_by("rank")
    ]
    top_rewards = [
        (reward, reward.redeemed)
        for reward in Reward.objects.annotate(
            redeemed=Count(
                "redemptions",
                filter=Q(redemptions__created_at__gte=since, redemptions__status__in=KEPT),
            )
        )
        .filter(redeemed__gt=0)
        .order_by("-redeemed", "name")[:5]
    ]
    return Report(
        since=since,
        days=days,
        issued=[issued_by_day[day] for day in days],
        redeemed=[int(redeemed_by_day.get(day) or 0) for day in days],
        weeks=weeks,
        joined=[joined_on.get(week, 0) for week in weeks],
        tiers=tiers,
        top_rewards=top_rewards,
        staff=_staff_sales(sums),
        members=Membership.objects.count(),
        active_members=Membership.objects.filter(last_visit_at__gte=since).count(),
        pending_redemptions=Redemption.objects.filter(status=Redemption.Status.PENDING).count(),
    )


def _staff_sales(sums: Sequence[LedgerDay]) -> list[StaffSales]:
    """The ten staff members with the most sales, from the days' sums per staff member."""
    totals: dict[int, tuple[int, Decimal, int]] = {}
    for row in sums:
        if row.actor != NO_ACTOR and row.earns:
            sales, amount, points = totals.get(row.actor, (0, Decimal(0), 0))
            totals[row.actor] = (
                sales + row.earns,
                amount + row.earn_amount,
                points + row.earn_points,
            )
    top = sorted(totals, key=lambda actor: (-totals[actor][0], actor))[:10]
    users = User.objects.in_bulk(top)
    return [
        StaffSales(
            name=users[actor].get_full_name() or users[actor].email,
            sales=totals[actor][0],
            amount=totals[actor][1],
            points=totals[actor][2],
        )
        for actor in top
    ]


@dataclass(frozen=True)
class ChecklistItem:
    key: str
    title: str | Promise
    done: bool
    link: str


def setup_checklist() -> list[ChecklistItem]:
    """The merchant's first steps, ending with the first points awarded at the counter."""
    progress = SetupProgress.objects.filter(pk=1).first()
    return [
        ChecklistItem(
            "points",
            _("Configure points"),
            bool(progress and progress.points_at),
            reverse("merchant_admin:points_pointssettings_changelist"),
        ),
        ChecklistItem(
            "tiers",
            _("Customise tiers"),
            Tier.objects.filter(threshold__gt=0).exists(),  # above the entry tier
            reverse("merchant_admin:points_tier_changelist"),
        ),
        ChecklistItem(
            "reward",
            _("Create a reward"),
            Reward.objects.exists(),
            reverse("merchant_admin:rewards_reward_add"),
        ),
        ChecklistItem(
            "staff",
            _("Add staff"),
            User.objects.filter(is_active=True).count() > 1,
            reverse("merchant_admin:auth_user_add"),
        ),
        ChecklistItem(
            "poster",
            _("Print the join QR"),
            bool(progress and progress.poster_at),
            reverse("merchant_admin:join_poster"),
        ),
        ChecklistItem(
            "first_points",
            _("Award your first points"),
            LedgerEntry.objects.filter(kind=Kind.EARN).exists(),
            reverse("merchant_admin:counter"),
        ),
    ]
