"""Voids, adjustments and idempotency keys."""

import datetime

import pytest
from django.utils import timezone

from loyalty.errors import DomainError
from points.models import LedgerEntry, PointsLot
from points.services import points_adjust, points_earn, points_void
from rewards.services import redemption_create


def test_a_cashier_voids_a_mistaken_earn_within_ten_minutes(programme) -> None:
    member = programme.member(tier=programme.silver)
    earn = points_earn(membership_id=member.pk, amount="50.000", actor=programme.cashier)

    void = points_void(entry_id=earn.pk, actor=programme.cashier, reason="wrong customer")

    member.refresh_from_db()
    assert (void.kind, void.points, void.balance_after) == ("void", -750, 0)
    assert void.reverses == earn
    assert (member.current_points, member.total_earned, member.total_visits) == (0, 0, 0)
    assert member.total_spend == 0
    assert PointsLot.objects.get(entry=earn).remaining == 0


def test_after_the_window_a_cashier_is_refused_but_a_manager_may(programme) -> None:
    member = programme.member()
    earn = points_earn(
        membership_id=member.pk,
        amount="10.000",
        at=timezone.now() - datetime.timedelta(minutes=11),
    )

    with pytest.raises(DomainError) as refused:
        points_void(entry_id=earn.pk, actor=programme.cashier)
    assert refused.value.code == "void_window_passed"
    assert not LedgerEntry.objects.filter(kind="void").exists()

    assert points_void(entry_id=earn.pk, actor=programme.manager).points == -100


def test_a_void_never_takes_the_balance_below_zero(programme) -> None:
    member = programme.member()
    earn = points_earn(membership_id=member.pk, amount="10.000")
    redemption_create(membership_id=member.pk, reward_id=programme.free_coffee.pk)

    with pytest.raises(DomainError) as refused:
        points_void(entry_id=earn.pk, actor=programme.manager)

    assert refused.value.code == "insufficient_points"
    member.refresh_from_db()
    assert member.current_points == 0


def test_an_earn_is_voided_once_and_only_earns_can_be(programme) -> None:
    member = programme.member()
    earn = points_earn(membership_id=member.pk, amount="10.000")
    void = points_void(entry_id=earn.pk, actor=programme.manager)

    with pytest.raises(DomainError) as twice:
        points_void(entry_id=earn.pk, actor=programme.manager)
    with pytest.raises(DomainError) as not_earn:
        points_void(entry_id=void.pk, actor=programme.manager)

    assert (twice.value.code, not_earn.value.code) == ("already_voided", "not_an_earn")


def test_a_manager_adjusts_with_a_reason_and_never_below_zero(programme) -> None:
    member = programme.member()

    credit = points_adjust(
        membership_id=member.pk, points=40, reason="Spilled coffee", actor=programme.manager
    )
    with pytest.raises(DomainError) as overdraw:
        points_adjust(membership_id=member.pk, points=-41, reason="typo", actor=programme.manager)
    debit = points_adjust(
        membership_id=member.pk, points=-40, reason="Double entry", actor=programme.manager
    )

    assert overdraw.value.code == "insufficient_points"
    assert (credit.balance_after, debit.balance_after) == (40, 0)
    assert credit.reason == "Spilled coffee" and credit.actor == programme.manager
    member.refresh_from_db()
    # An adjustment is not "earned": tiers and counters of purchases stay as they were.
    assert (member.current_points, member.total_earned) == (0, 0)


@pytest.mark.parametrize(
    ("who", "points", "reason", "code"),
    [
        ("cashier", 10, "why", "not_allowed"),
        ("manager", 10, "  ", "reason_required"),
        ("manager", 0, "why", "invalid_points"),
    ],
)
def test_bad_adjustments_are_refused(programme, who, points, reason, code) -> None:
    member = programme.member()
    with pytest.raises(DomainError) as refused:
        points_adjust(
            membership_id=member.pk,
            points=points,
            reason=reason,
            actor=getattr(programme, who),
        )
    assert refused.value.code == code
    assert not LedgerEntry.objects.filter(membership=member).exists()


