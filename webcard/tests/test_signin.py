"""The web card's sign-in: phone, code, a session remembered on the device."""

import datetime
import hashlib

import pytest
import time_machine
from django.test import override_settings

from customers.models import Customer
from tests.api import last_code
from webcard.models import CardSession
from webcard.sessions import COOKIE, DEVICE_COOKIE, PATH

pytestmark = pytest.mark.django_db
PHONE = "+962791112244"
AT = datetime.datetime(2026, 12, 3, 10, 0, tzinfo=datetime.UTC)


def sign_in(client, phone: str = "0791112244", next_path: str = ""):
    response = client.post("/card/signin", {"phone": phone, "next": next_path})
    assert response.status_code == 302, response.content
    code = last_code(PHONE)
    return client.post("/card/signin/code", {"phone": PHONE, "code": code, "next": next_path})


def test_a_phone_and_its_code_sign_the_browser_in_on_this_host_only(
    merchant_a, merchant_b, host_client
) -> None:
    client = host_client(merchant_a.host)
    assert client.get("/card/").status_code == 302

    with time_machine.travel(AT, tick=False):
        response = sign_in(client, next_path="/card/")

        assert response.status_code == 302 and response["Location"] == "/card/"
        cookie = response.cookies[COOKIE]
        assert cookie["path"] == PATH and cookie["httponly"] and cookie["samesite"] == "Lax"
        assert cookie["domain"] == ""  # host-only
        assert int(cookie["max-age"]) == 365 * 86400
        assert response.cookies[DEVICE_COOKIE].value
        session = CardSession.objects.get(customer__phone=PHONE)
        assert session.merchant_id == merchant_a.merchant.pk
        assert session.key_hash == hashlib.sha256(cookie.value.encode()).hexdigest()
        assert cookie.value not in session.key_hash
        assert session.expires_at == AT + datetime.timedelta(days=365)
        assert client.get("/card/").status_code == 200

        other = host_client(merchant_b.host)
        other.cookies[COOKIE] = cookie.value
        assert other.get("/card/").status_code == 302


def test_a_wrong_code_says_so_in_the_page_language(merchant_a, host_client) -> None:
    client = host_client(merchant_a.host)
    client.post("/card/signin", {"phone": "0791112244"})
    right = last_code(PHONE)
    wrong = "000000" if right != "000000" else "111111"

    response = client.post(
        "/card/signin/code", {"phone": PHONE, "code": wrong}, HTTP_ACCEPT_LANGUAGE="ar"
    )

    assert response.status_code == 422
    assert "هذا الرمز غير صحيح" in response.content.decode()
    assert COOKIE not in response.cookies
    assert not Customer.objects.filter(phone=PHONE).exists()


def test_a_second_code_too_soon_is_refused_with_the_wait(merchant_a, host_client) -> None:
    client = host_client(merchant_a.host)
    client.post("/card/signin", {"phone": "0791112244"})

    response = client.post("/card/signin", {"phone": "0791112244"})

    assert response.status_code == 429
    assert "Try again in 1 min." in response.content.decode()


@pytest.mark.parametrize("phone", ["12345", "not a phone", "+1"])
def test_a_bad_number_is_refused_on_the_form(merchant_a, host_client, phone) -> None:
    response = host_client(merchant_a.host).post("/card/signin", {"phone": phone})
    assert response.status_code == 422
    assert 'aria-invalid="true"' in response.content.decode()


def test_signing_out_revokes_the_session_so_a_copied_cookie_stops_working(
    merchant_a, host_client, card_client
) -> None:
    customer = Customer.objects.create(phone=PHONE)
    client = card_client(merchant_a.host, customer)
    raw = client.cookies[COOKIE].value
    assert client.get("/card/").status_code == 200

    client.post("/card/signout")

    copy = host_client(merchant_a.host)
    copy.cookies[COOKIE] = raw
    assert copy.get("/card/").status_code == 302
    assert CardSession.objects.get(customer=customer).revoked_at is not None


def test_a_session_lasts_a_year_from_its_last_use(merchant_a, card_client) -> None:
    customer = Customer.objects.create(phone=PHONE)
    with time_machine.travel(AT, tick=False):
        client = card_client(merchant_a.host, customer)
    with time_machine.travel(AT + datetime.timedelta(days=300), tick=False):
        assert client.get("/card/").status_code == 200
    with time_machine.travel(AT + datetime.timedelta(days=600), tick=False):
        assert client.get("/card/").status_code == 200
    with time_machine.travel(AT + datetime.timedelta(days=966), tick=False):
        assert client.get("/card/").status_code == 302


def test_a_closed_account_is_signed_out(merchant_a, card_client) -> None:
    customer = Customer.objects.create(phone=PHONE)
    client = card_client(merchant_a.host, customer)
    Customer.objects.filter(pk=customer.pk).update(is_active=False)
    assert client.get("/card/").status_code == 302


def test_next_never_leaves_the_host(merchant_a, host_client) -> None:
    client = host_client(merchant_a.host)
    response = sign_in(client, next_path="https://evil.example/steal")
    assert response["Location"] == "/card/"


@override_settings(CARD_COOKIE_SECURE=True)
def test_the_cookie_is_secure_where_the_site_is_https(merchant_a, host_client) -> None:
    response = sign_in(host_client(merchant_a.host))
    assert response.cookies[COOKIE]["secure"]


def test_codes_asked_on_merchant_hosts_share_the_phone_limits_of_the_app(
    merchant_a, merchant_b, host_client
) -> None:
    from tests.api import ROOT, api

    assert host_client(merchant_a.host).post("/card/signin", {"phone": PHONE}).status_code == 302

    again = [
        host_client(merchant_b.host).post("/card/signin", {"phone": PHONE}).status_code,
        api(ROOT).post("/api/v1/auth/otp/request", {"phone": PHONE}, format="json").status_code,
    ]

    assert again == [429, 429]
