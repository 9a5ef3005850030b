"""Redeeming rewards: the seed's example, every refusal, and each state change."""

import datetime

import pytest
from django.utils import timezone

from loyalty.errors import DomainError
from messaging.models import Outbox
from points.models import LedgerEntry, PointsLot
from points.services import points_adjust, points_earn
from rewards.models import Redemption, Reward
from rewards.services import (
    VOUCHER_ALPHABET,
    redemption_approve,
    redemption_cancel,
    redemption_create,
    redemption_reject,
    redemption_use,
    redemptions_expire,
)


def funded(programme, points: int, **kwargs):
    member = programme.member(**kwargs)
    points_adjust(membership_id=member.pk, points=points, reason="test", actor=programme.manager)
    member.refresh_from_db()
    return member


def test_the_seed_example_redeem_approve_use(programme) -> None:
    member = programme.member(tier=programme.silver)
    points_earn(membership_id=member.pk, amount="50.000")

    redemption = redemption_create(membership_id=member.pk, reward_id=programme.free_coffee.pk)

    member.refresh_from_db()
    assert redemption.status == "pending"
    assert member.current_points == 650 and member.total_redeemed == 100
    assert (redemption.redeem_entry.kind, redemption.redeem_entry.points) == ("redeem", -100)
    assert len(redemption.voucher_code) == 8
    assert set(redemption.voucher_code) <= set(VOUCHER_ALPHABET)

    approved = redemption_approve(redemption_id=redemption.pk, actor=programme.cashier)
    used = redemption_use(redemption_id=redemption.pk, actor=programme.cashier)

    assert (approved.status, used.status) == ("approved", "used")
    assert used.used_by == programme.cashier
    assert Outbox.objects.filter(membership_id=member.pk, event="redemption_approved").exists()
    member.refresh_from_db()
    assert member.current_points == 650


def test_redeeming_consumes_the_oldest_lots_first(programme) -> None:
    member = programme.member()
    old = points_earn(membership_id=member.pk, amount="6.000")  # 60
    new = points_earn(membership_id=member.pk, amount="6.000")  # 60

    redemption_create(membership_id=member.pk, reward_id=programme.free_coffee.pk)

    assert PointsLot.objects.get(entry=old).remaining == 0
    assert PointsLot.objects.get(entry=new).remaining == 20


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"is_active": False}, "reward_inactive"),
        ({"stock": 0}, "out_of_stock"),
        ({"valid_to": timezone.now() - datetime.timedelta(days=1)}, "reward_expired"),
        ({"valid_from": timezone.now() + datetime.timedelta(days=1)}, "reward_not_yet_available"),
        ({"points_cost": 101}, "insufficient_points"),
        ({"min_tier": "gold"}, "tier_too_low"),
    ],
)
def test_refusals_write_nothing(programme, change, code) -> None:
    member = funded(programme, 100)
    if change.get("min_tier"):
        change = {"min_tier": programme.gold}
    Reward.objects.filter(pk=programme.free_coffee.pk).update(**change)
    entries = LedgerEntry.objects.count()

    with pytest.raises(DomainError) as refused:
        redemption_create(membership_id=member.pk, reward_id=programme.free_coffee.pk)

    assert refused.value.code == code
    assert LedgerEntry.objects.count() == entries
    assert not Redemption.objects.exists()
    member.refresh_from_db()
    assert member.current_points == 100


def test_an_unknown_reward_is_not_found(programme) -> None:
    member = funded(programme, 100)
    with pytest.raises(DomainError) as refused:
        redemption_create(membership_id=member.pk, reward_id=424242)
    assert (refused.value.code, refused.value.status) == ("reward_not_found", 404)


def test_the_per_member_limit_counts_live_redemptions_only(programme) -> None:
    Reward.objects.filter(pk=programme.free_coffee.pk).update(per_member_limit=1)
    member = funded(programme, 300)
    first = redemption_create(membership_id=member.pk, reward_id=programme.free_coffee.pk)

    with pytest.raises(DomainError) as refused:
        redemption_create(membership_id=member.pk, reward_id=programme.free_coffee.pk)
    assert refused.value.code == "redemption_limit_reached"

    redemption_cancel(redemption_id=first.pk, membership_id=member.pk)
    assert redemption_create(membership_id=member.pk, reward_id=programme.free_coffee.pk)


