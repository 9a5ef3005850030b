"""The seed's journey over HTTP: OTP sign-in, join Café Aroma, staff scan and award
50.000 JOD at Silver (750 points), redeem, approve, use; balances and history right."""

import pytest
from django_tenants.utils import schema_context

from points.models import Membership
from points.tests.factories import programme_create
from tests.api import ROOT, api, customer_sign_in, staff_sign_in

pytestmark = pytest.mark.django_db


def test_the_whole_journey_over_http(merchant_a) -> None:
    with schema_context(merchant_a.schema):
        programme = programme_create()
    host = merchant_a.host

    # The customer signs in with a code and joins from the merchant's QR poster.
    signed_in = customer_sign_in("0791234567")
    assert signed_in["customer"]["phone"] == "+962791234567"
    assert signed_in["is_new"] is True
    customer = api(host, signed_in["access"])
    joined = customer.post(
        "/api/v1/join", {"join_code": merchant_a.merchant.join_code}, format="json"
    )
    assert joined.status_code == 201, joined.content
    membership = joined.json()
    assert (membership["current_points"], membership["tier"]["name"]) == (0, "Bronze")

    # The member is Silver (promoted by the programme) when they reach the counter.
    with schema_context(merchant_a.schema):
        Membership.objects.filter(pk=membership["id"]).update(tier=programme.silver)

    # The cashier signs in on the counter app and scans the card QR.
    staff = staff_sign_in(host, programme.cashier.email, "x")
    cashier = api(host, staff["access"])
    card = customer.get("/api/v1/membership/card").json()
    scanned = cashier.post("/api/v1/staff/scan", {"token": card["token"]}, format="json")
    assert scanned.status_code == 200, scanned.content
    assert scanned.json()["member_number"] == membership["member_number"]
    assert scanned.json()["tier"]["name"] == "Silver"

    earned = cashier.post(
        "/api/v1/staff/earn",
        {"member_id": membership["id"], "amount": "50.000"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="till-1-0001",
    )
    assert earned.status_code == 201, earned.content
    entry = earned.json()["entry"]
    assert entry["points"] == 750
    assert entry["amount"] == "50.000"
    assert entry["description"] == "50.000 JOD × 10 points/JOD × 1.5 (Silver) = 750 points"
    assert earned.json()["member"]["current_points"] == 750
    # The till retries the same request: nothing more is awarded.
    again = cashier.post(
        "/api/v1/staff/earn",
        {"member_id": membership["id"], "amount": "50.000"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="till-1-0001",
    )
    assert again.json()["entry"]["id"] == entry["id"]

    # The customer sees the balance and redeems a Free Coffee.
    mine = customer.get("/api/v1/membership").json()
    assert (mine["current_points"], mine["total_earned"], mine["total_visits"]) == (750, 750, 1)
    assert mine["total_spend"] == "50.000"
    rewards = customer.get("/api/v1/rewards").json()["results"]
    coffee = next(r for r in rewards if r["name"] == "Free Coffee")
    assert coffee["affordable"] and coffee["eligible"]
    redeemed = customer.post(f"/api/v1/rewards/{coffee['id']}/redeem", HTTP_IDEMPOTENCY_KEY="r1")
    assert redeemed.status_code == 201, redeemed.content
    voucher = redeemed.json()
    assert voucher["status"] == "pending" and voucher["points"] == 100
    assert customer.get("/api/v1/membership").json()["current_points"] == 650

    # Staff verify the voucher, approve it and mark it used.
    verified = cashier.post(
        "/api/v1/staff/vouchers/verify", {"code": voucher["voucher_code"].lower()}, format="json"
    )
    assert verified.json()["id"] == voucher["id"]
    queue = cashier.get("/api/v1/staff/redemptions").json()["results"]
    assert [r["id"] for r in queue] == [voucher["id"]]
    approved = cashier.post(f"/api/v1/staff/redemptions/{voucher['id']}/approve")
    used = cashier.post(f"/api/v1/staff/redemptions/{voucher['id']}/use")
    assert (approved.json()["status"], used.json()["status"]) == ("approved", "used")

    # Balances and history are right, newest first, with explanations.
    final = customer.get("/api/v1/membership").json()
    assert (final["current_points"], final["total_redeemed"]) == (650, 100)
    history = customer.get("/api/v1/membership/history").json()
    assert [(e["kind"], e["points"]) for e in history["results"]] == [
        ("redeem", -100),
        ("earn", 750),
    ]
    everywhere = api(ROOT, signed_in["access"]).get("/api/v1/me/memberships").json()["results"]
    assert [(m["merchant"], m["current_points"]) for m in everywhere] == [("alpha-cafe", 650)]
