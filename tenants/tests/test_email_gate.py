"""One gate for what costs money or reaches people: until the owner confirms the email,
a shop adjusts no points, invites no staff and takes no members (no welcome bonus, no
welcome message); and a new contact email has to be confirmed again, at its address."""

import json
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.utils import timezone
from django_tenants.utils import schema_context

from messaging.models import Outbox
from points.models import LedgerEntry, Membership, PointsSettings
from points.tests.factories import customer_make
from tenants.models import Merchant
from tenants.tests.test_signup_abuse import SHOP, signed_up_owner
from tests.api import api, customer_sign_in
from tests.fixtures import PASSWORD, HostClient

pytestmark = pytest.mark.django_db

REFUSAL = "Confirm the owner&#x27;s email address first"


def _member_of_falafel_king() -> Membership:
    with schema_context("falafel_king"):
        return Membership.objects.create(
            customer=customer_make(phone="+962797770301"),
            member_number="20000001",
            referral_code="FALAF1",
            joined_at=timezone.now(),
        )


def test_an_unconfirmed_shop_adjusts_no_points_in_the_dashboard() -> None:
    shop = signed_up_owner()
    member = _member_of_falafel_king()

    page = shop.post(
        f"/admin/points/membership/{member.pk}/adjust/", {"points": "500", "reason": "Gift"}
    )

    assert page.status_code == 200
    assert REFUSAL in page.content.decode()
    with schema_context("falafel_king"):
        assert LedgerEntry.objects.count() == 0
        member.refresh_from_db()
        assert member.current_points == 0


def test_an_unconfirmed_shop_sends_no_staff_invitation() -> None:
    shop = signed_up_owner()
    invite = {
        "email": "cashier@falafel.jo",
        "first_name": "Sami",
        "last_name": "",
        "is_active": "on",
        "role": "cashier",
        "password": "",
    }

    page = shop.post("/admin/auth/user/add/", invite)

    assert page.status_code == 200
    assert REFUSAL in page.content.decode()
    with schema_context("falafel_king"):
        assert not User.objects.filter(email="cashier@falafel.jo").exists()
        assert not Outbox.objects.filter(event="staff_invite").exists()


def test_an_unconfirmed_shop_takes_no_member_and_pays_no_welcome_bonus() -> None:
    signed_up_owner()
    with schema_context("falafel_king"):
        PointsSettings.objects.update(welcome_bonus=50)
    customer = customer_sign_in("+962797770302")

    joined = api(SHOP, customer["access"]).post("/api/v1/join", {}, format="json")

    assert joined.status_code == 403
    assert joined.json()["error"]["code"] == "email_unverified"
    with schema_context("falafel_king"):
        assert Membership.objects.count() == 0
        assert LedgerEntry.objects.count() == 0
        assert not Outbox.objects.filter(event="welcome").exists()


def _profile(merchant: Merchant, **changes: str) -> dict[str, Any]:
    return {
        "name": merchant.name,
        "name_ar": merchant.name_ar,
        "category": merchant.category,
        "city": merchant.city,
        "address": "",
        "contact_email": merchant.contact_email,
        "contact_phone": "",
        "timezone": merchant.timezone,
        **changes,
    }


def _checks_to(email: str) -> int:
    with schema_context("public"):
        return Outbox.objects.filter(event="owner_email_check", to_email=email).count()


def test_a_new_contact_email_is_confirmed_again_at_its_own_address(merchant_a, programme) -> None:
    member = programme.member()
    owner = HostClient(merchant_a.host)
    owner.post("/admin/login/", {"username": merchant_a.owner_email, "password": PASSWORD})
    merchant = Merchant.objects.get(pk=merchant_a.merchant.pk)
    old = merchant.contact_email
    verified_at = merchant.email_verified_at
    assert verified_at is not None

    # Saving the profile as it is keeps the confirmation and mails nobody.
    assert owner.post("/admin/profile/", _profile(merchant, city="Irbid")).status_code == 302
    merchant.refresh_from_db()
    assert (merchant.city, merchant.email_verified_at) == ("Irbid", verified_at)
    assert _checks_to(old) == 0

    changed = owner.post(
        "/admin/profile/", _profile(merchant, contact_email="new-owner@alpha.test"), follow=True
    )

    assert "We sent a link to new-owner@alpha.test" in changed.content.decode()
    merchant.refresh_from_db()
    assert (merchant.contact_email, merchant.email_verified_at) == ("new-owner@alpha.test", None)
    assert (_checks_to("new-owner@alpha.test"), _checks_to(old)) == (1, 0)
    earn = owner.post(
        "/admin/counter/earn",
        json.dumps({"member_id": member.pk, "amount": "10.000"}),
        content_type="application/json",
    )
    assert earn.status_code == 403
    assert earn.json()["error"]["code"] == "email_unverified"
    assert LedgerEntry.objects.filter(membership=member, kind="earn").count() == 0

    # "Send again" goes to the address the profile holds now, never the old one.
    again = owner.post("/admin/email-check/send/", follow=True)
    assert "We sent a new link to new-owner@alpha.test" in again.content.decode()
    assert (_checks_to("new-owner@alpha.test"), _checks_to(old)) == (2, 0)
