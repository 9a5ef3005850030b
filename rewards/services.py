"""Redemptions: redeem, approve, reject, mark used, cancel, expire.

Lock order, everywhere: membership, then reward, then redemption. Points and stock
change in the same transaction as the redemption's status.
"""

import datetime
import secrets

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from billing.limits import plan_limit_require
from loyalty.errors import Conflict, DomainError, NotAllowed, NotFound
from messaging.models import Event
from messaging.outbox import outbox_add
from points.idempotency import idempotency_claim, replayed
from points.ledger import entry_record, insufficient, memberships_lock
from points.models import LedgerEntry, Membership
from points.selectors import points_settings
from points.services.earn import member_active
from tenants.roles import Role, has_role
from tenants.selectors import merchant_current
from tenants.services import merchant_writable_require

from .models import Redemption, Reward

VOUCHER_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
VOUCHER_LENGTH = 8  # 31^8: about 850 billion codes


def reward_offered_anew(reward: Reward) -> bool:
    """Whether saving `reward` adds an active reward: a new one offered at once, or an
    inactive one offered again (what the plan's rewards limit counts)."""
    if not reward.is_active:
        return False
    if reward.pk is None:
        return True
    return not Reward.objects.filter(pk=reward.pk, is_active=True).exists()


def reward_save(*, reward: Reward) -> Reward:
    """Create or change a reward; one more active reward than the plan allows is
    refused (`plan_limit_reached`) and nothing is saved."""
    with transaction.atomic():
        if reward_offered_anew(reward):
            plan_limit_require("rewards")  # the merchant's row stays locked until commit
        reward.save()
    return reward


def _voucher_code() -> str:
    while True:
        code = "".join(secrets.choice(VOUCHER_ALPHABET) for _ in range(VOUCHER_LENGTH))
        # Never all digits: a scanned all-digit code is a member number (wallet passes).
        if code.isdigit():
            continue
        if not Redemption.objects.filter(voucher_code=code).exists():
            return code


def _reward_check(reward: Reward, membership: Membership, at: datetime.datetime) -> None:
    if not reward.is_active:
        raise DomainError("reward_inactive", "This reward is not available.")
    if reward.valid_from and at < reward.valid_from:
        raise DomainError("reward_not_yet_available", "This reward is not available yet.")
    if reward.valid_to and at > reward.valid_to:
        raise DomainError("reward_expired", "This reward is no longer available.")
    if reward.min_tier is not None and (
        membership.tier is None or membership.tier.rank < reward.min_tier.rank
    ):
        raise DomainError(
            "tier_too_low",
            f"This reward is for {reward.min_tier.name} members and above.",
            fields={"min_tier": reward.min_tier.name},
        )
    if reward.per_member_limit is not None:
        taken = (
            Redemption.objects.filter(membership=membership, reward=reward)
            .exclude(status__in=Redemption.CLOSED_WITH_REFUND)
            .count()
        )
        if taken >= reward.per_member_limit:
            raise DomainError(
                "redemption_limit_reached",
                f"This reward can be redeemed {reward.per_member_limit} time(s) per member.",
            )
    if reward.stock is not None and reward.stock < 1:
        raise DomainError("out_of_stock", "This reward is out of stock.")
    if membership.current_points < reward.points_cost:
        raise insufficient(membership.current_points, reward.points_cost)


