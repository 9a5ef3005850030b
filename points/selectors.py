"""Reads about points that services, the API and the dashboards share."""

import datetime
import re
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from typing import Any

from dateutil.relativedelta import relativedelta
from django.db.models import Count, F, OuterRef, Q, QuerySet, Subquery, Sum, Window
from django.db.models.functions import Coalesce, Lead
from django.utils.translation import gettext as _

from customers.models import Customer
from customers.services import phone_normalize
from loyalty import rows
from loyalty.db import connection
from loyalty.errors import DomainError
from notifications.models import InboxItem
from tenants.roles import can
from tenants.selectors import merchant_timezone

from .calculation import digits_latin
from .models import Campaign, LedgerEntry, Membership, PointsLot, PointsSettings, Tier, TierBasis
from .validation import campaign_usable, weekdays_parse

Kind = LedgerEntry.Kind


def points_settings() -> PointsSettings:
    settings, _ = PointsSettings.objects.get_or_create(pk=1)
    return settings


def local_date(at: datetime.datetime) -> datetime.date:
    return at.astimezone(merchant_timezone()).date()


def local_day_start(at: datetime.datetime) -> datetime.datetime:
    tz = merchant_timezone()
    day = at.astimezone(tz).date()
    return datetime.datetime.combine(day, datetime.time.min, tzinfo=tz)


def tiers_ordered() -> list[Tier]:
    """The ladder from the entry tier up (ranks follow thresholds)."""
    return list(Tier.objects.order_by("rank"))


def tier_ladder() -> QuerySet[Tier]:
    """The tiers as a member climbs them (entry tier first), each with how many members
    hold it and the next tier's name and threshold (none above the top tier)."""
    up = [F("threshold").asc(), F("rank").asc()]
    members = (
        Membership.objects.filter(tier=OuterRef("pk"))
        .order_by()
        .values("tier")
        .annotate(count=Count("pk"))
        .values("count")
    )
    return Tier.objects.annotate(
        members=Coalesce(Subquery(members), 0),
        next_name=Window(Lead("name"), order_by=up),
        next_name_ar=Window(Lead("name_ar"), order_by=up),
        next_threshold=Window(Lead("threshold"), order_by=up),
    ).order_by("threshold", "rank")


def tier_metric(
    membership: Membership,
    settings: PointsSettings,
    at: datetime.datetime,
    *,
    for_review: bool = False,
) -> Decimal:
    """The member's progress on the tier basis: all time, or within the window.

    The window is the N months before `at` (to upgrade), or with `for_review` the N
    months that end on the member's review date (to keep the tier at that date).
    """
    months = settings.tier_window_months
    basis = TierBasis(settings.tier_basis)
    if not months:
        if basis == TierBasis.SPEND:
            return membership.total_spend
        return Decimal(
            membership.total_earned if basis == TierBasis.POINTS else membership.total_visits
        )
    if for_review and membership.tier_review_on is not None:
        tz = merchant_timezone()
        end = datetime.datetime.combine(membership.tier_review_on, datetime.time.min, tzinfo=tz)
        since, until = end - relativedelta(months=months), min(end, at)
    else:
        since, until = local_day_start(at) - relativedelta(months=months), at
    entries = LedgerEntry.objects.filter(
        membership=membership, created_at__gte=since, created_at__lte=until
    )
    sums = entries.aggregate(
        points=Coalesce(Sum("points", filter=Q(kind__in=[Kind.EARN, Kind.BONUS, Kind.VOID])), 0),
        visits=Count("id", filter=Q(kind=Kind.EARN)) - Count("id", filter=Q(kind=Kind.VOID)),
        spend=Coalesce(Sum("amount", filter=Q(kind=Kind.EARN)), Decimal("0"))
        - Coalesce(Sum("amount", filter=Q(kind=Kind.VOID)), Decimal("0")),
    )
    return Decimal(sums[basis.value])


def tier_for_metric(tiers: list[Tier], metric: Decimal) -> Tier | None:
    """The highest tier whose threshold the member reached: the entry tier (threshold 0)
    below every other. A member is never placed in a tier they did not reach."""
    qualified = [t for t in tiers if t.threshold <= metric]
    return qualified[-1] if qualified else None


@dataclass(frozen=True)
class TierProgress:
    tier: Tier | None
    next_tier: Tier | None
    metric: Decimal
    needed_for_next: Decimal | None
    needed_to_keep: Decimal | None
    review_on: datetime.date | None
    basis: str = TierBasis.POINTS


