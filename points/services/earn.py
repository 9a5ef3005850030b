import datetime

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from loyalty.errors import DomainError, NotFound
from messaging.models import Event
from messaging.outbox import outbox_add
from points.calculation import Factor, amount_parse, earn_calculate, money
from points.idempotency import idempotency_claim, replayed
from points.ledger import entry_record, lot_expiry, memberships_lock
from points.models import LedgerEntry, Membership, PointsSettings
from points.selectors import campaign_best, earned_today, local_date, points_settings
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
    re-checks the tier, and writes the "points earned" message. Returns the earn entry.
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
    with transaction.atomic():
        claim = idempotency_claim(
            idempotency_key,
            "earn",
            {"membership": membership_id, "amount": str(value), "category": category_id},
            caller=f"staff:{actor.pk}" if actor else "system",
        )
        if claim.replay is not None:
            return replayed(LedgerEntry.objects.get(pk=claim.replay["entry"]))
        peek = Membership.objects.filter(pk=membership_id).values("referred_by_id").first()
        if peek is None:
            raise NotFound(
                "member_not_found", "No such member.", fields={"member_id": ["No such member."]}
            )
        locked = memberships_lock([membership_id, *filter(None, [peek["referred_by_id"]])])
        membership = locked[membership_id]
        member_active(membership)
        settings = points_settings_usable(points_settings())
        if value < settings.min_purchase:
            raise DomainError(
                "below_minimum_purchase",
                f"Purchases under {money(settings.min_purchase, currency)} {currency} "
                "earn no points.",
            )
        tier = membership.tier
        tier_factor = Factor(tier.name, tier.name_ar, tier.multiplier) if tier else None
        applied = tier_usable(tier)
        campaign = campaign_best(at=at, tier=tier, category_id=category_id)
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
            earned_today=earned_today(membership, at) if settings.daily_earn_cap else 0,
        )
        entry_points_check(calc.points)
        first_purchase = membership.total_visits == 0
        membership.carry_remainder = calc.carry_out
        membership.last_visit_at = at
        entry = entry_record(
            membership=membership,
            kind=LedgerEntry.Kind.EARN,
            points=calc.points,
            at=at,
            expires_on=lot_expiry(settings, local_date(at)),
            amount=value,
            currency=currency,
            explanation=calc.as_data(),
            description=calc.sentence(),
            description_ar=calc.sentence_ar(),
            actor=actor,
            also_save=["carry_remainder", "last_visit_at"],
            idempotency_key=idempotency_key,
        )
        bonuses = _referral_pay(membership, locked, settings, at) if first_purchase else 0
        tier_recheck(membership=membership, settings=settings, at=at)
        if calc.points or bonuses:  # a purchase capped to 0 tells the member nothing
            outbox_add(
                event=Event.POINTS_EARNED,
                membership=membership,
                points=calc.points,
                bonus_points=bonuses,
                balance=membership.current_points,
                explanation=calc.sentence(),
                explanation_ar=calc.sentence_ar(),
                entry_id=entry.pk,
            )
        claim.finish({"entry": entry.pk})
    return entry


def _referral_pay(
    membership: Membership,
    locked: dict[int, Membership],
    settings: PointsSettings,
    at: datetime.datetime,
) -> int:
    """On a referred member's first purchase, pay both sides once."""
    referrer = locked.get(membership.referred_by_id or 0)
    if referrer is None or membership.referral_paid:
        return 0
    membership.referral_paid = True
    membership.save(update_fields=["referral_paid"])
    paid = 0
    if settings.referral_bonus_referred:
        bonus_award(
            membership=membership,
            points=settings.referral_bonus_referred,
            bonus_kind=LedgerEntry.BonusKind.REFERRAL,
            settings=settings,
            at=at,
            note=f"referred by #{referrer.member_number}",
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
        )
        tier_recheck(membership=referrer, settings=settings, at=at)
    return paid
