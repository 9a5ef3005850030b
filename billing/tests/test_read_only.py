"""A merchant whose subscription lapsed is read-only: nothing is earned, redeemed or
changed, nothing is deleted, and its customers keep their balance, history and
vouchers; paying again opens it at once, with the expiries moved by the pause."""

import datetime
from typing import Any

import pytest
import time_machine
from django.contrib.auth.models import User
from django_tenants.utils import schema_context

from billing.services import merchant_billing_set, subscription_apply
from points.models import LedgerEntry, Membership, PointsLot
from points.services import birthday_bonuses_pay, points_earn, points_expire
from rewards.models import Redemption, Reward
from rewards.services import redemption_approve, redemption_create, redemptions_expire
from tenants.models import Merchant
from tests.api import api, customer_sign_in, staff_sign_in
from tests.fixtures import PASSWORD, HostClient

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 6, 15, 9, 0, tzinfo=datetime.UTC)
PAUSED = "This shop&#x27;s loyalty programme is paused"


def _trial_ended(merchant_id: int, days_ago: int = 1) -> Merchant:
    """The merchant's trial ended `days_ago` days before NOW and nobody paid: the job
    that records it has not run, the clock alone makes it read-only."""
    merchant = Merchant.objects.get(pk=merchant_id)
    merchant.billing_status = Merchant.Billing.TRIALING
    merchant.trial_ends_at = NOW - datetime.timedelta(days=days_ago)
    merchant.save()
    assert merchant.is_read_only
    return merchant


def _error(response: Any) -> tuple[int, str]:
    return response.status_code, response.json()["error"]["code"]


def test_a_lapsed_merchant_refuses_earn_and_redeem_and_its_customer_keeps_everything(
    merchant_a, programme
) -> None:
    with time_machine.travel(NOW, tick=False):
        customer = api(merchant_a.host, customer_sign_in("+962799992001")["access"])
        staff = api(
            merchant_a.host,
            staff_sign_in(merchant_a.host, programme.cashier.email, "x")["access"],
        )
        member_id = customer.post("/api/v1/join", {}, format="json").json()["id"]
        earned = staff.post(
            "/api/v1/staff/earn", {"member_id": member_id, "amount": "30.000"}, format="json"
        )
        assert earned.status_code == 201
        voucher = customer.post(f"/api/v1/rewards/{programme.free_coffee.pk}/redeem")
        assert voucher.status_code == 201
        approved = staff.post(f"/api/v1/staff/redemptions/{voucher.json()['id']}/approve")
        assert approved.json()["status"] == "approved"
        before = {
            path: customer.get(path).json()
            for path in ("/api/v1/membership", "/api/v1/membership/history", "/api/v1/redemptions")
        }
        assert before["/api/v1/membership"]["current_points"] == 200
        entries = LedgerEntry.objects.count()

        merchant = _trial_ended(merchant_a.merchant.pk)

        refused_earn = staff.post(
            "/api/v1/staff/earn", {"member_id": member_id, "amount": "20.000"}, format="json"
        )
        refused_redeem = customer.post(f"/api/v1/rewards/{programme.free_coffee.pk}/redeem")
        assert _error(refused_earn) == (403, "merchant_inactive")
        assert refused_earn.json()["error"]["message"] == (
            "This shop's loyalty programme is paused: points and vouchers are kept, but "
            "nothing can be earned or redeemed until the owner renews the plan."
        )
        assert _error(refused_redeem) == (403, "merchant_inactive")
        arabic = customer.post(
            f"/api/v1/rewards/{programme.free_coffee.pk}/redeem", HTTP_ACCEPT_LANGUAGE="ar"
        )
        assert arabic.json()["error"]["message"].startswith("برنامج الولاء في هذا المتجر متوقف")
        assert LedgerEntry.objects.count() == entries
        after = {path: customer.get(path).json() for path in before}
        assert after == before
        assert [r["status"] for r in after["/api/v1/redemptions"]["results"]] == ["approved"]
        assert customer.get("/api/v1/rewards").status_code == 200

        # Stripe says the subscription is paid: earning works again at once.
        subscription_apply(
            merchant_id=merchant.pk, data={"id": "sub_back", "status": "active"}, seen_at=NOW
        )
        again = staff.post(
            "/api/v1/staff/earn", {"member_id": member_id, "amount": "20.000"}, format="json"
        )
        assert again.status_code == 201
        assert again.json()["entry"]["balance_after"] == 400


