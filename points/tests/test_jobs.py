"""Daily jobs: expiry, expiry warnings, birthdays, tier requalification."""

import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import ProtectedError

from customers.models import Customer
from loyalty.db import connection
from messaging.models import Outbox
from points.models import LedgerEntry, Membership, PointsLot, PointsSettings
from points.reconcile import Orphan, reconcile
from points.selectors import tier_progress
from points.services import (
    birthday_bonuses_pay,
    points_earn,
    points_expire,
    points_void,
    points_warn_expiring,
    tiers_requalify,
)
from rewards.services import redemption_cancel, redemption_create

AMMAN = ZoneInfo("Asia/Amman")


def at(day: str, hour: int = 12) -> datetime.datetime:
    return datetime.datetime.fromisoformat(day).replace(hour=hour, tzinfo=AMMAN)


def test_expiry_takes_the_oldest_lots_and_writes_one_entry(programme) -> None:
    PointsSettings.objects.filter(pk=1).update(expiry_months=6)
    member = programme.member()
    january = points_earn(membership_id=member.pk, amount="8.000", at=at("2026-01-10"))  # 80
    march = points_earn(membership_id=member.pk, amount="5.000", at=at("2026-03-10"))  # 50
    # A redemption takes the oldest lot first: 80 from January, 20 from March.
    redemption_create(
        membership_id=member.pk, reward_id=programme.free_coffee.pk, at=at("2026-04-01")
    )
    assert PointsLot.objects.get(entry=january).expires_on == datetime.date(2026, 7, 10)

    assert points_expire(at=at("2026-07-10", 1)) == 0  # January's lot is already spent
    assert points_expire(at=at("2026-09-10", 1)) == 1
    assert points_expire(at=at("2026-09-10", 2)) == 0

    member.refresh_from_db()
    expired = LedgerEntry.objects.get(membership_id=member.pk, kind="expire")
    assert expired.points == -30 and member.current_points == 0
    assert PointsLot.objects.get(entry=march).remaining == 0
    assert reconcile().drifts == []


def test_a_policy_change_never_redates_points_already_earned(programme) -> None:
    PointsSettings.objects.filter(pk=1).update(expiry_months=12)
    member = programme.member()
    before = points_earn(membership_id=member.pk, amount="1.000", at=at("2026-01-15"))

    PointsSettings.objects.filter(pk=1).update(expiry_months=3)
    after = points_earn(membership_id=member.pk, amount="1.000", at=at("2026-02-15"))
    PointsSettings.objects.filter(pk=1).update(expiry_months=None)
    never = points_earn(membership_id=member.pk, amount="1.000", at=at("2026-02-16"))

    assert PointsLot.objects.get(entry=before).expires_on == datetime.date(2027, 1, 15)
    assert PointsLot.objects.get(entry=after).expires_on == datetime.date(2026, 5, 15)
    assert PointsLot.objects.get(entry=never).expires_on is None


def test_members_are_warned_once_a_week_before_points_expire(programme) -> None:
    PointsSettings.objects.filter(pk=1).update(expiry_months=1)
    member = programme.member()
    points_earn(membership_id=member.pk, amount="4.000", at=at("2026-01-20"))

    assert points_warn_expiring(at=at("2026-02-12")) == 0  # 8 days before
    assert points_warn_expiring(at=at("2026-02-13")) == 1  # 7 days before
    assert points_warn_expiring(at=at("2026-02-14")) == 0  # already warned

    warning = Outbox.objects.get(membership_id=member.pk, event="points_expiring")
    assert warning.context == {"points": 40, "expires_on": "2026-02-20", "balance": 40}


def test_birthday_bonus_is_paid_once_a_year(programme) -> None:
    PointsSettings.objects.filter(pk=1).update(birthday_bonus=200)
    member = programme.member(birthday=datetime.date(1990, 11, 25))
    programme.member(birthday=datetime.date(1990, 11, 26))

    assert birthday_bonuses_pay(at=at("2026-11-25")) == 1
    assert birthday_bonuses_pay(at=at("2026-11-25", 18)) == 0
    assert birthday_bonuses_pay(at=at("2027-11-25")) == 1

    member.refresh_from_db()
    assert member.current_points == 400
    assert Outbox.objects.filter(membership_id=member.pk, event="birthday").count() == 2


def test_a_leap_day_birthday_is_celebrated_on_28_february(programme) -> None:
    PointsSettings.objects.filter(pk=1).update(birthday_bonus=50)
    member = programme.member(birthday=datetime.date(2000, 2, 29))

    assert birthday_bonuses_pay(at=at("2027-02-28")) == 1
    member.refresh_from_db()
    assert member.current_points == 50