def tier_progress(
    membership: Membership,
    *,
    at: datetime.datetime,
    settings: PointsSettings | None = None,
    tiers: list[Tier] | None = None,
) -> TierProgress:
    """Where the member stands: next tier and what it takes; what it takes to keep this one.
    `settings` and `tiers` are read when not given."""
    settings = settings or points_settings()
    tiers = tiers_ordered() if tiers is None else tiers
    metric = tier_metric(membership, settings, at)
    kept = tier_metric(membership, settings, at, for_review=True)
    current = membership.tier
    higher = [t for t in tiers if current is None or t.rank > current.rank]
    next_tier = higher[0] if higher else None
    keep = None
    if settings.tier_window_months and current is not None and current.threshold > kept:
        keep = current.threshold - kept
    return TierProgress(
        tier=current,
        next_tier=next_tier,
        metric=metric,
        needed_for_next=max(next_tier.threshold - metric, Decimal("0")) if next_tier else None,
        needed_to_keep=keep,
        review_on=membership.tier_review_on,
        basis=settings.tier_basis,
    )


def campaign_pick(
    candidates: Iterable[Campaign],
    *,
    at: datetime.datetime,
    tier: Tier | None,
    category_id: int | None,
) -> Campaign | None:
    """The first of `candidates` (active campaigns of today, best first, each with
    `tier_ids` and `category_ids`) that applies to this purchase and can be used."""
    local = at.astimezone(merchant_timezone())
    for campaign in candidates:
        if campaign_usable(campaign) and _campaign_applies(campaign, local, tier, category_id):
            return campaign
    return None


def _campaign_applies(
    campaign: Campaign, local: datetime.datetime, tier: Tier | None, category_id: int | None
) -> bool:
    tiers = {pk for pk in campaign.tier_ids if pk}  # type: ignore[attr-defined]
    if tiers and (tier is None or tier.pk not in tiers):
        return False
    categories = {pk for pk in campaign.category_ids if pk}  # type: ignore[attr-defined]
    if categories and category_id not in categories:
        return False
    if campaign.kind == Campaign.Kind.DATES:
        return True
    if local.isoweekday() not in weekdays_parse(campaign.weekdays):
        return False
    if campaign.start_time is None or campaign.end_time is None:
        return False
    return campaign.start_time <= local.time() < campaign.end_time


def earned_today(membership: Membership, at: datetime.datetime) -> int:
    """Points from purchases made on the merchant's day of `at`, not counting voided ones."""
    start = local_day_start(at)
    return LedgerEntry.objects.filter(
        membership=membership,
        kind=Kind.EARN,
        created_at__gte=start,
        created_at__lt=start + datetime.timedelta(days=1),
        reversed_by__isnull=True,
    ).aggregate(total=Coalesce(Sum("points"), 0))["total"]


def points_expiring(membership: Membership, *, within_days: int, today: datetime.date) -> int:
    return PointsLot.objects.filter(
        membership=membership,
        remaining__gt=0,
        expires_on__lte=today + datetime.timedelta(days=within_days),
    ).aggregate(total=Coalesce(Sum("remaining"), 0))["total"]


def membership_by_id(membership_id: int) -> Membership | None:
    return _membership_where("m.id", membership_id)


def membership_for_customer(customer_id: int) -> Membership | None:
    return _membership_where("m.customer_id", customer_id)


def membership_by_number(member_number: str) -> Membership | None:
    """The member with this number, typed with spaces or dashes, in any digits."""
    number = re.sub(r"[\s-]", "", digits_latin(str(member_number)))
    return _membership_where("m.member_number", number)


def membership_by_phone(phone: str) -> Membership | None:
    return _membership_where("c.phone", phone)


def _membership_where(column: str, value: object) -> Membership | None:
    """The first membership whose `column` is `value`, with its customer and tier. Every
    customer request on a merchant's host and every search at the counter starts here,
    hence SQL built once rather than a queryset compiled on each call."""
    with connection.cursor() as cursor:
        cursor.execute(_membership_sql(column), [value])
        row = cursor.fetchone()
    if row is None:
        return None
    membership, end = _member_of_row(row)
    tier = row[end:]
    membership.tier = rows.from_row(Tier, tier) if tier[0] is not None else None
    return membership


def _member_of_row(row: Any) -> tuple[Membership, int]:
    """The membership and its customer at the start of `row` (the columns of each, in
    that order), and where the row goes on."""
    member_end = rows.width(Membership)
    customer_end = member_end + rows.width(Customer)
    membership = rows.from_row(Membership, row[:member_end])
    membership.customer = rows.from_row(Customer, row[member_end:customer_end])
    return membership, customer_end