def test_a_lapsed_merchant_takes_no_new_member(merchant_a, programme) -> None:
    with time_machine.travel(NOW, tick=False):
        customer = api(merchant_a.host, customer_sign_in("+962799992002")["access"])
        _trial_ended(merchant_a.merchant.pk)

        joined = customer.post("/api/v1/join", {}, format="json")

        assert _error(joined) == (403, "merchant_inactive")
        assert Membership.objects.count() == 0


def _owner(merchant_a) -> HostClient:
    owner = HostClient(merchant_a.host)
    signed_in = owner.post(
        "/admin/login/", {"username": merchant_a.owner_email, "password": PASSWORD}
    )
    assert signed_in.status_code == 302
    return owner


def test_the_dashboard_of_a_lapsed_merchant_shows_everything_and_changes_nothing(
    merchant_a, programme
) -> None:
    member = programme.member()
    reward = programme.free_coffee
    with time_machine.travel(NOW, tick=False):
        owner = _owner(merchant_a)
        _trial_ended(merchant_a.merchant.pk)

        rewards = owner.get("/admin/rewards/reward/")
        change = owner.get(f"/admin/rewards/reward/{reward.pk}/change/")
        members = owner.get("/admin/points/membership/")
        assert (rewards.status_code, change.status_code, members.status_code) == (200, 200, 200)
        assert "/admin/rewards/reward/add/" not in rewards.content.decode()
        assert 'name="_save"' not in change.content.decode()
        assert owner.get("/admin/rewards/reward/add/").status_code == 403

        saved = owner.post(
            f"/admin/rewards/reward/{reward.pk}/change/", {"name": "Changed"}, follow=True
        )
        assert saved.redirect_chain == [("/admin/rewards/reward/", 302)]
        assert PAUSED in saved.content.decode()
        assert 'href="/admin/subscription/"' in saved.content.decode()
        assert Reward.objects.get(pk=reward.pk).name == reward.name

        adjusted = owner.post(
            f"/admin/points/membership/{member.pk}/adjust/", {"points": "500", "reason": "Gift"}
        )
        assert adjusted.status_code == 302
        invited = owner.post(
            "/admin/auth/user/add/",
            {"email": "new@t.jo", "role": "cashier", "is_active": "on", "password": ""},
        )
        assert invited.status_code == 302
        assert not User.objects.filter(email="new@t.jo").exists()
        member.refresh_from_db()
        assert member.current_points == 0

        counter = owner.get("/admin/counter/")
        assert 'data-testid="counter-read-only"' in counter.content.decode()
        scan = owner.post(
            "/admin/counter/earn",
            {"member_id": member.pk, "amount": "5.000"},
            content_type="application/json",
        )
        assert _error(scan) == (403, "merchant_inactive")

        # The way out stays open: the subscription page, the language, the password,
        # and signing out.
        assert owner.get("/admin/subscription/").status_code == 200
        assert owner.post("/admin/subscription/").status_code == 200  # not refused
        language = owner.post("/i18n/setlang/", {"language": "ar", "next": "/admin/"})
        assert (language.status_code, language["Location"]) == (302, "/admin/")
        changed = owner.post(
            "/admin/password_change/",
            {
                "old_password": PASSWORD,
                "new_password1": "a-new-pass-2026!",
                "new_password2": "a-new-pass-2026!",
            },
        )
        assert (changed.status_code, changed["Location"]) == (302, "/admin/password_change/done/")
        assert owner.post("/admin/logout/").status_code == 200


def test_paying_again_opens_the_dashboard_at_once(merchant_a, programme) -> None:
    with time_machine.travel(NOW, tick=False):
        owner = _owner(merchant_a)
        merchant = _trial_ended(merchant_a.merchant.pk)
        assert (
            "/admin/rewards/reward/add/" not in owner.get("/admin/rewards/reward/").content.decode()
        )

        merchant_billing_set(merchant, Merchant.Billing.ACTIVE, at=NOW)
        merchant.save()

        assert "/admin/rewards/reward/add/" in owner.get("/admin/rewards/reward/").content.decode()


