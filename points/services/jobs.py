"""Daily jobs, run per merchant (see `points.tasks`). Each member is its own transaction,
so one failure never undoes the others and locks stay short. Each job can run twice on
the same day without doing anything twice.

A read-only merchant (its subscription lapsed) is skipped by the jobs that expire,
warn, pay bonuses or review tiers: nothing is earned while it is read-only, and its
customers lose no points and no tier to the pause (`billing.services.expiries_resume`
moves the expiries and the tier reviews later when it pays again)."""

import calendar
import datetime
from functools import partial

from dateutil.relativedelta import relativedelta
from django.db import transaction
from django.db.models import F, Min, Q, Sum
from django.utils import timezone

from loyalty.db import connection
from messaging.models import Event
from messaging.outbox import outbox_add, outbox_add_many
from points.calculation import plain
from points.ledger import expiries_record, memberships_lock
from points.models import LedgerEntry, Membership, PointsLot
from points.selectors import (
    local_date,
    local_day_start,
    points_settings,
    tier_for_metric,
    tier_metric,
    tiers_ordered,
)
from points.signals import tier_changed
from tenants.selectors import merchant_current

from .bonus import bonus_award
from .tiers import tier_recheck

EXPIRY_BATCH = 1000


def points_expire(*, at: datetime.datetime | None = None) -> int:
    """Expire what is left of every lot whose date has come. Returns members touched.
    A read-only merchant's points do not expire (the module's docstring says why).

    Set-based: one transaction per EXPIRY_BATCH members, which locks them and records
    all their expiries in one statement (`points.ledger.expiries_record`), instead of a
    transaction and a dozen statements per member."""
    at = at or timezone.now()
    if merchant_current().is_read_only:
        return 0
    today = local_date(at)
    due = sorted(
        PointsLot.objects.filter(remaining__gt=0, expires_on__lte=today)
        .values_list("membership_id", flat=True)
        .distinct()
    )
    count = 0
    for start in range(0, len(due), EXPIRY_BATCH):
        with transaction.atomic():
            locked = memberships_lock(due[start : start + EXPIRY_BATCH])
            count += len(expiries_record(membership_ids=locked, today=today, at=at))
    return count


def lots_extend(*, since: datetime.datetime, by: datetime.timedelta) -> int:
    """Move later, by `by` (in whole days, rounded up), the expiry of every lot with
    points left that had not expired before `since` (each is warned of again before its
    new date), and every tier review not yet held by then. Returns the lots moved. See
    `billing.services.expiries_resume`."""
    days = datetime.timedelta(days=by.days + (1 if by % datetime.timedelta(days=1) else 0))
    if not days:
        return 0
    first = local_date(since)
    Membership.objects.filter(tier_review_on__gte=first).update(
        tier_review_on=F("tier_review_on") + days
    )
    return PointsLot.objects.filter(remaining__gt=0, expires_on__gte=first).update(
        expires_on=F("expires_on") + days, expiry_warned=False
    )


REMINDER_HOUR = 10


def _reminder_time(at: datetime.datetime) -> datetime.datetime:
    """Reminders found by the nightly jobs go out in the morning, not at half past
    midnight: 10:00 in the merchant's time zone (or at once, if later than that)."""
    morning = local_day_start(at) + datetime.timedelta(hours=REMINDER_HOUR)
    return max(at, morning)


def points_warn_expiring(*, at: datetime.datetime | None = None, days: int = 7) -> int:
    """Tell members whose points expire within `days` days, once per lot (not while the
    merchant is read-only: the date will move). Returns the members found.

    Set-based, like `points_expire`: per EXPIRY_BATCH members one transaction locks
    them, sums their unwarned lots, marks them warned and queues every message in one
    INSERT."""
    at = at or timezone.now()
    if merchant_current().is_read_only:
        return 0
    today = local_date(at)
    horizon = today + datetime.timedelta(days=days)
    due_lots = PointsLot.objects.filter(
        remaining__gt=0, expiry_warned=False, expires_on__gt=today, expires_on__lte=horizon
    )
    due = sorted(due_lots.values_list("membership_id", flat=True).distinct())
    for start in range(0, len(due), EXPIRY_BATCH):
        with transaction.atomic():
            locked = memberships_lock(due[start : start + EXPIRY_BATCH])
            lots = due_lots.filter(membership_id__in=list(locked))
            summaries = list(
                lots.values("membership_id")
                .annotate(points=Sum("remaining"), first=Min("expires_on"))
                .order_by("membership_id")
            )
            lots.update(expiry_warned=True)
            outbox_add_many(
                event=Event.POINTS_EXPIRING,
                available_at=_reminder_time(at),
                messages=[
                    (
                        locked[row["membership_id"]],
                        {
                            "points": row["points"],
                            "expires_on": row["first"].isoformat(),
                            "balance": locked[row["membership_id"]].current_points,
                        },
                    )
                    for row in summaries
                ],
            )
    return len(due)


BIRTHDAY_CATCH_UP_DAYS = 7


def _celebrated_on(birthday: datetime.date, year: int) -> datetime.date:
    """The day a birthday is celebrated in `year` (29 February on the 28th otherwise)."""
    if birthday.month == 2 and birthday.day == 29 and not calendar.isleap(year):
        return datetime.date(year, 2, 28)
    return birthday.replace(year=year)