def test_requalification_warns_then_downgrades_with_points_needed(programme) -> None:
    PointsSettings.objects.filter(pk=1).update(tier_window_months=12, tier_warning_days=14)
    member = programme.member()
    points_earn(membership_id=member.pk, amount="30.000", at=at("2025-12-01"))  # 300, Bronze
    points_earn(membership_id=member.pk, amount="30.000", at=at("2026-01-05"))  # 600: Silver
    member.refresh_from_db()
    assert member.tier == programme.silver
    assert member.tier_review_on == datetime.date(2027, 1, 5)
    # To keep Silver on 5 January 2027, 500 points must be earned from 5 January 2026:
    # 300 that day and 150 in June (10 JOD at 1.5x) leave 50 to go.
    points_earn(membership_id=member.pk, amount="10.000", at=at("2026-06-01"))

    assert tiers_requalify(at=at("2026-12-21")) == {"reviewed": 0, "downgraded": 0, "warned": 0}
    assert tiers_requalify(at=at("2026-12-22")) == {"reviewed": 0, "downgraded": 0, "warned": 1}
    assert tiers_requalify(at=at("2026-12-23"))["warned"] == 0
    warning = Outbox.objects.get(membership_id=member.pk, event="tier_at_risk")
    assert (warning.context["needed"], warning.context["tier"]) == ("50", "Silver")
    assert tier_progress(member, at=at("2026-12-22")).needed_to_keep == 50

    assert tiers_requalify(at=at("2027-01-05")) == {"reviewed": 1, "downgraded": 1, "warned": 0}
    member.refresh_from_db()
    assert member.tier == programme.bronze
    assert member.tier_review_on == datetime.date(2028, 1, 5)
    assert Outbox.objects.filter(membership_id=member.pk, event="tier_downgraded").exists()


def test_requalification_keeps_a_tier_earned_again_within_the_window(programme) -> None:
    PointsSettings.objects.filter(pk=1).update(tier_window_months=12)
    member = programme.member()
    points_earn(membership_id=member.pk, amount="60.000", at=at("2026-01-10"))
    points_earn(membership_id=member.pk, amount="55.000", at=at("2026-10-01"))

    assert tiers_requalify(at=at("2027-01-10"))["downgraded"] == 0
    member.refresh_from_db()
    assert member.tier == programme.silver


def test_tiers_can_count_visits_or_spend(programme) -> None:
    PointsSettings.objects.filter(pk=1).update(tier_basis="visits")
    programme.silver.threshold = Decimal("3")
    programme.silver.save()
    member = programme.member()
    for _ in range(3):
        points_earn(membership_id=member.pk, amount="1.000")
    member.refresh_from_db()
    assert member.tier == programme.silver


def test_reconcile_reports_a_corrupted_balance(programme, merchant_a, capsys) -> None:
    member = programme.member()
    points_earn(membership_id=member.pk, amount="10.000")
    call_command("reconcile")
    assert "All" in capsys.readouterr().out

    Membership.objects.filter(pk=member.pk).update(current_points=999, total_visits=5)

    report = reconcile()
    assert {d.check for d in report.drifts} == {
        "balance = ledger sum",
        "balance = points left in lots",
        "balance = last balance_after",
        "total_visits",
    }
    try:
        call_command("reconcile")
    except Exception as error:  # CommandError: exits non-zero
        assert "drift in 1 merchant" in str(error)
    else:
        raise AssertionError("reconcile should fail on drift")
    out = capsys.readouterr().out
    assert (
        f"member #{member.member_number}: balance = ledger sum: stored 999, ledger says 100" in out
    )


def test_reconcile_reports_a_membership_whose_customer_is_gone(programme, capsys) -> None:
    member = programme.member()
    call_command("reconcile")
    assert "merchants reconcile." in capsys.readouterr().out
    assert reconcile().orphans == []

    # The ORM refuses to delete a customer; no foreign key stops raw SQL any more
    # (docs/scaling.md, item 6).
    with pytest.raises(ProtectedError, match="never deleted"):
        Customer.objects.filter(pk=member.customer_id).delete()
    with pytest.raises(ProtectedError, match="never deleted"):
        member.customer.delete()
    with connection.cursor() as cursor:
        cursor.execute("SELECT max(id) + 1000 FROM public.customers_customer")
        missing = cursor.fetchone()[0]
        cursor.execute(
            "UPDATE points_membership SET customer_id = %s WHERE id = %s", [missing, member.pk]
        )

    report = reconcile()
    assert report.orphans == [Orphan(member.pk, member.member_number, missing)]
    assert report.drifts == []
    with pytest.raises(CommandError, match="drift in 1 merchant"):
        call_command("reconcile")
    assert (
        f"member #{member.member_number}: customer #{missing} does not exist"
        " (an orphan membership)" in capsys.readouterr().out
    )


def test_a_missed_birthday_run_is_caught_up_within_the_week_once(programme) -> None:
    PointsSettings.objects.filter(pk=1).update(birthday_bonus=100)
    member = programme.member(birthday=datetime.date(1995, 12, 30))

    assert birthday_bonuses_pay(at=at("2026-12-30")) == 1
    # Into the new year the same birthday is still within the catch-up week: not again.
    assert birthday_bonuses_pay(at=at("2027-01-02")) == 0
    late = programme.member(birthday=datetime.date(1990, 12, 29))
    assert birthday_bonuses_pay(at=at("2027-01-02")) == 1  # missed on the 29th, paid now

    member.refresh_from_db()
    late.refresh_from_db()
    assert (member.current_points, late.current_points) == (100, 100)
    assert late.last_birthday_bonus_year == 2026