@cache
def _membership_sql(column: str) -> str:
    return f"""
        SELECT {rows.columns(Membership, "m")}, {rows.columns(Customer, "c")},
               {rows.columns(Tier, "t")}
        FROM {Membership._meta.db_table} m
        JOIN {Customer._meta.db_table} c ON c.id = m.customer_id
        LEFT JOIN {Tier._meta.db_table} t ON t.id = m.tier_id
        WHERE {column} = %s
        ORDER BY m.id
        LIMIT 1
    """


@dataclass(frozen=True)
class MemberSearch:
    """What a cashier typed at the counter, read: the member found, and the phone number
    (E.164) when it was one, so a customer who is not a member here can be enrolled."""

    membership: Membership | None
    phone: str | None


def member_search(text: str) -> MemberSearch:
    """A member number, else a phone number in any form ("0791234567", "+962 79...",
    "00962-79...", Arabic-Indic digits), read with the platform's country (Jordan).
    Only members of this merchant are found: a customer of another merchant is not."""
    found = membership_by_number(text)
    if found is not None:
        return MemberSearch(found, None)
    try:
        phone = phone_normalize(text)
    except DomainError:
        return MemberSearch(None, None)
    return MemberSearch(membership_by_phone(phone), phone)


def member_name(membership: Membership) -> str:
    """The member's name, or "Member #N" when they gave none."""
    return membership.customer.name or _("Member #%(number)s") % {
        "number": membership.member_number
    }


# Staff who may not contact members (cashiers) see this many digits of a phone number,
# in the dashboard and in the API alike.
PHONE_DIGITS_SHOWN = 4


def phone_whole_for(viewer: object) -> bool:
    """Whether this staff member may see members' whole phone numbers (members.contact)."""
    return can(viewer, "members.contact")


def phone_last_digits(phone: str) -> str:
    return phone[-PHONE_DIGITS_SHOWN:]


def phone_shown(phone: str, *, whole: bool) -> str:
    """A member's phone number as a staff member sees it (`whole` from phone_whole_for)."""
    return phone if whole else f"•••• {phone_last_digits(phone)}"


@dataclass(frozen=True)
class MembershipSummary:
    membership: Membership
    progress: TierProgress
    expiring_points: int
    expiring_first_on: datetime.date | None
    unread_messages: int  # the member's inbox items not read yet


EXPIRING_SOON_DAYS = 30


def membership_summary(membership: Membership, *, at: datetime.datetime) -> MembershipSummary:
    """Balance, tier and progress, the points that expire in the next 30 days, and the
    unread messages: one statement (two more when tiers count over a window)."""
    read = _summary_read("id", membership.pk, at)
    if read is None:  # memberships are never deleted
        raise Membership.DoesNotExist(membership.pk)
    return read.summary(membership, at)


def membership_summary_for_customer(
    customer_id: int, *, at: datetime.datetime
) -> MembershipSummary | None:
    """`membership_summary` of the customer's membership here (`membership_for_customer`,
    with its customer and tier), read with it in the same statement; None if not a member."""
    read = _summary_read("customer_id", customer_id, at)
    return None if read is None else read.summary(read.membership, at)


@dataclass(frozen=True)
class _SummaryRead:
    membership: Membership  # with its customer and tier
    settings: PointsSettings | None  # None before the programme's row exists
    tiers: list[Tier]
    expiring_points: int
    expiring_first_on: datetime.date | None
    unread_messages: int

    def summary(self, membership: Membership, at: datetime.datetime) -> MembershipSummary:
        if not Membership.tier.is_cached(membership):  # type: ignore[attr-defined]
            membership.tier = _tier_of(membership, self.tiers)
        progress = tier_progress(membership, at=at, settings=self.settings, tiers=self.tiers)
        return MembershipSummary(
            membership=membership,
            progress=progress,
            expiring_points=self.expiring_points,
            expiring_first_on=self.expiring_first_on,
            unread_messages=self.unread_messages,
        )


def _tier_of(membership: Membership, tiers: list[Tier]) -> Tier | None:
    return next((t for t in tiers if t.pk == membership.tier_id), None)


