"""Concurrent balance changes, with real threads on real PostgreSQL connections.

Threads cannot see the test's own open transaction, so everything these tests write
goes through `committed()` (a thread of its own, committed at once) in a merchant of
their own created once for the session. The test's transaction only reads, which in
READ COMMITTED sees what the threads committed. Every test checks that the merchant
still reconciles afterwards.
"""

from collections.abc import Iterator
from decimal import Decimal

import pytest
from django_tenants.utils import schema_context

from loyalty.db import connection
from points.models import Membership
from points.reconcile import reconcile
from points.services import points_earn
from points.tests.factories import Programme
from rewards.models import Redemption, Reward
from rewards.services import redemption_approve, redemption_create, redemption_reject
from tests.threads import committed, funded_member, run_together

pytestmark = pytest.mark.django_db


@pytest.fixture
def busy(busy_merchant) -> Iterator[Programme]:
    """The test runs in the busy merchant's schema; its ledger must reconcile afterwards."""
    schema, programme = busy_merchant
    with schema_context(schema):
        yield programme
        assert reconcile().drifts == []


def test_twenty_redeems_on_a_balance_for_one_succeed_once(busy) -> None:
    member = funded_member(busy, 100)

    results = run_together(
        20,
        connection.schema_name,
        lambda i: redemption_create(membership_id=member.pk, reward_id=busy.free_coffee.pk),
    )

    successes = [r for r in results if isinstance(r, Redemption)]
    assert len(successes) == 1
    assert sorted(r for r in results if isinstance(r, str)) == ["insufficient_points"] * 19
    member.refresh_from_db()
    assert (member.current_points, member.total_redeemed) == (0, 100)


def test_fifty_simultaneous_earns_add_up_exactly(busy) -> None:
    # At the top tier the multiplier cannot change mid-way, so the sum is exact.
    member = committed(lambda: busy.member(tier=busy.gold))

    results = run_together(
        50,
        connection.schema_name,
        lambda i: points_earn(membership_id=member.pk, amount=Decimal(i + 1)),
    )

    assert all(not isinstance(r, str) for r in results)
    member.refresh_from_db()
    # 1 + 2 + ... + 50 JOD = 1275 JOD, x 10 points x 2 (Gold)
    assert member.current_points == member.total_earned == 25500
    assert member.total_visits == 50
    assert member.total_spend == Decimal("1275")
    balances = sorted(r.balance_after for r in results)
    assert balances[-1] == 25500 and len(set(balances)) == 50


def test_the_last_item_in_stock_goes_to_exactly_one_of_ten_members(busy) -> None:
    reward = committed(
        lambda: Reward.objects.create(name="Last croissant", points_cost=50, stock=1)
    )
    members = [funded_member(busy, 50) for _ in range(10)]

    results = run_together(
        10,
        connection.schema_name,
        lambda i: redemption_create(membership_id=members[i].pk, reward_id=reward.pk),
    )

    assert len([r for r in results if isinstance(r, Redemption)]) == 1
    assert sorted(r for r in results if isinstance(r, str)) == ["out_of_stock"] * 9
    reward.refresh_from_db()
    assert reward.stock == 0
    balances = sorted(
        Membership.objects.filter(pk__in=[m.pk for m in members]).values_list(
            "current_points", flat=True
        )
    )
    assert balances == [0] + [50] * 9


def approve_against_reject(busy: Programme) -> None:
    member = funded_member(busy, 100)
    redemption = committed(
        lambda: redemption_create(membership_id=member.pk, reward_id=busy.free_coffee.pk)
    )
    actions = [
        lambda: redemption_approve(redemption_id=redemption.pk, actor=busy.cashier),
        lambda: redemption_reject(redemption_id=redemption.pk, actor=busy.manager),
    ]

    results = run_together(2, connection.schema_name, lambda i: actions[i]())

    winners = [r for r in results if isinstance(r, Redemption)]
    assert len(winners) == 1
    assert [r for r in results if isinstance(r, str)] == ["invalid_redemption_state"]
    redemption.refresh_from_db()
    member.refresh_from_db()
    assert redemption.status == winners[0].status
    assert member.current_points == (100 if redemption.status == "rejected" else 0)


def test_approve_and_reject_at_once_exactly_one_wins(busy) -> None:
    for _ in range(5):
        approve_against_reject(busy)


def test_the_same_idempotency_key_sent_twice_at_once_earns_once(busy) -> None:
    member = committed(busy.member)

    results = run_together(
        8,
        connection.schema_name,
        lambda i: points_earn(membership_id=member.pk, amount="10.000", idempotency_key="dup-1"),
    )

    assert len({r.pk for r in results}) == 1
    member.refresh_from_db()
    assert (member.current_points, member.total_visits) == (100, 1)
