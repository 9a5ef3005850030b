"""Membership, card and counter endpoints on a merchant host."""

import re
from decimal import Decimal

import pytest
from django.core import signing
from django.test import override_settings
from django_tenants.utils import schema_context

from points.calculation import AMOUNT_PATTERN, amount_parse
from points.card import SALT
from points.models import PointsSettings
from points.services import points_earn
from tenants.models import Merchant
from tests.api import api, customer_sign_in, staff_sign_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def counter(merchant_a, programme):
    """A joined customer and a signed-in cashier and manager on merchant A's host."""
    signed = customer_sign_in("+962795550001")
    customer = api(merchant_a.host, signed["access"])
    member = customer.post("/api/v1/join", {}, format="json").json()
    cashier = api(
        merchant_a.host, staff_sign_in(merchant_a.host, programme.cashier.email, "x")["access"]
    )
    manager = api(
        merchant_a.host, staff_sign_in(merchant_a.host, programme.manager.email, "x")["access"]
    )
    return customer, member, cashier, manager


def test_a_stale_card_token_is_qr_expired_and_a_forged_one_qr_invalid(counter, merchant_a):
    customer, member, cashier, _ = counter
    token = customer.get("/api/v1/membership/card").json()["token"]

    with override_settings(CARD_TOKEN_SECONDS=-1):
        stale = cashier.post("/api/v1/staff/scan", {"token": token}, format="json")
    forged = signing.dumps({"s": merchant_a.schema, "m": member["id"]}, salt=SALT, key="guess")
    tampered = cashier.post("/api/v1/staff/scan", {"token": forged}, format="json")
    other_shop = signing.dumps({"s": "beta_gym", "m": member["id"]}, salt=SALT)
    elsewhere = cashier.post("/api/v1/staff/scan", {"token": other_shop}, format="json")

    assert stale.json()["error"]["code"] == "qr_expired"
    assert tampered.json()["error"]["code"] == "qr_invalid"
    assert elsewhere.json()["error"]["code"] == "qr_invalid"
    fresh = cashier.post("/api/v1/staff/scan", {"token": token}, format="json")
    assert fresh.json()["id"] == member["id"]


def test_card_images_are_qr_codes(counter) -> None:
    customer = counter[0]
    svg = customer.get("/api/v1/membership/card.svg")
    png = customer.get("/api/v1/membership/card.png")
    assert svg["Content-Type"] == "image/svg+xml" and b"<svg" in svg.content
    assert png["Content-Type"] == "image/png" and png.content[:4] == b"\x89PNG"
    assert svg["Cache-Control"] == "no-store"


def test_scan_by_member_number_and_find_by_phone(counter) -> None:
    _, member, cashier, _ = counter
    by_number = cashier.post(
        "/api/v1/staff/scan", {"member_number": member["member_number"]}, format="json"
    )
    by_phone = cashier.get("/api/v1/staff/members", {"phone": "0795550001"})
    unknown = cashier.get("/api/v1/staff/members", {"member_number": "99999999"})
    assert by_number.json()["id"] == by_phone.json()["id"] == member["id"]
    assert by_phone.json()["phone_last_digits"] == "0001"
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "member_not_found"


def test_a_scanned_member_number_finds_the_member(counter) -> None:
    """A wallet pass's QR code is the member number: the scan takes it as the token."""
    _, member, cashier, _ = counter

    scanned = cashier.post("/api/v1/staff/scan", {"token": member["member_number"]}, format="json")
    unknown = cashier.post("/api/v1/staff/scan", {"token": "1234567"}, format="json")

    assert scanned.status_code == 200 and scanned.json()["id"] == member["id"]
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "member_not_found"


def test_member_lookups_are_rate_limited(counter, settings) -> None:
    cashier = counter[2]
    statuses = [
        cashier.get("/api/v1/staff/members", {"member_number": f"1000000{i}"}).status_code
        for i in range(31)
    ]
    assert statuses[:30] == [404] * 30
    assert statuses[30] == 429


def test_earn_input_is_checked_and_money_is_a_string(counter) -> None:
    _, member, cashier, _ = counter
    too_precise = cashier.post(
        "/api/v1/staff/earn", {"member_id": member["id"], "amount": "1.2345"}, format="json"
    )
    unknown = cashier.post(
        "/api/v1/staff/earn",
        {"member_id": member["id"], "amount": "5", "points": 99999},
        format="json",
    )
    negative = cashier.post(
        "/api/v1/staff/earn", {"member_id": member["id"], "amount": "-5.000"}, format="json"
    )
    ok = cashier.post(
        "/api/v1/staff/earn", {"member_id": member["id"], "amount": "12.345"}, format="json"
    )

    assert too_precise.json()["error"]["code"] == "too_many_decimals"
    assert unknown.json()["error"]["fields"] == {"points": ["Unknown field."]}
    assert negative.json()["error"]["code"] == "invalid_amount"
    assert ok.json()["entry"]["amount"] == "12.345" and ok.json()["entry"]["points"] == 123


