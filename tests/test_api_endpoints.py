"""The endpoints the other API tests do not reach on their own."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django_tenants.utils import schema_context

from points.services import points_earn
from tests.api import ROOT, api, customer_sign_in, staff_sign_in

pytestmark = pytest.mark.django_db
AMMAN = ZoneInfo("Asia/Amman")


def test_join_from_the_root_domain_by_slug_or_join_code(merchant_a, merchant_b) -> None:
    token = customer_sign_in("+962799990001")["access"]
    root = api(ROOT, token)

    by_slug = root.post("/api/v1/me/memberships", {"merchant": "alpha-cafe"}, format="json")
    by_code = root.post(
        "/api/v1/me/memberships", {"merchant": merchant_b.merchant.join_code.lower()}, format="json"
    )
    unknown = root.post("/api/v1/me/memberships", {"merchant": "nowhere"}, format="json")

    assert (by_slug.status_code, by_slug.json()["merchant"]) == (201, "alpha-cafe")
    assert (by_code.status_code, by_code.json()["merchant"]) == (201, "beta-gym")
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "merchant_not_found"
    listed = root.get("/api/v1/me/memberships").json()["results"]
    assert sorted(m["merchant"] for m in listed) == ["alpha-cafe", "beta-gym"]
    assert all(m["current_points"] == 0 for m in listed)


def test_memberships_show_progress_and_points_expiring_soon(merchant_a, programme) -> None:
    """Points count as expiring soon from 30 days before their expiry date, in the
    merchant's calendar: a December lot of one month expires 31 days later."""
    from points.models import PointsSettings

    with time_machine.travel(dt.datetime(2026, 12, 1, 10, 0, tzinfo=AMMAN), tick=False) as clock:
        tokens = customer_sign_in("+962799990002")
        token = tokens["access"]
        member = api(merchant_a.host, token).post("/api/v1/join", {}, format="json").json()
        with schema_context(merchant_a.schema):
            PointsSettings.objects.filter(pk=1).update(expiry_months=1)
            points_earn(membership_id=member["id"], amount="30.000")

        [on_the_day] = api(ROOT, token).get("/api/v1/me/memberships").json()["results"]
        clock.move_to(dt.datetime(2026, 12, 2, 10, 0, tzinfo=AMMAN))
        # Yesterday's access token has expired: the app refreshes it.
        token = (
            api(ROOT)
            .post("/api/v1/auth/token/refresh", {"refresh": tokens["refresh"]}, format="json")
            .json()["access"]
        )
        [next_day] = api(ROOT, token).get("/api/v1/me/memberships").json()["results"]

    assert on_the_day["current_points"] == 300
    assert on_the_day["next_tier"]["name"] == "Silver"
    assert on_the_day["points_to_next_tier"] == 200
    assert (on_the_day["expiring_points"], on_the_day["expiring_first_on"]) == (0, None)
    assert (next_day["expiring_points"], next_day["expiring_first_on"]) == (300, "2027-01-01")


def test_staff_refresh_logout_and_member_history(merchant_a, merchant_b, programme) -> None:
    tokens = staff_sign_in(merchant_a.host, programme.cashier.email, "x")
    customer = api(merchant_a.host, customer_sign_in("+962799990003")["access"])
    member = customer.post("/api/v1/join", {}, format="json").json()
    with schema_context(merchant_a.schema):
        points_earn(membership_id=member["id"], amount="2.000")

    rotated = api(merchant_a.host).post(
        "/api/v1/staff/auth/refresh", {"refresh": tokens["refresh"]}, format="json"
    )
    elsewhere = api(merchant_b.host).post(
        "/api/v1/staff/auth/refresh", {"refresh": rotated.json()["refresh"]}, format="json"
    )
    staff = api(merchant_a.host, rotated.json()["access"])
    history = staff.get(f"/api/v1/staff/members/{member['id']}/history").json()
    logout = staff.post(
        "/api/v1/staff/auth/logout", {"refresh": rotated.json()["refresh"]}, format="json"
    )
    after = api(merchant_a.host).post(
        "/api/v1/staff/auth/refresh", {"refresh": rotated.json()["refresh"]}, format="json"
    )

    assert rotated.status_code == 200
    assert elsewhere.json()["error"]["code"] == "token_invalid"
    assert [(e["kind"], e["points"]) for e in history["results"]] == [("earn", 20)]
    assert logout.status_code == 204
    assert after.json()["error"]["code"] == "token_invalid"


def test_a_customer_reads_and_forgets_their_devices_and_reads_a_redemption(
    merchant_a, programme
) -> None:
    token = customer_sign_in("+962799990004")["access"]
    root = api(ROOT, token)
    device = root.post(
        "/api/v1/me/devices", {"token": "fcm-1", "platform": "android"}, format="json"
    ).json()
    assert [d["id"] for d in root.get("/api/v1/me/devices").json()["results"]] == [device["id"]]
    assert root.delete(f"/api/v1/me/devices/{device['id']}").status_code == 204
    assert root.delete(f"/api/v1/me/devices/{device['id']}").status_code == 404

    shop = api(merchant_a.host, token)
    member = shop.post("/api/v1/join", {}, format="json").json()
    with schema_context(merchant_a.schema):
        points_earn(membership_id=member["id"], amount="10.000")
    voucher = shop.post(f"/api/v1/rewards/{programme.free_coffee.pk}/redeem").json()
    detail = shop.get(f"/api/v1/redemptions/{voucher['id']}").json()
    assert (detail["voucher_code"], detail["reward"]["name"]) == (
        voucher["voucher_code"],
        "Free Coffee",
    )


def test_the_api_docs_and_schemas_are_served_on_both_hosts(merchant_a) -> None:
    for host in (ROOT, merchant_a.host):
        client = api(host)
        schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
        assert schema.status_code == 200
        assert client.get("/api/docs/").status_code == 200
    public_paths = (
        api(ROOT)
        .get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
        .json()["paths"]
    )
    assert "/api/v1/auth/otp/verify" in public_paths and "/api/v1/staff/earn" not in public_paths
