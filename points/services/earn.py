import datetime
from dataclasses import dataclass
from functools import cache

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from customers.models import Customer
from loyalty.db import connection
from loyalty.errors import DomainError, NotFound
from loyalty.rows import columns, from_json, from_row, json_columns, width
from messaging.models import Event
from messaging.outbox import outbox_add
from points.calculation import Factor, amount_parse, earn_calculate, money
from points.idempotency import CLAIM_SQL, ClaimAsk, claim_ask, claim_settle, replayed
from points.ledger import LedgerWrites, entry_record, lot_expiry
from points.models import (
    Campaign,
    IdempotencyRecord,
    LedgerEntry,
    Membership,
    PointsSettings,
    Tier,
)
from points.selectors import (
    campaign_pick,
    earned_today,
    local_date,
    local_day_start,
    points_settings,
    tiers_ordered,
)
from points.validation import entry_points_check, points_settings_usable, tier_usable
from rewards.selectors import category_exists
from tenants.selectors import merchant_current
from tenants.services import merchant_email_verified_require, merchant_writable_require

from .bonus import bonus_award
from .tiers import tier_recheck


def member_active(membership: Membership) -> None:
    if membership.status != Membership.Status.ACTIVE:
        raise DomainError("member_inactive", "This membership is not active.")


def points_earn(
    *,
    membership_id: int,
    amount: object,
    actor: User | None = None,
    idempotency_key: str | None = None,
    category_id: int | None = None,
    at: datetime.datetime | None = None,
) -> LedgerEntry:
    """Award points for a purchase: amount x rate x tier x best campaign (+ carried fraction).

    Counts the visit and the spend, pays a pending referral on the first purchase,
    re-checks the tier, and writes the "points earned" message. Returns the earn entry;
    its `membership` is the member as the earn left them, with tier and customer.

    Two statements in all: one that claims the idempotency key, locks the member and
    reads everything the rules need (`_earn_lock`), and one that writes the entry, its
    lot, the member's counters, the message and the claim's result (`LedgerWrites`).
    The daily cap adds a sum of the day's earns when the member changed meanwhile.
    """
    merchant = merchant_current()
    merchant_writable_require(merchant)
    merchant_email_verified_require(merchant)
    currency = merchant.currency
    value = amount_parse(amount, currency)
    if category_id is not None and not category_exists(category_id):
        raise DomainError(
            "unknown_category",
            "No reward category with this id.",
            fields={"category_id": ["No such category."]},
        )
    at = at or timezone.now()
    ask = claim_ask(
        idempotency_key,
        "earn",
        {"membership": membership_id, "amount": str(value), "category": category_id},
        caller=f"staff:{actor.pk}" if actor else "system",
    )
    with transaction.atomic():
        read = _earn_lock(membership_id, at, ask)
        claim = claim_settle(ask, read.claim_id)
        if claim.replay is not None:
            earn = LedgerEntry.objects.select_related("membership__tier", "membership__customer")
            return replayed(earn.get(pk=claim.replay["entry"]))
        membership = read.locked[membership_id]
        member_active(membership)
        settings = points_settings_usable(read.settings or points_settings())
        if value < settings.min_purchase:
            raise DomainError(
                "below_minimum_purchase",
                f"Purchases under {money(settings.min_purchase, currency)} {currency} "
                "earn no points.",
            )
        tier = membership.tier
        tier_factor = Factor(tier.name, tier.name_ar, tier.multiplier) if tier else None
        applied = tier_usable(tier)
        campaign = campaign_pick(read.campaigns, at=at, tier=tier, category_id=category_id)
        calc = earn_calculate(
            amount=value,
            currency=currency,
            rate=settings.points_per_unit,
            rounding=settings.rounding,
            carry_over=settings.carry_over,
            carry_in=membership.carry_remainder,
            tier=tier_factor if applied else None,
            tier_not_applied=None if applied else tier_factor,
            campaign=Factor(campaign.name, campaign.name_ar, campaign.multiplier)
            if campaign
            else None,
            max_per_purchase=settings.max_points_per_purchase,
            daily_cap=settings.daily_earn_cap,
            earned_today=_earned_today(read, membership, at) if settings.daily_earn_cap else 0,
        )
        entry_points_check(calc.points)
        sentence, sentence_ar = calc.sentence(), calc.sentence_ar()
        first_purchase = membership.total_visits == 0
        membership.carry_remainder = calc.carry_out
        membership.last_visit_at = at
        writes = LedgerWrites()
        entry = entry_record(
            membership=membership,
            kind=LedgerEntry.Kind.EARN,
            points=calc.points,
            at=at,
            expires_on=lot_expiry(settings, local_date(at)),
            amount=value,
            currency=currency,
            explanation=calc.as_data(),
            description=sentence,
            description_ar=sentence_ar,
            actor=actor,
            also_save=["carry_remainder", "last_visit_at"],
            idempotency_key=idempotency_key,
            pk=read.entry_id,
            writes=writes,
        )
        bonuses = _referral_pay(membership, read, settings, at, writes) if first_purchase else 0
        tier_recheck(
            membership=membership, settings=settings, at=at, tiers=read.tiers, writes=writes
        )
        if calc.points or bonuses:  # a purchase capped to 0 tells the member nothing
            outbox_add(
                event=Event.POINTS_EARNED,
                membership=membership,
                points=calc.points,
                bonus_points=bonuses,
                balance=membership.current_points,
                explanation=sentence,
                explanation_ar=sentence_ar,
                entry_id=entry.pk,
                writes=writes,
            )
        claim.finish({"entry": entry.pk}, writes=writes)
        writes.flush()
    return entry