def test_a_cashier_may_not_adjust_but_a_manager_may(counter) -> None:
    _, member, cashier, manager = counter
    body = {"points": 50, "reason": "Spilled coffee"}
    refused = cashier.post(f"/api/v1/staff/members/{member['id']}/adjust", body, format="json")
    done = manager.post(f"/api/v1/staff/members/{member['id']}/adjust", body, format="json")
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "permission_denied"
    assert done.status_code == 201 and done.json()["points"] == 50


def test_void_over_http(counter) -> None:
    _, member, cashier, _ = counter
    earned = cashier.post(
        "/api/v1/staff/earn", {"member_id": member["id"], "amount": "3.000"}, format="json"
    ).json()["entry"]
    voided = cashier.post(
        f"/api/v1/staff/entries/{earned['id']}/void", {"reason": "typo"}, format="json"
    )
    twice = cashier.post(f"/api/v1/staff/entries/{earned['id']}/void", {}, format="json")
    assert voided.status_code == 201 and voided.json()["points"] == -30
    assert twice.json()["error"]["code"] == "already_voided"


def test_history_is_paged_with_a_cursor(counter, merchant_a) -> None:
    customer, member, _, _ = counter
    with schema_context(merchant_a.schema):
        for _ in range(25):
            points_earn(membership_id=member["id"], amount="1.000")

    first = customer.get("/api/v1/membership/history", {"page_size": 10}).json()
    second = customer.get(first["next"].split(":8000")[1]).json()

    assert len(first["results"]) == 10 and len(second["results"]) == 10
    ids = [e["id"] for e in first["results"] + second["results"]]
    assert ids == sorted(ids, reverse=True) and len(set(ids)) == 20


def test_not_a_member_here_is_404_and_joining_twice_is_the_same_membership(
    merchant_a, programme
) -> None:
    customer = api(merchant_a.host, customer_sign_in("+962795550002")["access"])
    assert customer.get("/api/v1/membership").status_code == 404
    assert customer.get("/api/v1/membership/card").status_code == 404
    first = customer.post("/api/v1/join", {}, format="json").json()
    second = customer.post("/api/v1/join", {}, format="json").json()
    wrong = customer.post("/api/v1/join", {"join_code": "NOTTHIS1"}, format="json")
    assert first["id"] == second["id"]
    assert wrong.json()["error"]["code"] == "invalid_join_code"


def test_staff_login_refuses_wrong_passwords(merchant_a, programme) -> None:
    response = api(merchant_a.host).post(
        "/api/v1/staff/auth/login",
        {"email": programme.cashier.email, "password": "nope"},
        format="json",
    )
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "invalid_credentials"


def test_referral_code_and_join_with_it(merchant_a, programme) -> None:
    referrer = api(merchant_a.host, customer_sign_in("+962795550003")["access"])
    referrer.post("/api/v1/join", {}, format="json")
    code = referrer.get("/api/v1/membership/referral").json()["referral_code"]
    friend = api(merchant_a.host, customer_sign_in("+962795550004")["access"])
    joined = friend.post("/api/v1/join", {"referral_code": code}, format="json")
    assert joined.status_code == 201
    assert referrer.get("/api/v1/membership/referral").json()["referrals"] == 1


def test_money_is_written_with_the_currencys_decimals_everywhere(counter, merchant_a) -> None:
    customer, member, cashier, _ = counter
    merchant = Merchant.objects.get(pk=merchant_a.merchant.pk)
    merchant.currency = "USD"
    merchant.save()  # (and the host's cached merchant is forgotten)
    with schema_context(merchant_a.schema):
        PointsSettings.objects.update(tier_basis="spend")

    earned = cashier.post(
        "/api/v1/staff/earn", {"member_id": member["id"], "amount": "١٢٫٥٠"}, format="json"
    )
    mine = customer.get("/api/v1/membership").json()

    assert earned.status_code == 201, earned.content
    assert earned.json()["entry"]["amount"] == "12.50"
    assert earned.json()["entry"]["description"].startswith("12.50 USD × 10 points/USD")
    assert (mine["total_spend"], mine["spend_to_next_tier"]) == ("12.50", "487.50")
    assert customer.get("/api/v1/membership/history").json()["results"][0]["amount"] == "12.50"


def test_every_amount_the_schema_allows_is_read_by_the_parser() -> None:
    samples = ["1", "0.5", "50.000", "999999.999", "١٢٫٥", "۱۰", "0000001", "1.0"]
    assert all(re.fullmatch(AMOUNT_PATTERN, s) for s in samples)
    assert [amount_parse(s, "JOD") for s in samples] == [
        Decimal(v)
        for v in ("1.000", "0.500", "50.000", "999999.999", "12.500", "10.000", "1.000", "1.000")
    ]
