"""Earning points for a purchase: the seed's examples, rounding, carry-over, caps,
campaigns, referral, tier upgrades and refusals."""

import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import tenant_context

from loyalty.db import connection
from loyalty.errors import DomainError
from messaging.models import Event, Outbox
from points.models import (
    Campaign,
    IdempotencyRecord,
    LedgerEntry,
    Membership,
    PointsLot,
    PointsSettings,
)
from points.services import membership_join, points_earn
from tenants.models import Merchant

from .factories import customer_make

AMMAN = ZoneInfo("Asia/Amman")


def test_the_seed_example_silver_member_earns_750_for_50_jod(programme) -> None:
    member = programme.member(tier=programme.silver)

    entry = points_earn(membership_id=member.pk, amount="50.000", actor=programme.cashier)

    member.refresh_from_db()
    assert entry.points == 750
    assert (member.current_points, member.total_earned, member.total_visits) == (750, 750, 1)
    assert member.total_spend == Decimal("50.000")
    assert entry.balance_after == 750
    assert entry.description == "50.000 JOD × 10 points/JOD × 1.5 (Silver) = 750 points"
    assert entry.description_ar == (
        "50.000 دينار × 10 نقاط لكل دينار × 1.5 (\u2068فضي\u2069) = 750 نقطة"
    )
    assert entry.explanation["tier"] == {"name": "Silver", "name_ar": "فضي", "multiplier": "1.5"}
    assert entry.explanation["points"] == 750
    message = Outbox.objects.get(membership_id=member.pk, event="points_earned")
    assert message.context["points"] == 750
    assert message.context["balance"] == 750
    assert message.status == "pending"
    assert PointsLot.objects.get(entry=entry).remaining == 750


def test_twelve_jod_345_earns_123_rounded_down(programme) -> None:
    member = programme.member()

    entry = points_earn(membership_id=member.pk, amount=Decimal("12.345"))

    assert entry.points == 123
    assert entry.explanation["raw"] == "123.45"
    member.refresh_from_db()
    assert member.carry_remainder == 0


def test_carry_over_credits_the_remainder_on_a_later_purchase(programme) -> None:
    PointsSettings.objects.filter(pk=1).update(carry_over=True)
    member = programme.member()

    first = points_earn(membership_id=member.pk, amount="12.345")
    member.refresh_from_db()
    assert (first.points, member.carry_remainder) == (123, Decimal("0.45"))

    second = points_earn(membership_id=member.pk, amount="5.555")

    # 55.55 + 0.45 carried = 56.00
    assert second.points == 56
    assert second.description == "5.555 JOD × 10 points/JOD × 1 (Bronze) + 0.45 carried = 56 points"
    member.refresh_from_db()
    assert member.carry_remainder == 0
    assert member.current_points == 179


@pytest.mark.parametrize(
    ("rounding", "points"), [("floor", 123), ("nearest", 123), ("ceiling", 124)]
)
def test_rounding_policies(programme, rounding, points) -> None:
    PointsSettings.objects.filter(pk=1).update(rounding=rounding)
    member = programme.member()
    assert points_earn(membership_id=member.pk, amount="12.345").points == points


@pytest.mark.parametrize(
    ("amount", "code"),
    [
        ("0", "invalid_amount"),
        ("-5.000", "invalid_amount"),
        ("abc", "invalid_amount"),
        ("NaN", "invalid_amount"),
        ("1.2345", "too_many_decimals"),
        ("10000000", "amount_too_large"),
    ],
)
def test_bad_amounts_are_refused_and_nothing_is_written(programme, amount, code) -> None:
    member = programme.member()
    entries = LedgerEntry.objects.count()

    with pytest.raises(DomainError) as refused:
        points_earn(membership_id=member.pk, amount=amount)

    assert refused.value.code == code
    assert LedgerEntry.objects.count() == entries
    member.refresh_from_db()
    assert (member.current_points, member.total_visits) == (0, 0)


def test_a_blocked_member_earns_nothing(programme) -> None:
    member = programme.member()
    Membership.objects.filter(pk=member.pk).update(status=Membership.Status.BLOCKED)

    with pytest.raises(DomainError) as refused:
        points_earn(membership_id=member.pk, amount="10.000")

    assert refused.value.code == "member_inactive"
    assert not LedgerEntry.objects.filter(membership=member).exists()


def test_an_unknown_member_is_not_found(programme) -> None:
    with pytest.raises(DomainError) as refused:
        points_earn(membership_id=987654, amount="10.000")
    assert (refused.value.code, refused.value.status) == ("member_not_found", 404)


def test_an_unknown_member_with_a_key_is_not_found_and_keeps_the_key_free(programme) -> None:
    member = programme.member()
    with pytest.raises(DomainError) as refused:
        points_earn(membership_id=987654, amount="10.000", idempotency_key="k-404")
    assert (refused.value.code, refused.value.status) == ("member_not_found", 404)
    assert not IdempotencyRecord.objects.exists()

    entry = points_earn(membership_id=member.pk, amount="10.000", idempotency_key="k-404")
    assert entry.points == 100