def test_the_same_key_and_input_returns_the_first_result_and_writes_nothing(programme) -> None:
    member = programme.member()

    first = points_earn(membership_id=member.pk, amount="12.000", idempotency_key="pos-1")
    again = points_earn(membership_id=member.pk, amount="12.000", idempotency_key="pos-1")

    assert again.pk == first.pk
    member.refresh_from_db()
    assert (member.current_points, member.total_visits) == (120, 1)
    assert LedgerEntry.objects.filter(membership=member).count() == 1


def test_the_same_key_with_other_input_is_refused(programme) -> None:
    member = programme.member()
    points_earn(membership_id=member.pk, amount="12.000", idempotency_key="pos-2")

    with pytest.raises(DomainError) as reused:
        points_earn(membership_id=member.pk, amount="13.000", idempotency_key="pos-2")

    assert reused.value.code == "idempotency_key_reused"
    assert reused.value.status == 409
    member.refresh_from_db()
    assert member.current_points == 120


def test_a_key_belongs_to_its_caller_and_operation(programme) -> None:
    member = programme.member()
    points_earn(membership_id=member.pk, amount="12.000")
    redeemed = redemption_create(
        membership_id=member.pk, reward_id=programme.free_coffee.pk, idempotency_key="pos-3"
    )

    earned = points_earn(
        membership_id=member.pk, amount="12.000", idempotency_key="pos-3", actor=programme.cashier
    )
    by_manager = points_earn(
        membership_id=member.pk, amount="12.000", idempotency_key="pos-3", actor=programme.manager
    )

    assert redeemed.points == 100 and earned.points == by_manager.points == 120
    assert earned.pk != by_manager.pk
    member.refresh_from_db()
    assert member.current_points == 120 - 100 + 120 + 120


def test_a_refused_request_can_be_retried_with_its_key(programme) -> None:
    member = programme.member()
    with pytest.raises(DomainError):
        redemption_create(
            membership_id=member.pk, reward_id=programme.free_coffee.pk, idempotency_key="r-1"
        )
    points_earn(membership_id=member.pk, amount="10.000")

    redemption = redemption_create(
        membership_id=member.pk, reward_id=programme.free_coffee.pk, idempotency_key="r-1"
    )

    assert redemption.status == "pending"


def test_void_and_adjust_are_idempotent_too(programme) -> None:
    member = programme.member()
    earn = points_earn(membership_id=member.pk, amount="10.000")
    first_void = points_void(entry_id=earn.pk, actor=programme.manager, idempotency_key="v-1")
    assert points_void(entry_id=earn.pk, actor=programme.manager, idempotency_key="v-1") == (
        first_void
    )
    adjust = points_adjust(
        membership_id=member.pk,
        points=5,
        reason="goodwill",
        actor=programme.manager,
        idempotency_key="a-1",
    )
    assert (
        points_adjust(
            membership_id=member.pk,
            points=5,
            reason="goodwill",
            actor=programme.manager,
            idempotency_key="a-1",
        )
        == adjust
    )
    member.refresh_from_db()
    assert member.current_points == 5


def test_the_key_is_kept_on_the_entry_it_made(programme) -> None:
    member = programme.member()
    entry = points_earn(membership_id=member.pk, amount="1.000", idempotency_key="till-7-0042")
    assert entry.idempotency_key == "till-7-0042"


@pytest.mark.parametrize("change", ["update", "delete"])
def test_the_database_refuses_to_change_or_delete_a_ledger_entry(programme, change) -> None:
    from django.db import IntegrityError, connection, transaction

    member = programme.member()
    entry = points_earn(membership_id=member.pk, amount="1.000")
    sql = {
        "update": "UPDATE points_ledgerentry SET points = 1000 WHERE id = %s",
        "delete": "DELETE FROM points_ledgerentry WHERE id = %s",
    }[change]

    with (
        pytest.raises(IntegrityError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql, [entry.pk])

    entry.refresh_from_db()
    assert entry.points == 10