@dataclass
class _EarnRead:
    locked: dict[int, Membership]  # the member, and the referrer to pay
    entry_id: int  # the earn's id, taken from the ledger's sequence
    settings: PointsSettings | None  # None before the programme's row exists
    tiers: list[Tier]  # the ladder, by rank
    campaigns: list[Campaign]  # active campaigns of the day, best first
    earned_today: int | None  # None when the statement's snapshot may have missed an earn
    claim_id: int | None  # the idempotency record made, None without a key or if taken


def _earned_today(read: _EarnRead, membership: Membership, at: datetime.datetime) -> int:
    return earned_today(membership, at) if read.earned_today is None else read.earned_today


@cache
def _lock_sql(claim: bool) -> str:
    tiers_m2m = Campaign.tiers.field
    categories_m2m = Campaign.reward_categories.field
    return f"""
        {f"WITH claim AS ({CLAIM_SQL})" if claim else ""}
        SELECT {columns(Membership, "m")}, {columns(Customer, "c")},
               CASE WHEN m.id = %(member)s THEN nextval(pg_get_serial_sequence(
                   '{LedgerEntry._meta.db_table}', 'id')) END,
               CASE WHEN m.id = %(member)s AND m.xmin = (
                   SELECT x.xmin FROM {Membership._meta.db_table} x WHERE x.id = m.id
               ) THEN (
                   SELECT COALESCE(SUM(e.points), 0) FROM {LedgerEntry._meta.db_table} e
                   WHERE e.membership_id = m.id AND e.kind = '{LedgerEntry.Kind.EARN}'
                     AND e.created_at >= %(day)s AND e.created_at < %(next_day)s
                     AND NOT EXISTS (SELECT FROM {LedgerEntry._meta.db_table} v
                                     WHERE v.reverses_id = e.id)
               ) END,
               {columns(PointsSettings, "s")},
               (SELECT json_agg(json_build_array({json_columns(Tier, "t")}) ORDER BY t.rank)
                FROM {Tier._meta.db_table} t),
               (SELECT json_agg(json_build_array(
                    {json_columns(Campaign, "k")},
                    ARRAY(SELECT {tiers_m2m.m2m_reverse_name()}
                          FROM {tiers_m2m.m2m_db_table()}
                          WHERE {tiers_m2m.m2m_column_name()} = k.id),
                    ARRAY(SELECT {categories_m2m.m2m_reverse_name()}
                          FROM {categories_m2m.m2m_db_table()}
                          WHERE {categories_m2m.m2m_column_name()} = k.id)
                ) ORDER BY k.multiplier DESC, k.id)
                FROM {Campaign._meta.db_table} k
                WHERE k.is_active AND (k.kind = '{Campaign.Kind.WEEKLY}' OR (
                    k.kind = '{Campaign.Kind.DATES}'
                    AND k.starts_on <= %(today)s AND k.ends_on >= %(today)s)))
               {", (SELECT id FROM claim)" if claim else ""}
        FROM {Membership._meta.db_table} m
        JOIN {Customer._meta.db_table} c ON c.id = m.customer_id
        LEFT JOIN {PointsSettings._meta.db_table} s ON s.id = 1
        WHERE (m.id = %(member)s OR m.id = (
            SELECT referred_by_id FROM {Membership._meta.db_table}
            WHERE id = %(member)s AND total_visits = 0 AND NOT referral_paid))
          {"AND (SELECT count(*) FROM claim) >= 0" if claim else ""}
        ORDER BY m.id
        FOR UPDATE OF m
    """


