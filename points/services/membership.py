import datetime
import secrets
from collections.abc import Callable
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone

from billing.limits import plan_limit_require
from customers.models import Customer
from customers.services import merchant_link
from loyalty.errors import DomainError
from messaging.models import Event
from messaging.outbox import outbox_add
from points.models import LedgerEntry, Membership
from points.selectors import points_settings, tier_for_metric, tiers_ordered
from tenants.selectors import merchant_current
from tenants.services import merchant_email_verified_require, merchant_writable_require

from .bonus import bonus_award
from .tiers import tier_recheck

CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L


def _unique(field: str, make: Callable[[], str]) -> str:
    while True:
        value = make()
        if not Membership.objects.filter(**{field: value}).exists():
            return value


def _member_number() -> str:
    # Random, so a number says nothing about another member's; never starts with 0.
    return str(secrets.randbelow(90_000_000) + 10_000_000)


def _referral_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(6))


def membership_join(
    *,
    customer: Customer,
    referral_code: str = "",
    at: datetime.datetime | None = None,
) -> Membership:
    """Make the customer a member (or return the existing membership, unchanged).

    A new member gets the entry tier, the welcome bonus and a welcome message; a valid
    referral code links the referrer, whose bonus is paid on the first purchase. A new
    member past the plan's limit is refused (`plan_limit_reached`).
    """
    at = at or timezone.now()
    existing = Membership.objects.filter(customer=customer).first()
    if existing is not None:
        return existing
    # A join costs a welcome bonus and a welcome message: none from an unconfirmed shop.
    merchant_writable_require()
    merchant_email_verified_require()
    if not customer.is_active:
        raise DomainError("customer_inactive", "This account is closed.")
    referrer = None
    if referral_code:
        referrer = Membership.objects.filter(referral_code=referral_code.strip().upper()).first()
        if referrer is None:
            raise DomainError("invalid_referral_code", "This referral code is not valid.")
    for _attempt in range(3):
        try:
            return _create(customer, referrer, at)
        except IntegrityError:
            # The same customer joined at the same moment from another request, or a
            # random member number or referral code was taken meanwhile: try again.
            existing = Membership.objects.filter(customer=customer).first()
            if existing is not None:
                return existing
    raise DomainError("join_failed", "Joining failed; please try again.")


def _create(customer: Customer, referrer: Membership | None, at: datetime.datetime) -> Membership:
    settings = points_settings()
    tiers = tiers_ordered()
    with transaction.atomic():
        plan_limit_require("members")  # the merchant's row stays locked until commit
        membership = Membership.objects.create(
            customer=customer,
            member_number=_unique("member_number", _member_number),
            referral_code=_unique("referral_code", _referral_code),
            referred_by=referrer,
            tier=tier_for_metric(tiers, Decimal("0")),
            joined_at=at,
        )
        membership = Membership.objects.select_for_update().get(pk=membership.pk)
        merchant_link(customer=customer, merchant=merchant_current())
        if settings.welcome_bonus:
            bonus_award(
                membership=membership,
                points=settings.welcome_bonus,
                bonus_kind=LedgerEntry.BonusKind.WELCOME,
                settings=settings,
                at=at,
            )
            tier_recheck(membership=membership, settings=settings, at=at)
        outbox_add(
            event=Event.WELCOME,
            membership=membership,
            welcome_bonus=settings.welcome_bonus,
            member_number=membership.member_number,
            balance=membership.current_points,
        )
    return membership
