"""One rule for members' phone numbers (`points.selectors.phone_whole_for`): a cashier
sees only the last four digits, in the dashboard (list, search, member page) and in the
API; managers and owners see the whole number in both."""

import pytest

from tests.api import api, staff_sign_in
from tests.fixtures import HostClient

pytestmark = pytest.mark.django_db
PHONE = "+962791234567"


def dashboard(host: str, email: str) -> HostClient:
    client = HostClient(host)
    response = client.post("/admin/login/?next=/admin/", {"username": email, "password": "x"})
    assert response.status_code == 302, response.content[:300]
    return client


def test_a_cashier_sees_only_the_last_four_digits_in_the_dashboard(merchant_a, programme) -> None:
    member = programme.member(phone=PHONE)
    cashier = dashboard(merchant_a.host, programme.cashier.email)

    listed = cashier.get("/admin/points/membership/").content.decode()
    page = cashier.get(f"/admin/points/membership/{member.pk}/change/").content.decode()
    found = cashier.get("/admin/points/membership/", {"q": "0791234567"}).content.decode()

    for html in (listed, page, found):
        assert "4567" in html
        assert "962791234567" not in html
    assert member.member_number in found


def test_a_cashier_cannot_rebuild_a_number_by_searching_parts_of_it(merchant_a, programme) -> None:
    member = programme.member(phone=PHONE)
    cashier = dashboard(merchant_a.host, programme.cashier.email)

    partial = cashier.get("/admin/points/membership/", {"q": "9123"}).content.decode()
    suffix = cashier.get("/admin/points/membership/", {"q": "1234567"}).content.decode()

    assert member.member_number not in partial
    assert member.member_number not in suffix


def test_a_manager_sees_and_searches_the_whole_number(merchant_a, programme) -> None:
    member = programme.member(phone=PHONE)
    manager = dashboard(merchant_a.host, programme.manager.email)

    page = manager.get(f"/admin/points/membership/{member.pk}/change/").content.decode()
    partial = manager.get("/admin/points/membership/", {"q": "9123"}).content.decode()

    assert PHONE in page
    assert member.member_number in partial


def test_the_api_shows_a_cashier_the_same_four_digits(merchant_a, programme) -> None:
    member = programme.member(phone=PHONE)
    tokens = staff_sign_in(merchant_a.host, programme.cashier.email, "x")

    found = api(merchant_a.host, tokens["access"]).get("/api/v1/staff/members", {"phone": PHONE})

    assert found.status_code == 200
    assert found.json()["member_number"] == member.member_number
    assert found.json()["phone_last_digits"] == "4567"
    assert found.json()["phone"] is None
    assert b"791234567" not in found.content


def test_the_api_shows_a_manager_the_whole_number_as_the_dashboard_does(
    merchant_a, programme
) -> None:
    member = programme.member(phone=PHONE)
    manager = api(
        merchant_a.host, staff_sign_in(merchant_a.host, programme.manager.email, "x")["access"]
    )
    cashier = api(
        merchant_a.host, staff_sign_in(merchant_a.host, programme.cashier.email, "x")["access"]
    )
    scan = {"member_number": member.member_number}

    by_manager = manager.post("/api/v1/staff/scan", scan, format="json")
    by_cashier = cashier.post("/api/v1/staff/scan", scan, format="json")
    earned = manager.post(
        "/api/v1/staff/earn",
        {"member_id": member.pk, "amount": "10.000"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="privacy-earn-1",
    )

    assert by_manager.status_code == by_cashier.status_code == 200
    assert (by_manager.json()["phone"], by_manager.json()["phone_last_digits"]) == (PHONE, "4567")
    assert (by_cashier.json()["phone"], by_cashier.json()["phone_last_digits"]) == (None, "4567")
    assert earned.status_code == 201
    assert earned.json()["member"]["phone"] == PHONE


def test_the_schema_documents_who_sees_the_whole_number(merchant_a) -> None:
    schema = api(merchant_a.host).get("/api/schema/", {"format": "json"}).json()
    member = schema["components"]["schemas"]["MemberOut"]

    assert member["properties"]["phone"]["nullable"] is True
    assert "managers" in member["properties"]["phone"]["description"]
    assert "phone" in member["required"] and "phone_last_digits" in member["required"]