def redemption_create(
    *,
    membership_id: int,
    reward_id: int,
    idempotency_key: str | None = None,
    at: datetime.datetime | None = None,
) -> Redemption:
    """Redeem a reward: checks, then the pending redemption, the debit and the stock
    change in one transaction. Returns the redemption (with its voucher code)."""
    merchant_writable_require()
    at = at or timezone.now()
    with transaction.atomic():
        claim = idempotency_claim(
            idempotency_key,
            "redeem",
            {"membership": membership_id, "reward": reward_id},
            caller=f"member:{membership_id}",
        )
        if claim.replay is not None:
            return replayed(Redemption.objects.get(pk=claim.replay["redemption"]))
        membership = memberships_lock([membership_id])[membership_id]
        reward = (
            Reward.objects.select_for_update(of=("self",))
            .select_related("min_tier")
            .filter(pk=reward_id)
            .first()
        )
        if reward is None:
            raise NotFound("reward_not_found", "No such reward.")
        member_active(membership)
        _reward_check(reward, membership, at)
        entry = entry_record(
            membership=membership,
            kind=LedgerEntry.Kind.REDEEM,
            idempotency_key=idempotency_key,
            points=-reward.points_cost,
            at=at,
            explanation={"reward": reward.pk, "points": -reward.points_cost},
            description=f"Redeemed {reward.name}: -{reward.points_cost} points",
            description_ar=f"استبدال {reward.name_ar or reward.name}: -{reward.points_cost} نقطة",
        )
        if reward.stock is not None:
            Reward.objects.filter(pk=reward.pk).update(stock=F("stock") - 1)
        redemption = Redemption.objects.create(
            membership=membership,
            reward=reward,
            points=reward.points_cost,
            voucher_code=_voucher_code(),
            redeem_entry=entry,
            created_at=at,
            expires_at=at + datetime.timedelta(days=points_settings().redemption_expiry_days),
        )
        claim.finish({"redemption": redemption.pk})
    return redemption


def redemptions_extend(*, since: datetime.datetime, by: datetime.timedelta) -> int:
    """Move later, by `by`, the expiry of every open redemption (pending or approved)
    that had not expired before `since`. Returns how many. See
    `billing.services.expiries_resume`."""
    return Redemption.objects.filter(status__in=Redemption.OPEN, expires_at__gte=since).update(
        expires_at=F("expires_at") + by
    )


def _lock(redemption_id: int) -> tuple[Membership, Reward, Redemption]:
    """Lock a redemption's membership, reward and the redemption itself, in that order."""
    peek = Redemption.objects.filter(pk=redemption_id).values("membership_id", "reward_id").first()
    if peek is None:
        raise NotFound("redemption_not_found", "No such redemption.")
    membership = memberships_lock([peek["membership_id"]])[peek["membership_id"]]
    reward = Reward.objects.select_for_update().get(pk=peek["reward_id"])
    redemption = Redemption.objects.select_for_update().get(pk=redemption_id)
    return membership, reward, redemption


def _require(redemption: Redemption, *allowed: str) -> None:
    if redemption.status not in allowed:
        raise Conflict(
            "invalid_redemption_state",
            f"This redemption is {redemption.status}.",
            fields={"status": redemption.status},
        )


def _staff(actor: User) -> None:
    if not has_role(actor, Role.CASHIER):
        raise NotAllowed("not_allowed", "Only staff can do this.")


def _close_with_refund(
    membership: Membership,
    reward: Reward,
    redemption: Redemption,
    *,
    status: str,
    at: datetime.datetime,
    reason: str = "",
    actor: User | None = None,
) -> None:
    refund = entry_record(
        membership=membership,
        kind=LedgerEntry.Kind.REFUND,
        points=redemption.points,
        at=at,
        restore_from=redemption.redeem_entry,
        actor=actor,
        reason=reason,
        explanation={"redemption": redemption.pk, "status": status, "points": redemption.points},
        description=f"Refund for {reward.name} ({status}): +{redemption.points} points",
        description_ar=f"استرداد {reward.name_ar or reward.name}: +{redemption.points} نقطة",
    )
    if reward.stock is not None:
        Reward.objects.filter(pk=reward.pk).update(stock=F("stock") + 1)
    redemption.status = status
    redemption.refund_entry = refund
    redemption.reason = reason
    redemption.decided_at = at
    redemption.decided_by = actor
    redemption.save(update_fields=["status", "refund_entry", "reason", "decided_at", "decided_by"])