def test_stock_goes_down_with_a_redemption_and_back_with_a_rejection(programme) -> None:
    Reward.objects.filter(pk=programme.free_coffee.pk).update(stock=2)
    member = funded(programme, 100)

    redemption = redemption_create(membership_id=member.pk, reward_id=programme.free_coffee.pk)
    programme.free_coffee.refresh_from_db()
    assert programme.free_coffee.stock == 1

    rejected = redemption_reject(
        redemption_id=redemption.pk, actor=programme.cashier, reason="Machine broken"
    )

    programme.free_coffee.refresh_from_db()
    member.refresh_from_db()
    assert programme.free_coffee.stock == 2
    assert rejected.status == "rejected" and rejected.reason == "Machine broken"
    refund = rejected.refund_entry
    assert refund is not None and (refund.kind, refund.points) == ("refund", 100)
    assert (member.current_points, member.total_redeemed) == (100, 0)
    assert Outbox.objects.filter(membership_id=member.pk, event="redemption_rejected").exists()


def test_a_refund_returns_points_to_the_lots_they_came_from(programme) -> None:
    member = programme.member()
    earn = points_earn(membership_id=member.pk, amount="10.000")
    redemption = redemption_create(membership_id=member.pk, reward_id=programme.free_coffee.pk)
    assert PointsLot.objects.get(entry=earn).remaining == 0

    redemption_cancel(redemption_id=redemption.pk, membership_id=member.pk)

    assert PointsLot.objects.get(entry=earn).remaining == 100
    assert PointsLot.objects.filter(membership=member).count() == 1


def test_a_member_cancels_an_approved_redemption_but_not_a_used_one(programme) -> None:
    member = funded(programme, 200)
    approved = redemption_create(membership_id=member.pk, reward_id=programme.free_coffee.pk)
    redemption_approve(redemption_id=approved.pk, actor=programme.cashier)
    used = redemption_create(membership_id=member.pk, reward_id=programme.free_coffee.pk)
    redemption_approve(redemption_id=used.pk, actor=programme.cashier)
    redemption_use(redemption_id=used.pk, actor=programme.cashier)

    assert redemption_cancel(redemption_id=approved.pk, membership_id=member.pk).status == (
        "cancelled"
    )
    with pytest.raises(DomainError) as refused:
        redemption_cancel(redemption_id=used.pk, membership_id=member.pk)

    assert refused.value.code == "invalid_redemption_state"
    member.refresh_from_db()
    assert member.current_points == 100


def test_another_members_redemption_is_not_found(programme) -> None:
    owner = funded(programme, 100)
    other = programme.member()
    redemption = redemption_create(membership_id=owner.pk, reward_id=programme.free_coffee.pk)

    with pytest.raises(DomainError) as refused:
        redemption_cancel(redemption_id=redemption.pk, membership_id=other.pk)

    assert (refused.value.code, refused.value.status) == ("redemption_not_found", 404)


@pytest.mark.parametrize(
    ("action", "code"),
    [("use_pending", "invalid_redemption_state"), ("approve_twice", "invalid_redemption_state")],
)
def test_state_changes_out_of_order_are_refused(programme, action, code) -> None:
    member = funded(programme, 100)
    redemption = redemption_create(membership_id=member.pk, reward_id=programme.free_coffee.pk)
    if action == "approve_twice":
        redemption_approve(redemption_id=redemption.pk, actor=programme.cashier)
    call = redemption_use if action == "use_pending" else redemption_approve

    with pytest.raises(DomainError) as refused:
        call(redemption_id=redemption.pk, actor=programme.cashier)

    assert refused.value.code == code


def test_pending_redemptions_expire_after_n_days_with_a_refund(programme) -> None:
    member = funded(programme, 200)
    long_ago = timezone.now() - datetime.timedelta(days=8)
    stale = redemption_create(
        membership_id=member.pk, reward_id=programme.free_coffee.pk, at=long_ago
    )
    fresh = redemption_create(membership_id=member.pk, reward_id=programme.free_coffee.pk)

    assert redemptions_expire() == 1
    assert redemptions_expire() == 0

    stale.refresh_from_db()
    fresh.refresh_from_db()
    member.refresh_from_db()
    assert (stale.status, fresh.status) == ("expired", "pending")
    assert member.current_points == 100
    assert Outbox.objects.filter(event="redemption_expired").count() == 1


def test_staff_withdraw_an_approval_only_by_saying_they_saw_it_approved(programme) -> None:
    member = funded(programme, 100)
    redemption = redemption_create(membership_id=member.pk, reward_id=programme.free_coffee.pk)
    redemption_approve(redemption_id=redemption.pk, actor=programme.cashier)

    with pytest.raises(DomainError) as stale:
        redemption_reject(redemption_id=redemption.pk, actor=programme.manager)
    rejected = redemption_reject(
        redemption_id=redemption.pk,
        actor=programme.manager,
        seen_status="approved",
        reason="Customer left",
    )

    assert stale.value.code == "invalid_redemption_state"
    assert rejected.status == "rejected"
    member.refresh_from_db()
    assert member.current_points == 100
