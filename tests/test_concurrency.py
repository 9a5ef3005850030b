"""Concurrent balance changes, with real threads on real PostgreSQL connections.

Threads cannot see the test's own open transaction, so everything these tests write
goes through `committed()` (a thread of its own, committed at once) in a merchant of
their own created once for the session. The test's transaction only reads, which in
READ COMMITTED sees what the threads committed. Every test checks that the merchant
still reconciles afterwards.
"""

import datetime
from collections.abc import Iterator
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django_tenants.utils import schema_context

from loyalty.db import connection
from points.models import LedgerEntry, Membership, PointsSettings
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


@pytest.fixture
def referrals_paid(busy) -> Iterator[Programme]:
    """The busy merchant pays 100 points to the member who invites and 50 to the friend."""
    bonuses = {"referral_bonus_referrer": 100, "referral_bonus_referred": 50}
    committed(lambda: PointsSettings.objects.filter(pk=1).update(**bonuses))
    yield busy
    committed(
        lambda: PointsSettings.objects.filter(pk=1).update(
            referral_bonus_referrer=0, referral_bonus_referred=0
        )
    )


@pytest.mark.parametrize("referrer_first", [True, False], ids=["lower-pk", "higher-pk"])
def test_first_purchases_of_friends_race_their_referrers_own_earns(
    referrals_paid, referrer_first
) -> None:
    # An earn locks the friend and, on a first purchase, the referrer, whichever primary
    # key is lower first; the referrer's own earns lock only the referrer. Nothing waits
    # in a cycle, every referral is paid once. Gold (2x) and Bronze friends stay put.
    busy = referrals_paid

    def family() -> tuple[Membership, list[Membership]]:
        referrer = busy.member(tier=busy.gold) if referrer_first else None
        friends = [busy.member() for _ in range(4)]
        referrer = referrer or busy.member(tier=busy.gold)
        Membership.objects.filter(pk__in=[f.pk for f in friends]).update(referred_by=referrer)
        return referrer, friends

    referrer, friends = committed(family)
    assert (referrer.pk < friends[0].pk) == referrer_first

    results = run_together(
        12,
        connection.schema_name,
        lambda i: points_earn(
            membership_id=(referrer if i < 4 else friends[i % 4]).pk, amount="10.000"
        ),
    )

    assert all(isinstance(r, LedgerEntry) for r in results), results
    referrer.refresh_from_db()
    # 4 purchases x 10 JOD x 10 points x 2 (Gold), and 100 for each of 4 friends
    assert (referrer.current_points, referrer.total_earned) == (1200, 1200)
    assert referrer.total_visits == 4
    for friend in friends:
        friend.refresh_from_db()
        # two purchases of 100 points, and 50 once
        assert (friend.current_points, friend.total_visits) == (250, 2)
        assert friend.referral_paid
        bonuses = LedgerEntry.objects.filter(membership=friend, kind=LedgerEntry.Kind.BONUS)
        assert list(bonuses.values_list("points", flat=True)) == [50]


def test_one_key_sent_at_once_for_a_friend_and_their_referrer_earns_once(referrals_paid) -> None:
    # The earn claims its key in the statement that locks the member (and, on a first
    # purchase, the referrer), before it locks anything: the friend's earn and the
    # referrer's, sharing a key, wait for each other's claim at most, never in a cycle.
    busy = referrals_paid
    for _ in range(5):

        def family() -> tuple[Membership, Membership]:
            referrer, friend = busy.member(tier=busy.gold), busy.member()
            Membership.objects.filter(pk=friend.pk).update(referred_by=referrer)
            return referrer, friend

        members = committed(family)

        def earn(i: int, members: tuple[Membership, Membership] = members) -> LedgerEntry:
            key = f"shared-{members[0].pk}"
            return points_earn(membership_id=members[i].pk, amount="10.000", idempotency_key=key)

        results = run_together(2, connection.schema_name, earn)

        earned = [r for r in results if isinstance(r, LedgerEntry)]
        assert len(earned) == 1, results
        assert [r for r in results if not isinstance(r, LedgerEntry)] == ["idempotency_key_reused"]


def test_simultaneous_earns_keep_to_the_daily_cap(busy) -> None:
    # Each earn waits for the one before; the day's total it starts from must include it.
    committed(lambda: PointsSettings.objects.filter(pk=1).update(daily_earn_cap=250))
    try:
        member = committed(lambda: busy.member(tier=busy.gold))
        noon = datetime.datetime(2026, 11, 24, 12, 0, tzinfo=ZoneInfo("Asia/Amman"))

        results = run_together(
            6,
            connection.schema_name,
            lambda i: points_earn(membership_id=member.pk, amount="10.000", at=noon),
        )
    finally:
        committed(lambda: PointsSettings.objects.filter(pk=1).update(daily_earn_cap=None))

    # 10 JOD x 10 points x 2 (Gold) = 200: the first earns it, the next 50, then 0
    assert sorted(r.points for r in results) == [0, 0, 0, 0, 50, 200]
    member.refresh_from_db()
    assert (member.current_points, member.total_visits) == (250, 6)