def redemption_approve(
    *, redemption_id: int, actor: User, at: datetime.datetime | None = None
) -> Redemption:
    merchant_writable_require()
    _staff(actor)
    at = at or timezone.now()
    with transaction.atomic():
        membership, reward, redemption = _lock(redemption_id)
        _require(redemption, Redemption.Status.PENDING)
        redemption.status = Redemption.Status.APPROVED
        redemption.decided_at = at
        redemption.decided_by = actor
        redemption.save(update_fields=["status", "decided_at", "decided_by"])
        outbox_add(
            event=Event.REDEMPTION_APPROVED,
            membership=membership,
            reward=reward.name,
            reward_ar=reward.name_ar,
            voucher_code=redemption.voucher_code,
            redemption_id=redemption.pk,
        )
    return redemption


def redemption_reject(
    *,
    redemption_id: int,
    actor: User,
    reason: str = "",
    seen_status: str = Redemption.Status.PENDING,
    at: datetime.datetime | None = None,
) -> Redemption:
    """Refuse a redemption and refund it. `seen_status` is the state the staff member
    decided on (pending, or approved to withdraw an approval): if another decision
    changed it meanwhile, this one is refused, so of an approve and a reject sent at
    the same moment exactly one wins."""
    merchant_writable_require()
    _staff(actor)
    at = at or timezone.now()
    if seen_status not in Redemption.OPEN:
        raise DomainError("invalid_redemption_state", "Only open redemptions can be rejected.")
    with transaction.atomic():
        membership, reward, redemption = _lock(redemption_id)
        _require(redemption, seen_status)
        _close_with_refund(
            membership,
            reward,
            redemption,
            status=Redemption.Status.REJECTED,
            at=at,
            reason=reason,
            actor=actor,
        )
        outbox_add(
            event=Event.REDEMPTION_REJECTED,
            membership=membership,
            reward=reward.name,
            reward_ar=reward.name_ar,
            reason=reason,
            points=redemption.points,
            redemption_id=redemption.pk,
        )
    return redemption


def redemption_use(
    *, redemption_id: int, actor: User, at: datetime.datetime | None = None
) -> Redemption:
    merchant_writable_require()
    _staff(actor)
    at = at or timezone.now()
    with transaction.atomic():
        _membership, _reward, redemption = _lock(redemption_id)
        _require(redemption, Redemption.Status.APPROVED)
        redemption.status = Redemption.Status.USED
        redemption.used_at = at
        redemption.used_by = actor
        redemption.save(update_fields=["status", "used_at", "used_by"])
    return redemption


def redemption_cancel(
    *, redemption_id: int, membership_id: int, at: datetime.datetime | None = None
) -> Redemption:
    """The member takes back a redemption not yet used; points and stock return."""
    at = at or timezone.now()
    with transaction.atomic():
        membership, reward, redemption = _lock(redemption_id)
        if redemption.membership_id != membership_id:
            raise NotFound("redemption_not_found", "No such redemption.")
        _require(redemption, *Redemption.OPEN)
        _close_with_refund(
            membership,
            reward,
            redemption,
            status=Redemption.Status.CANCELLED,
            at=at,
            reason="Cancelled by the member",
        )
    return redemption


def redemptions_expire(*, at: datetime.datetime | None = None) -> int:
    """Expire pending redemptions not approved in time, refunding points and stock.
    Not while the merchant is read-only: its staff cannot approve them, and when it
    pays again `redemptions_extend` gives them the time back."""
    at = at or timezone.now()
    if merchant_current().is_read_only:
        return 0
    stale = Redemption.objects.filter(
        status=Redemption.Status.PENDING, expires_at__lte=at
    ).values_list("pk", flat=True)
    count = 0
    for redemption_id in list(stale):
        with transaction.atomic():
            membership, reward, redemption = _lock(redemption_id)
            if redemption.status != Redemption.Status.PENDING:
                continue
            _close_with_refund(
                membership,
                reward,
                redemption,
                status=Redemption.Status.EXPIRED,
                at=at,
                reason="Not approved in time",
            )
            outbox_add(
                event=Event.REDEMPTION_EXPIRED,
                membership=membership,
                reward=reward.name,
                reward_ar=reward.name_ar,
                points=redemption.points,
                redemption_id=redemption.pk,
            )
            count += 1
    return count