def test_nothing_expires_while_read_only_and_paying_again_moves_expiries_by_the_pause(
    merchant_a, programme
) -> None:
    member = programme.member()
    with time_machine.travel(NOW - datetime.timedelta(days=30), tick=False):
        points_earn(membership_id=member.pk, amount="30")  # 300 points
        points_earn(membership_id=member.pk, amount="10")  # 100 points
        pending = redemption_create(membership_id=member.pk, reward_id=programme.free_coffee.pk)
        approved = redemption_create(membership_id=member.pk, reward_id=programme.free_coffee.pk)
        redemption_approve(redemption_id=approved.pk, actor=programme.manager)
    during, before = PointsLot.objects.filter(membership=member).order_by("id")
    left_before = before.remaining
    # One lot's date falls in the read-only time, one fell before it began.
    PointsLot.objects.filter(pk=during.pk).update(expires_on=datetime.date(2026, 6, 13))
    PointsLot.objects.filter(pk=before.pk).update(expires_on=datetime.date(2026, 6, 5))
    Redemption.objects.filter(pk=pending.pk).update(expires_at=NOW - datetime.timedelta(days=1))
    Redemption.objects.filter(pk=approved.pk).update(expires_at=NOW + datetime.timedelta(days=3))
    Membership.objects.filter(pk=member.pk).update(tier_review_on=datetime.date(2026, 6, 14))

    merchant = _trial_ended(merchant_a.merchant.pk, days_ago=5)  # since 10 June, 09:00
    with time_machine.travel(NOW, tick=False):
        assert (points_expire(), redemptions_expire(), birthday_bonuses_pay()) == (0, 0, 0)
    member.refresh_from_db()
    assert member.current_points == 200  # 400 earned, 200 in two vouchers: all kept
    assert Redemption.objects.get(pk=pending.pk).status == Redemption.Status.PENDING

    paid = NOW + datetime.timedelta(days=10, hours=1)  # 15 days and 1 hour after 10 June
    with time_machine.travel(paid, tick=False):
        merchant_billing_set(merchant, Merchant.Billing.ACTIVE, at=paid)
        merchant.save()
        assert points_expire() == 1

    assert PointsLot.objects.get(pk=during.pk).expires_on == datetime.date(2026, 6, 29)
    assert Membership.objects.get(pk=member.pk).tier_review_on == datetime.date(2026, 6, 30)
    assert PointsLot.objects.get(pk=before.pk).remaining == 0
    pause = datetime.timedelta(days=15, hours=1)
    assert (
        Redemption.objects.get(pk=pending.pk).expires_at == NOW - datetime.timedelta(days=1) + pause
    )
    assert (
        Redemption.objects.get(pk=approved.pk).expires_at
        == NOW + datetime.timedelta(days=3) + pause
    )
    member.refresh_from_db()
    # The lot that expired before the pause goes as it would have; the other is kept.
    assert member.current_points == 200 - left_before


def test_a_read_only_merchant_recorded_by_the_job_is_read_only_too(merchant_a, programme) -> None:
    member = programme.member()
    merchant = Merchant.objects.get(pk=merchant_a.merchant.pk)
    merchant_billing_set(merchant, Merchant.Billing.READ_ONLY, at=NOW, reason="unpaid")
    merchant.save()

    with schema_context(merchant_a.schema), pytest.raises(Exception) as refused:
        points_earn(membership_id=member.pk, amount="10")

    assert getattr(refused.value, "code", None) == "merchant_inactive"
    assert LedgerEntry.objects.filter(membership=member, kind="earn").count() == 0


def test_every_dashboard_page_of_a_lapsed_merchant_answers_read_only(demo) -> None:
    from dashboard.tests.test_pages import admin_pages, signed_in

    owner = signed_in("owner")
    merchant = Merchant.objects.get(schema_name="cafe_aroma")
    merchant_billing_set(merchant, Merchant.Billing.READ_ONLY, at=NOW, reason="canceled")
    merchant.save()

    for url, _name in admin_pages():
        expected = 302 if url.endswith("/pointssettings/") else 200
        page = owner.get(url)
        assert page.status_code == expected, (url, page.status_code)
        assert 'name="_save"' not in page.content.decode(), url
    for extra in ("/admin/", "/admin/counter/", "/admin/subscription/", "/admin/profile/"):
        assert owner.get(extra).status_code == 200, extra