def test_a_key_already_used_is_refused_even_for_an_unknown_member(programme) -> None:
    member = programme.member()
    points_earn(membership_id=member.pk, amount="10.000", idempotency_key="k-used")

    with pytest.raises(DomainError) as refused:
        points_earn(membership_id=987654, amount="10.000", idempotency_key="k-used")
    assert (refused.value.code, refused.value.status) == ("idempotency_key_reused", 409)
    with pytest.raises(DomainError) as again:
        points_earn(membership_id=member.pk, amount="12.000", idempotency_key="k-used")
    assert again.value.code == "idempotency_key_reused"
    replay = points_earn(membership_id=member.pk, amount="10.000", idempotency_key="k-used")
    assert (replay.points, LedgerEntry.objects.filter(membership=member).count()) == (100, 1)


def test_minimum_purchase_is_enforced(programme) -> None:
    PointsSettings.objects.filter(pk=1).update(min_purchase=Decimal("2.500"))
    member = programme.member()

    with pytest.raises(DomainError) as refused:
        points_earn(membership_id=member.pk, amount="2.499")

    assert refused.value.code == "below_minimum_purchase"
    assert points_earn(membership_id=member.pk, amount="2.500").points == 25


def test_maximum_points_per_purchase_caps_and_says_so(programme) -> None:
    PointsSettings.objects.filter(pk=1).update(max_points_per_purchase=300)
    member = programme.member()

    entry = points_earn(membership_id=member.pk, amount="100.000")

    assert entry.points == 300
    assert entry.explanation["capped_by"] == "max_per_purchase"
    assert entry.description.endswith("= 300 points (capped: maximum per purchase)")


def test_daily_cap_limits_a_members_points_per_day(programme) -> None:
    PointsSettings.objects.filter(pk=1).update(daily_earn_cap=250)
    member = programme.member()
    morning = datetime.datetime(2026, 11, 24, 9, 0, tzinfo=AMMAN)

    first = points_earn(membership_id=member.pk, amount="20.000", at=morning)
    second = points_earn(
        membership_id=member.pk, amount="20.000", at=morning + datetime.timedelta(hours=3)
    )
    third = points_earn(
        membership_id=member.pk, amount="20.000", at=morning + datetime.timedelta(hours=4)
    )
    next_day = points_earn(
        membership_id=member.pk, amount="20.000", at=morning + datetime.timedelta(days=1)
    )

    assert [e.points for e in (first, second, third, next_day)] == [200, 50, 0, 200]
    assert second.explanation["capped_by"] == "daily_cap"
    member.refresh_from_db()
    assert member.total_visits == 4
    told = Outbox.objects.filter(membership_id=member.pk, event=Event.POINTS_EARNED)
    assert sorted(o.context["points"] for o in told) == [50, 200, 200]  # no "0 points!"


def test_the_best_campaign_multiplies_after_the_tier(programme) -> None:
    happy = Campaign.objects.create(
        name="Happy Hour",
        name_ar="ساعة السعادة",
        kind=Campaign.Kind.WEEKLY,
        multiplier=Decimal("2"),
        weekdays="2",
        start_time=datetime.time(16),
        end_time=datetime.time(18),
    )
    Campaign.objects.create(
        name="Ramadan",
        kind=Campaign.Kind.DATES,
        multiplier=Decimal("1.5"),
        starts_on=datetime.date(2026, 11, 1),
        ends_on=datetime.date(2026, 11, 30),
    )
    member = programme.member(tier=programme.silver)
    tuesday_5pm = datetime.datetime(2026, 11, 24, 17, 0, tzinfo=AMMAN)
    tuesday_7pm = tuesday_5pm + datetime.timedelta(hours=2)

    in_window = points_earn(membership_id=member.pk, amount="10.000", at=tuesday_5pm)
    after = points_earn(membership_id=member.pk, amount="10.000", at=tuesday_7pm)

    # 10 x 10 x 1.5 (Silver) x 2 (best campaign: Happy Hour beats Ramadan's 1.5)
    assert in_window.points == 300
    assert in_window.description == (
        "10.000 JOD × 10 points/JOD × 1.5 (Silver) × 2 (Happy Hour) = 300 points"
    )
    # After 18:00 only Ramadan applies: 10 x 10 x 1.5 x 1.5
    assert after.points == 225
    assert after.explanation["campaign"]["name"] == "Ramadan"
    assert happy.pk


def test_a_campaign_limited_to_tiers_or_categories_applies_only_to_them(programme) -> None:
    gold_only = Campaign.objects.create(
        name="Gold week",
        kind=Campaign.Kind.DATES,
        multiplier=Decimal("3"),
        starts_on=datetime.date(2026, 1, 1),
        ends_on=datetime.date(2026, 12, 31),
    )
    gold_only.tiers.add(programme.gold)
    drinks_only = Campaign.objects.create(
        name="Drinks x2",
        kind=Campaign.Kind.DATES,
        multiplier=Decimal("2"),
        starts_on=datetime.date(2026, 1, 1),
        ends_on=datetime.date(2026, 12, 31),
    )
    drinks_only.reward_categories.add(programme.drinks)
    member = programme.member()
    at = datetime.datetime(2026, 11, 25, 10, tzinfo=AMMAN)

    plain = points_earn(membership_id=member.pk, amount="10.000", at=at)
    drink = points_earn(
        membership_id=member.pk, amount="10.000", at=at, category_id=programme.drinks.pk
    )

    assert (plain.points, drink.points) == (100, 200)