def _earn_lock(membership_id: int, at: datetime.datetime, ask: ClaimAsk | None) -> _EarnRead:
    """Lock the member, and their referrer when this may be a first purchase that pays
    a referral (ascending primary key, as `memberships_lock`); read in the same statement
    the programme's settings, tiers, the day's campaigns and the member's points earned
    that day (`earned_today`).

    What a statement reads besides the rows it locks comes from the snapshot it started
    with, before it waited for the lock. The day's earns must be exact (the daily cap):
    they are taken only when the locked row is the version that snapshot saw (same
    `xmin`: no transaction changed the member meanwhile, and every earn or void does);
    otherwise `earned_today` is None and the caller sums them again, after the lock.

    The referrer is chosen from the member's row as the statement's snapshot saw it; a
    referral is paid at most once and never unpaid, and a member's referrer never
    changes, so a referrer the locked row needs is always among those locked.

    With `ask`, the statement first claims the idempotency key (`CLAIM_SQL`, as a CTE
    that the WHERE clause reads once before any row is read, so the claim, and its wait
    for a request holding the same key, comes before the member's lock, as when it was
    a statement of its own: two requests never wait on each other in a cycle).
    """
    with connection.cursor() as cursor:
        day = local_day_start(at)
        cursor.execute(
            _lock_sql(ask is not None),
            {
                "member": membership_id,
                "today": day.date(),
                "day": day,
                "next_day": day + datetime.timedelta(days=1),
                **(ask.params() if ask is not None else {}),
            },
        )
        rows = cursor.fetchall()
    if not any(row[0] == membership_id for row in rows):
        if ask is not None:
            # The key may be another request's: its reuse for this one is the answer.
            taken = IdempotencyRecord.objects.filter(key=ask.scoped)
            if taken.exclude(operation=ask.operation, request_hash=ask.request_hash).exists():
                claim_settle(ask, None)  # raises idempotency_key_reused
        raise NotFound(
            "member_not_found", "No such member.", fields={"member_id": ["No such member."]}
        )
    member_width = width(Membership)
    tier_column = [f.attname for f in Membership._meta.concrete_fields].index("tier_id")
    customer_width = width(Customer)
    settings_width = width(PointsSettings)
    first = rows[0]
    offset = member_width + customer_width
    settings_row = first[offset + 2 : offset + 2 + settings_width]
    tiers_json, campaigns_json = first[offset + 2 + settings_width : offset + 4 + settings_width]
    claim_id = first[-1] if ask is not None else None
    tiers = [from_json(Tier, values) for values in tiers_json or []]
    by_pk = {tier.pk: tier for tier in tiers}
    if any(row[tier_column] not in by_pk for row in rows if row[tier_column] is not None):
        tiers = tiers_ordered()  # a tier newer than the snapshot, given while we waited
        by_pk = {tier.pk: tier for tier in tiers}
    campaigns = []
    for values in campaigns_json or []:
        campaign = from_json(Campaign, values[:-2])
        campaign.tier_ids, campaign.category_ids = values[-2:]  # type: ignore[attr-defined]
        campaigns.append(campaign)
    locked = {}
    entry_id = 0
    earned: int | None = None
    for row in rows:
        membership = from_row(Membership, row[:member_width])
        membership.customer = from_row(Customer, row[member_width:offset])
        # The tier of the locked row's version (a join would give the one read first).
        membership.tier = by_pk[membership.tier_id] if membership.tier_id else None
        locked[membership.pk] = membership
        if membership.pk == membership_id:
            entry_id, earned = row[offset], row[offset + 1]
    settings = from_row(PointsSettings, settings_row) if settings_row[0] is not None else None
    return _EarnRead(locked, entry_id, settings, tiers, campaigns, earned, claim_id)


def _referral_pay(
    membership: Membership,
    read: _EarnRead,
    settings: PointsSettings,
    at: datetime.datetime,
    writes: LedgerWrites,
) -> int:
    """On a referred member's first purchase, pay both sides once."""
    referrer = read.locked.get(membership.referred_by_id or 0)
    if referrer is None or membership.referral_paid:
        return 0
    membership.referral_paid = True
    writes.save(membership, ["referral_paid"])
    paid = 0
    if settings.referral_bonus_referred:
        bonus_award(
            membership=membership,
            points=settings.referral_bonus_referred,
            bonus_kind=LedgerEntry.BonusKind.REFERRAL,
            settings=settings,
            at=at,
            note=f"referred by #{referrer.member_number}",
            writes=writes,
        )
        paid = settings.referral_bonus_referred
    if settings.referral_bonus_referrer and referrer.status == Membership.Status.ACTIVE:
        bonus_award(
            membership=referrer,
            points=settings.referral_bonus_referrer,
            bonus_kind=LedgerEntry.BonusKind.REFERRAL,
            settings=settings,
            at=at,
            note=f"referred #{membership.member_number}",
            writes=writes,
        )
        tier_recheck(membership=referrer, settings=settings, at=at, tiers=read.tiers, writes=writes)
    return paid
