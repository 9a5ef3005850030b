"""A plan's limits, refused by name (`plan_limit_reached`, with the limit, how many the
plan allows, the plan and how many are used) in the API and in the dashboard, and
nothing added when refused."""

from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth.models import User
from django_tenants.utils import schema_context

from billing.models import Plan
from loyalty.errors import DomainError
from messaging.models import EventSetting, Outbox
from notifications.models import Broadcast
from notifications.services import broadcast_send
from points.models import Membership, PointsSettings
from points.services import membership_join
from points.tests.factories import customer_make
from rewards.models import Reward
from tenants.models import Merchant
from tests.api import api, customer_sign_in, staff_sign_in
from tests.fixtures import PASSWORD, HostClient
from tests.threads import committed, run_together

pytestmark = pytest.mark.django_db


def _on_plan(merchant_id: int, **limits: Any) -> Plan:
    plan = Plan.objects.create(
        code="tiny", name="Tiny", name_ar="صغيرة", price=Decimal("5.000"), **limits
    )
    merchant = Merchant.objects.get(pk=merchant_id)
    merchant.plan = plan
    merchant.save()
    return plan


def _owner_dashboard(merchant_a) -> HostClient:
    owner = HostClient(merchant_a.host)
    owner.post("/admin/login/", {"username": merchant_a.owner_email, "password": PASSWORD})
    return owner


STAFF_REFUSAL = "Your Tiny plan allows 3 staff members. Upgrade to add more."


def test_one_staff_member_over_the_plan_is_refused_in_the_api(merchant_a, programme) -> None:
    assert User.objects.filter(is_active=True).count() == 3  # the owner, a cashier, a manager
    plan = _on_plan(merchant_a.merchant.pk, max_staff=3)
    token = staff_sign_in(merchant_a.host, merchant_a.owner_email, PASSWORD)["access"]
    owner = api(merchant_a.host, token)
    invitation = {"email": "fourth@t.jo", "role": "cashier", "name": "Rami Odeh"}

    refused = owner.post("/api/v1/staff/team/invitations", invitation, format="json")

    assert refused.status_code == 403
    assert refused.json() == {
        "error": {
            "code": "plan_limit_reached",
            "message": STAFF_REFUSAL,
            "fields": {"limit": "staff", "allowed": 3, "plan": "tiny", "used": 3},
        }
    }
    assert not User.objects.filter(email="fourth@t.jo").exists()
    assert not Outbox.objects.filter(event="staff_invite").exists()

    Plan.objects.filter(pk=plan.pk).update(max_staff=4)
    invited = owner.post("/api/v1/staff/team/invitations", invitation, format="json")

    assert invited.status_code == 201
    user = User.objects.get(email="fourth@t.jo")
    assert invited.json() == {
        "id": user.pk,
        "email": "fourth@t.jo",
        "name": "Rami Odeh",
        "role": "cashier",
        "invited": True,
    }
    assert Outbox.objects.filter(event="staff_invite", to_email="fourth@t.jo").count() == 1
    again = owner.post("/api/v1/staff/team/invitations", invitation, format="json")
    assert (again.status_code, again.json()["error"]["code"]) == (409, "staff_email_taken")


def test_only_the_owner_invites_staff_in_the_api(merchant_a, programme) -> None:
    token = staff_sign_in(merchant_a.host, programme.manager.email, "x")["access"]

    refused = api(merchant_a.host, token).post(
        "/api/v1/staff/team/invitations",
        {"email": "fifth@t.jo", "role": "cashier"},
        format="json",
    )

    assert refused.status_code == 403
    assert not User.objects.filter(email="fifth@t.jo").exists()


def test_one_staff_member_over_the_plan_is_refused_in_the_dashboard(merchant_a, programme) -> None:
    _on_plan(merchant_a.merchant.pk, max_staff=3)
    owner = _owner_dashboard(merchant_a)

    page = owner.post(
        "/admin/auth/user/add/",
        {
            "email": "fourth@t.jo",
            "first_name": "Rami",
            "last_name": "",
            "is_active": "on",
            "role": "cashier",
            "password": "",
        },
    )

    assert page.status_code == 200
    html = page.content.decode()
    assert STAFF_REFUSAL in html
    assert (
        '<a href="/admin/subscription/" class="font-semibold underline" '
        'data-testid="upgrade">Upgrade</a>' in html
    )
    assert not User.objects.filter(email="fourth@t.jo").exists()


def test_a_member_over_the_plan_cannot_join(merchant_a, programme) -> None:
    programme.member()
    _on_plan(merchant_a.merchant.pk, max_members=1)
    customer = api(merchant_a.host, customer_sign_in("+962799993001")["access"])

    joined = customer.post("/api/v1/join", {}, format="json", HTTP_ACCEPT_LANGUAGE="ar")

    assert joined.status_code == 403
    assert joined.json()["error"] == {
        "code": "plan_limit_reached",
        "message": "باقة صغيرة تسمح بعدد 1 من الأعضاء. رقِّ باقتك لإضافة المزيد.",
        "fields": {"limit": "members", "allowed": 1, "plan": "tiny", "used": 1},
    }
    assert Membership.objects.count() == 1