def test_crossing_a_threshold_upgrades_at_once_and_notifies(programme) -> None:
    member = programme.member()

    first = points_earn(membership_id=member.pk, amount="49.900")  # 499 at Bronze
    second = points_earn(membership_id=member.pk, amount="1.000")  # 10 more: 509 >= 500

    member.refresh_from_db()
    assert member.tier == programme.silver
    assert (first.points, second.points) == (499, 10)
    upgrade = Outbox.objects.get(membership_id=member.pk, event="tier_upgraded")
    assert upgrade.context["tier"] == "Silver"
    # The next purchase earns at the new multiplier.
    assert points_earn(membership_id=member.pk, amount="10.000").points == 150


def test_referral_pays_both_sides_on_the_first_purchase_only(programme) -> None:
    PointsSettings.objects.filter(pk=1).update(
        referral_bonus_referrer=100, referral_bonus_referred=50
    )
    referrer = programme.member()
    referred = membership_join(customer=customer_make(), referral_code=referrer.referral_code)

    points_earn(membership_id=referred.pk, amount="10.000")
    points_earn(membership_id=referred.pk, amount="10.000")

    referrer.refresh_from_db()
    referred.refresh_from_db()
    assert referrer.current_points == 100
    assert referred.current_points == 100 + 100 + 50
    assert referred.referral_paid
    assert LedgerEntry.objects.filter(bonus_kind="referral").count() == 2


def test_an_unknown_referral_code_is_refused(programme) -> None:
    with pytest.raises(DomainError) as refused:
        membership_join(customer=customer_make(), referral_code="NOPE42")
    assert refused.value.code == "invalid_referral_code"
    assert not Membership.objects.exists()


def test_joining_pays_the_welcome_bonus_once(programme) -> None:
    PointsSettings.objects.filter(pk=1).update(welcome_bonus=25)
    customer = customer_make()

    member = membership_join(customer=customer)
    again = membership_join(customer=customer)

    assert again.pk == member.pk
    member.refresh_from_db()
    assert member.current_points == 25
    assert member.tier == programme.bronze
    assert Outbox.objects.filter(membership_id=member.pk, event="welcome").count() == 1
    welcome = LedgerEntry.objects.get(membership=member)
    assert (welcome.kind, welcome.bonus_kind, welcome.points) == ("bonus", "welcome", 25)


def test_an_earn_is_two_statements_and_returns_the_member_it_left(programme) -> None:
    # The claim with the lock and everything the rules read (a daily cap and a campaign
    # included); the writes: entry, lot, counters, message and the claim's result.
    PointsSettings.objects.filter(pk=1).update(daily_earn_cap=5000, expiry_months=12)
    Campaign.objects.create(
        name="Every day",
        kind=Campaign.Kind.WEEKLY,
        multiplier=Decimal("2"),
        weekdays="1,2,3,4,5,6,7",
        start_time=datetime.time(0),
        end_time=datetime.time(23, 59),
    )
    noon = datetime.datetime(2026, 11, 24, 12, 0, tzinfo=AMMAN)
    merchant = Merchant.objects.get(schema_name=connection.schema_name)

    # At noon: an earn dated on a closed day would drop that day's sums (points.daily).
    with tenant_context(merchant), time_machine.travel(noon, tick=False):  # as a request has it
        member = programme.member(tier=programme.silver, name="Rania")
        with CaptureQueriesContext(connection) as sent:
            entry = points_earn(
                membership_id=member.pk,
                amount="50.000",
                actor=programme.cashier,
                idempotency_key="three-1",
                at=noon,
            )

    statements = [q["sql"] for q in sent.captured_queries if "SAVEPOINT" not in q["sql"]]
    assert len(statements) == 2, statements
    assert statements[0].lstrip().startswith("WITH claim AS (INSERT")
    assert entry.points == 1500  # 50 x 10 x 1.5 (Silver) x 2 (Every day)
    with CaptureQueriesContext(connection) as read:
        left = entry.membership
        shown = (left.current_points, left.total_visits, left.customer.name, left.tier)
    assert shown == (1500, 1, "Rania", programme.silver)
    assert read.captured_queries == []
    stored = Membership.objects.get(pk=member.pk)
    assert (stored.current_points, stored.last_visit_at) == (1500, noon)
    assert PointsLot.objects.get(entry=entry).expires_on == datetime.date(2027, 11, 24)
    message = Outbox.objects.get(membership_id=member.pk, event=Event.POINTS_EARNED)
    assert (message.context["entry_id"], message.context["balance"]) == (entry.pk, 1500)
    again = points_earn(
        membership_id=member.pk,
        amount="50.000",
        actor=programme.cashier,
        idempotency_key="three-1",
        at=noon,
    )
    assert again.pk == entry.pk and again.membership.customer.name == "Rania"
