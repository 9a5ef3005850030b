import datetime

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from loyalty.errors import DomainError, NotAllowed, NotFound
from points.idempotency import idempotency_claim, replayed
from points.ledger import entry_record, lot_expiry, memberships_lock
from points.models import LedgerEntry, LotConsumption, PointsLot
from points.selectors import local_date, points_settings
from tenants.roles import Role, has_role
from tenants.services import merchant_email_verified_require, merchant_writable_require

MAX_ADJUSTMENT = 1_000_000


def points_void(
    *,
    entry_id: int,
    actor: User,
    reason: str = "",
    idempotency_key: str | None = None,
    at: datetime.datetime | None = None,
) -> LedgerEntry:
    """Take back a mistaken earn: cashiers within the void window, managers any time.

    The points come out of the earn's own lot first, then the oldest lots; a void that
    would take the balance below zero is refused. Points of the earn that have already
    expired are not taken twice. The visit and the spend are removed too. Returns the
    void entry.
    """
    merchant_writable_require()
    at = at or timezone.now()
    with transaction.atomic():
        claim = idempotency_claim(
            idempotency_key, "void", {"entry": entry_id}, caller=f"staff:{actor.pk}"
        )
        if claim.replay is not None:
            return replayed(LedgerEntry.objects.get(pk=claim.replay["entry"]))
        earn = LedgerEntry.objects.filter(pk=entry_id).first()
        if earn is None:
            raise NotFound("entry_not_found", "No such ledger entry.")
        membership = memberships_lock([earn.membership_id])[earn.membership_id]
        if earn.kind != LedgerEntry.Kind.EARN:
            raise DomainError("not_an_earn", "Only a purchase's points can be voided.")
        if LedgerEntry.objects.filter(reverses=earn).exists():
            raise DomainError("already_voided", "These points were already voided.")
        window = datetime.timedelta(minutes=points_settings().void_window_minutes)
        if not has_role(actor, Role.MANAGER):
            if not has_role(actor, Role.CASHIER):
                raise NotAllowed("not_allowed", "Only staff can void points.")
            if at - earn.created_at > window:
                raise NotAllowed(
                    "void_window_passed",
                    f"Cashiers can void within {window.seconds // 60} minutes; ask a manager.",
                )
        lots = list(PointsLot.objects.filter(entry=earn))
        already_expired = sum(
            LotConsumption.objects.filter(
                lot__in=lots, entry__kind=LedgerEntry.Kind.EXPIRE
            ).values_list("points", flat=True)
        )
        points = earn.points - already_expired
        entry = entry_record(
            membership=membership,
            kind=LedgerEntry.Kind.VOID,
            idempotency_key=idempotency_key,
            points=-points,
            at=at,
            amount=earn.amount,
            currency=earn.currency,
            reverses=earn,
            actor=actor,
            reason=reason,
            consume_first=lots,
            explanation={"voids": earn.pk, "points": -points, "already_expired": already_expired},
            description=f"Voided purchase: -{points} points",
            description_ar=f"إلغاء عملية شراء: -{points} نقطة",
        )
        claim.finish({"entry": entry.pk})
    return entry


def points_adjust(
    *,
    membership_id: int,
    points: int,
    reason: str,
    actor: User,
    idempotency_key: str | None = None,
    at: datetime.datetime | None = None,
) -> LedgerEntry:
    """A manager's correction, with a reason; never takes the balance below zero."""
    merchant_writable_require()
    merchant_email_verified_require()
    at = at or timezone.now()
    reason = (reason or "").strip()
    if not has_role(actor, Role.MANAGER):
        raise NotAllowed("not_allowed", "Only a manager or the owner can adjust points.")
    if not reason:
        raise DomainError("reason_required", "Say why the points are adjusted.")
    if not isinstance(points, int) or points == 0 or abs(points) > MAX_ADJUSTMENT:
        raise DomainError("invalid_points", "Adjust by a whole number of points, not zero.")
    with transaction.atomic():
        claim = idempotency_claim(
            idempotency_key,
            "adjust",
            {"membership": membership_id, "points": points, "reason": reason},
            caller=f"staff:{actor.pk}",
        )
        if claim.replay is not None:
            return replayed(LedgerEntry.objects.get(pk=claim.replay["entry"]))
        membership = memberships_lock([membership_id])[membership_id]
        entry = entry_record(
            membership=membership,
            kind=LedgerEntry.Kind.ADJUST,
            idempotency_key=idempotency_key,
            points=points,
            at=at,
            expires_on=lot_expiry(points_settings(), local_date(at)),
            actor=actor,
            reason=reason,
            explanation={"points": points, "reason": reason},
            description=f"Adjusted by staff: {points:+d} points ({reason})",
            description_ar=f"تعديل من الموظفين: {points:+d} نقطة ({reason})",
        )
        claim.finish({"entry": entry.pk})
    return entry