def _recent_birthdays(today: datetime.date) -> dict[int, int]:
    """Members whose birthday fell in the last week (so a missed run is caught up),
    with the year of that birthday; the bonus is paid once for each year."""
    days = [today - datetime.timedelta(days=back) for back in range(BIRTHDAY_CATCH_UP_DAYS)]
    match = Q()
    for day in days:
        match |= Q(customer__birthday__month=day.month, customer__birthday__day=day.day)
        if day.month == 2 and day.day == 28:
            match |= Q(customer__birthday__month=2, customer__birthday__day=29)
    due = {}
    rows = Membership.objects.filter(match, status=Membership.Status.ACTIVE).values_list(
        "pk", "customer__birthday", "last_birthday_bonus_year"
    )
    for pk, birthday, paid_year in rows:
        if birthday is None:
            continue
        for day in days:
            if _celebrated_on(birthday, day.year) == day and paid_year != day.year:
                due[pk] = day.year
    return due


def birthday_bonuses_pay(*, at: datetime.datetime | None = None) -> int:
    """Pay the birthday bonus once for each member's birthday, on the day or, when a
    run was missed, within the week after."""
    at = at or timezone.now()
    merchant = merchant_current()
    if not merchant.email_verified or merchant.is_read_only:
        return 0  # no bonus and no message from an unconfirmed or a read-only shop
    settings = points_settings()
    paid = 0
    for membership_id, year in _recent_birthdays(local_date(at)).items():
        with transaction.atomic():
            membership = memberships_lock([membership_id])[membership_id]
            if membership.last_birthday_bonus_year == year:
                continue
            membership.last_birthday_bonus_year = year
            membership.save(update_fields=["last_birthday_bonus_year"])
            if settings.birthday_bonus:
                bonus_award(
                    membership=membership,
                    points=settings.birthday_bonus,
                    bonus_kind=LedgerEntry.BonusKind.BIRTHDAY,
                    settings=settings,
                    at=at,
                )
                tier_recheck(membership=membership, settings=settings, at=at)
            outbox_add(
                event=Event.BIRTHDAY,
                membership=membership,
                points=settings.birthday_bonus,
                balance=membership.current_points,
            )
            paid += 1
    return paid


def tiers_requalify(*, at: datetime.datetime | None = None) -> dict[str, int]:
    """At each member's review date, set the tier their window earns (down as well as up);
    in the days before it, warn members who have not yet done enough to keep theirs.
    Not while the merchant is read-only: members could not visit to keep their tier."""
    at = at or timezone.now()
    today = local_date(at)
    settings = points_settings()
    result = {"reviewed": 0, "downgraded": 0, "warned": 0}
    if not settings.tier_window_months or merchant_current().is_read_only:
        return result
    tiers = tiers_ordered()
    due = Membership.objects.filter(tier_review_on__lte=today).values_list("pk", flat=True)
    for membership_id in list(due):
        with transaction.atomic():
            membership = memberships_lock([membership_id])[membership_id]
            if membership.tier_review_on is None or membership.tier_review_on > today:
                continue
            previous = membership.tier
            earned = tier_for_metric(tiers, tier_metric(membership, settings, at, for_review=True))
            membership.tier = earned
            membership.tier_review_on = today + relativedelta(months=settings.tier_window_months)
            membership.tier_warned_for = None
            membership.save(update_fields=["tier", "tier_review_on", "tier_warned_for"])
            result["reviewed"] += 1
            if earned != previous and tier_changed.has_listeners():
                send = partial(
                    tier_changed.send,
                    Membership,
                    schema=connection.schema_name,
                    membership_id=membership.pk,
                )
                transaction.on_commit(send)
            if previous and earned and earned.rank > previous.rank:
                outbox_add(
                    event=Event.TIER_UPGRADED,
                    membership=membership,
                    tier=earned.name,
                    tier_ar=earned.name_ar,
                    multiplier=str(earned.multiplier),
                    previous_tier=previous.name,
                )
            if previous and earned and earned.rank < previous.rank:
                result["downgraded"] += 1
                outbox_add(
                    event=Event.TIER_DOWNGRADED,
                    membership=membership,
                    available_at=_reminder_time(at),
                    tier=earned.name,
                    tier_ar=earned.name_ar,
                    previous_tier=previous.name,
                )
    horizon = today + datetime.timedelta(days=settings.tier_warning_days)
    # A member of the entry tier has no tier to lose: only the others are checked.
    at_risk = (
        Membership.objects.filter(
            tier_review_on__gt=today, tier_review_on__lte=horizon, tier__threshold__gt=0
        )
        .exclude(tier_warned_for=F("tier_review_on"))
        .values_list("pk", flat=True)
    )
    for membership_id in list(at_risk):
        with transaction.atomic():
            membership = memberships_lock([membership_id])[membership_id]
            tier, review_on = membership.tier, membership.tier_review_on
            if tier is None or review_on is None or membership.tier_warned_for == review_on:
                continue
            metric = tier_metric(membership, settings, at, for_review=True)
            if metric >= tier.threshold:
                continue
            membership.tier_warned_for = review_on
            membership.save(update_fields=["tier_warned_for"])
            outbox_add(
                event=Event.TIER_AT_RISK,
                membership=membership,
                available_at=_reminder_time(at),
                tier=tier.name,
                tier_ar=tier.name_ar,
                needed=plain(tier.threshold - metric),
                basis=settings.tier_basis,
                review_on=review_on.isoformat(),
            )
            result["warned"] += 1
    return result