REWARD = {
    "name": "Free bread",
    "name_ar": "خبز مجاني",
    "kind": "free_item",
    "value": "",
    "points_cost": "50",
    "description": "",
    "description_ar": "",
    "is_active": "on",
}


def test_an_active_reward_over_the_plan_is_refused_in_the_dashboard(merchant_a, programme) -> None:
    _on_plan(merchant_a.merchant.pk, max_rewards=1)  # the free coffee is offered already
    owner = _owner_dashboard(merchant_a)

    refused = owner.post("/admin/rewards/reward/add/", REWARD)
    inactive = owner.post("/admin/rewards/reward/add/", {**REWARD, "is_active": ""})

    assert refused.status_code == 200
    assert (
        "Your Tiny plan allows 1 active rewards. Upgrade to offer more." in refused.content.decode()
    )
    assert inactive.status_code == 302  # a reward not offered yet counts for nothing
    bread = Reward.objects.get(name="Free bread")
    assert bread.is_active is False

    offered = owner.post(f"/admin/rewards/reward/{bread.pk}/change/", REWARD)

    assert offered.status_code == 200
    assert "Upgrade to offer more." in offered.content.decode()
    assert Reward.objects.filter(is_active=True).count() == 1


def test_whatsapp_outside_the_plan_is_refused_when_it_is_chosen(merchant_a, programme) -> None:
    _on_plan(merchant_a.merchant.pk, whatsapp=False, sms_per_month=100)
    owner = _owner_dashboard(merchant_a)
    owner.get("/admin/messaging/eventsetting/")  # every event has its row
    setting = EventSetting.objects.get(event="welcome")

    page = owner.post(
        f"/admin/messaging/eventsetting/{setting.pk}/change/",
        {
            "push": "on",
            "whatsapp": "on",
            "title_en": "",
            "body_en": "",
            "title_ar": "",
            "body_ar": "",
        },
    )

    assert page.status_code == 200
    assert "Your Tiny plan does not include WhatsApp messages. Upgrade to use them." in (
        page.content.decode()
    )
    setting.refresh_from_db()
    assert setting.whatsapp is False


def test_a_text_broadcast_is_refused_when_the_months_texts_are_used_up(
    merchant_a, programme
) -> None:
    programme.member()
    _on_plan(merchant_a.merchant.pk, sms_per_month=0)
    by_text = Broadcast.objects.create(title_en="Offer", body_en="Half price", push=False, sms=True)

    with pytest.raises(DomainError) as refused:
        broadcast_send(broadcast_id=by_text.pk)

    assert (refused.value.code, refused.value.fields) == (
        "plan_limit_reached",
        {"limit": "texts", "allowed": 0, "plan": "tiny", "used": 0},
    )
    by_text.refresh_from_db()
    assert by_text.status == Broadcast.Status.DRAFT


def test_of_two_joins_at_once_for_the_last_place_one_is_refused(busy_merchant) -> None:
    schema, _programme = busy_merchant
    with schema_context(schema):
        merchant = Merchant.objects.get(schema_name=schema)
        members = Membership.objects.count()
        customers = committed(lambda: [customer_make(), customer_make()])

        def plan_set(plan_id: int | None) -> None:
            Merchant.objects.filter(pk=merchant.pk).update(plan_id=plan_id)

        last_place = committed(
            lambda: Plan.objects.create(code="last-place", name="Last", max_members=members + 1)
        )
        committed(lambda: plan_set(last_place.pk))
        try:
            results = run_together(2, schema, lambda i: membership_join(customer=customers[i]).pk)
        finally:
            committed(lambda: plan_set(merchant.plan_id))
            committed(lambda: Plan.objects.filter(pk=last_place.pk).delete())

        outcomes = sorted(r if isinstance(r, str) else "joined" for r in results)
        assert outcomes == ["joined", "plan_limit_reached"]
        assert Membership.objects.count() == members + 1


def test_the_counter_enrols_nobody_past_the_members_limit(merchant_a, programme) -> None:
    programme.member()
    PointsSettings.objects.update(enrol_without_code=True)
    _on_plan(merchant_a.merchant.pk, max_members=1)
    owner = _owner_dashboard(merchant_a)

    enrolled = owner.post(
        "/admin/counter/enrol/confirm",
        {"phone": "0799993002", "without_code": True},
        content_type="application/json",
    )

    assert enrolled.status_code == 403
    assert enrolled.json()["error"] == {
        "code": "plan_limit_reached",
        "message": "Your Tiny plan allows 1 members. Upgrade to add more.",
        "fields": {"limit": "members", "allowed": 1, "plan": "tiny", "used": 1},
    }
    assert Membership.objects.count() == 1
