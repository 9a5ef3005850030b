"""One rule for members' phone numbers: a cashier sees only the last four digits, in the
dashboard (list, search, member page) and in the API; managers and owners see the
whole number in the dashboard."""

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
    assert b"791234567" not in found.content