@cache
def _summary_sql(key: str) -> str:
    lots, inbox = PointsLot._meta.db_table, InboxItem._meta.db_table
    return f"""
        SELECT {rows.columns(Membership, "m")}, {rows.columns(Customer, "c")},
               {rows.columns(PointsSettings, "s")},
               (SELECT json_agg(json_build_array({rows.json_columns(Tier, "t")}) ORDER BY t.rank)
                FROM {Tier._meta.db_table} t),
               soon.points, soon.first,
               (SELECT count(*) FROM {inbox} i WHERE i.membership_id = m.id
                AND i.read_at IS NULL)  -- notifications.selectors.unread_count
        FROM {Membership._meta.db_table} m
        JOIN {Customer._meta.db_table} c ON c.id = m.customer_id
        LEFT JOIN {PointsSettings._meta.db_table} s ON s.id = 1
        CROSS JOIN LATERAL (
            SELECT COALESCE(SUM(l.remaining), 0) AS points, MIN(l.expires_on) AS first
            FROM {lots} l
            WHERE l.membership_id = m.id AND l.remaining > 0 AND l.expires_on <= %(soon)s
        ) soon
        WHERE m.{key} = %(key)s
        ORDER BY m.id
        LIMIT 1
    """


def _summary_read(key: str, value: int, at: datetime.datetime) -> _SummaryRead | None:
    """The membership whose `key` is `value`, with what its summary shows (the tiers all
    read at once: the ladder is short)."""
    soon = local_date(at) + datetime.timedelta(days=EXPIRING_SOON_DAYS)
    with connection.cursor() as cursor:
        cursor.execute(_summary_sql(key), {"key": value, "soon": soon})
        row = cursor.fetchone()
    if row is None:
        return None
    membership, customer_end = _member_of_row(row)
    settings_end = customer_end + rows.width(PointsSettings)
    tiers_json, expiring, first, unread = row[settings_end:]
    tiers = [rows.from_json(Tier, values) for values in tiers_json or []]
    membership.tier = _tier_of(membership, tiers)
    settings = row[customer_end:settings_end]
    return _SummaryRead(
        membership=membership,
        settings=rows.from_row(PointsSettings, settings) if settings[0] is not None else None,
        tiers=tiers,
        expiring_points=expiring,
        expiring_first_on=first,
        unread_messages=unread,
    )


def ledger_for_membership(membership: Membership) -> QuerySet[LedgerEntry]:
    return LedgerEntry.objects.filter(membership=membership).order_by("-id")


class LedgerPages:
    """A member's ledger entries, newest first, as a paginator reads them: `count()` and
    a slice, each one statement built once. The history is the app's second screen
    and the counter's member page: compiling the two querysets of
    `ledger_for_membership` was most of what a page cost."""

    def __init__(self, membership: Membership) -> None:
        self.membership_id = membership.pk

    def count(self) -> int:
        with connection.cursor() as cursor:
            cursor.execute(_LEDGER_COUNT_SQL, [self.membership_id])
            return cursor.fetchone()[0]

    def __getitem__(self, index: slice) -> list[LedgerEntry]:
        start, stop = index.start or 0, index.stop
        if index.step is not None or stop is None or start < 0 or stop < start:
            raise ValueError("LedgerPages takes a slice [start:stop] of a page.")
        with connection.cursor() as cursor:
            cursor.execute(_ledger_page_sql(), [self.membership_id, stop - start, start])
            return [rows.from_row(LedgerEntry, row) for row in cursor.fetchall()]


_LEDGER_COUNT_SQL = f"SELECT count(*) FROM {LedgerEntry._meta.db_table} WHERE membership_id = %s"


@cache
def _ledger_page_sql() -> str:
    return f"""
        SELECT {rows.columns(LedgerEntry, "e")} FROM {LedgerEntry._meta.db_table} e
        WHERE e.membership_id = %s ORDER BY e.id DESC LIMIT %s OFFSET %s
    """


def membership_export(*, customer_id: int) -> dict[str, Any] | None:
    """A member's data in this merchant, for the customer's data export."""
    membership = membership_for_customer(customer_id)
    if membership is None:
        return None
    return {
        "member_number": membership.member_number,
        "joined_at": membership.joined_at.isoformat(),
        "tier": membership.tier.name if membership.tier else None,
        "current_points": membership.current_points,
        "total_earned": membership.total_earned,
        "total_redeemed": membership.total_redeemed,
        "total_visits": membership.total_visits,
        "total_spend": str(membership.total_spend),
        "ledger": [
            {
                "kind": e.kind,
                "points": e.points,
                "balance_after": e.balance_after,
                "amount": str(e.amount) if e.amount is not None else None,
                "description": e.description,
                "created_at": e.created_at.isoformat(),
            }
            for e in ledger_for_membership(membership)
        ],
        "redemptions": [
            {
                "reward": r.reward.name,
                "points": r.points,
                "status": r.status,
                "created_at": r.created_at.isoformat(),
            }
            for r in membership.redemptions.select_related("reward").order_by("-id")
        ],
    }