def test_voiding_an_earn_whose_points_expired_takes_only_what_is_left(programme) -> None:
    PointsSettings.objects.filter(pk=1).update(expiry_months=1)
    member = programme.member()
    old = points_earn(membership_id=member.pk, amount="10.000", at=at("2026-01-10"))  # 100
    points_expire(at=at("2026-02-10"))
    points_earn(membership_id=member.pk, amount="20.000", at=at("2026-02-11"))  # 200

    void = points_void(entry_id=old.pk, actor=programme.manager, at=at("2026-02-12"))

    member.refresh_from_db()
    assert void.points == 0
    assert void.explanation["already_expired"] == 100
    assert member.current_points == 200
    assert reconcile().drifts == []


def test_a_void_the_next_day_does_not_lift_that_days_cap(programme) -> None:
    PointsSettings.objects.filter(pk=1).update(daily_earn_cap=500)
    member = programme.member()
    yesterday = points_earn(membership_id=member.pk, amount="50.000", at=at("2026-03-01"))
    points_void(entry_id=yesterday.pk, actor=programme.manager, at=at("2026-03-02", 9))

    today = points_earn(membership_id=member.pk, amount="100.000", at=at("2026-03-02", 10))

    assert today.points == 500
    assert today.explanation["capped_by"] == "daily_cap"


def test_a_refund_into_an_expired_lot_comes_back_as_fresh_points(programme) -> None:
    PointsSettings.objects.filter(pk=1).update(expiry_months=1)
    member = programme.member()
    points_earn(membership_id=member.pk, amount="10.000", at=at("2026-01-10"))  # expires 02-10
    redemption = redemption_create(
        membership_id=member.pk, reward_id=programme.free_coffee.pk, at=at("2026-02-08")
    )

    redemption_cancel(redemption_id=redemption.pk, membership_id=member.pk, at=at("2026-02-12"))
    points_expire(at=at("2026-02-13"))

    member.refresh_from_db()
    assert member.current_points == 100
    fresh = PointsLot.objects.get(entry__kind="refund", membership=member)
    assert (fresh.remaining, fresh.expires_on) == (100, datetime.date(2026, 3, 12))
    assert reconcile().drifts == []


def test_one_run_expires_and_warns_many_members_as_one_member_at_a_time_would(programme) -> None:
    PointsSettings.objects.filter(pk=1).update(expiry_months=1)
    spent, whole, later, none = (programme.member() for _ in range(4))
    for member in (spent, whole, later):
        points_earn(membership_id=member.pk, amount="10.000", at=at("2026-01-10"))  # 100
    points_earn(membership_id=whole.pk, amount="3.000", at=at("2026-01-11"))  # 30
    points_earn(membership_id=later.pk, amount="5.000", at=at("2026-01-20"))  # 50, 02-20
    redemption_create(  # takes 100 of spent's lot: the coffee costs 100 points
        membership_id=spent.pk, reward_id=programme.free_coffee.pk, at=at("2026-01-15")
    )
    points_earn(membership_id=spent.pk, amount="4.000", at=at("2026-01-16"))  # 40, 02-16

    assert points_warn_expiring(at=at("2026-02-09", 1)) == 3  # all but `none`
    assert points_warn_expiring(at=at("2026-02-09", 2)) == 0
    warnings = {
        o.membership_id: o.context
        for o in Outbox.objects.filter(event="points_expiring").order_by("id")
    }
    assert warnings == {
        spent.pk: {"points": 40, "expires_on": "2026-02-16", "balance": 40},
        whole.pk: {"points": 130, "expires_on": "2026-02-10", "balance": 130},
        later.pk: {"points": 100, "expires_on": "2026-02-10", "balance": 150},
    }

    assert points_expire(at=at("2026-02-11", 1)) == 2  # whole's two lots, later's first
    assert points_expire(at=at("2026-02-11", 2)) == 0

    expired = {e.membership_id: e for e in LedgerEntry.objects.filter(kind="expire").order_by("id")}
    assert set(expired) == {whole.pk, later.pk}
    lots = list(PointsLot.objects.filter(membership=whole).order_by("id"))
    assert (expired[whole.pk].points, expired[whole.pk].balance_after) == (-130, 0)
    assert expired[whole.pk].explanation == {"lots": [lot.pk for lot in lots], "points": -130}
    assert expired[whole.pk].description == "Points expired: -130 points"
    assert expired[whole.pk].description_ar == "انتهت صلاحية النقاط: -130 نقطة"
    assert expired[whole.pk].created_at == at("2026-02-11", 1)
    assert [(c.lot_id, c.points) for c in expired[whole.pk].consumptions.order_by("id")] == [
        (lots[0].pk, 100),
        (lots[1].pk, 30),
    ]
    assert (expired[later.pk].points, expired[later.pk].balance_after) == (-100, 50)
    balances = dict(Membership.objects.values_list("pk", "current_points"))
    assert [balances[m.pk] for m in (spent, whole, later, none)] == [40, 0, 50, 0]
    assert reconcile().drifts == []
