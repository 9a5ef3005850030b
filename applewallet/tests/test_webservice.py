"""The web service Apple's devices call: register a device, list what changed since a
tag, fetch the latest pass, unregister; the pass's token or nothing, this merchant's
passes only."""

import datetime
import json

import pytest
import time_machine
from django.utils.http import http_date
from django_tenants.utils import schema_context

from applewallet.models import Registration, WalletPass
from applewallet.services import pass_for_membership, pass_token, pass_touch

from .conftest import PASS_TYPE_ID

pytestmark = pytest.mark.django_db
AT = datetime.datetime(2026, 12, 3, 10, 0, tzinfo=datetime.UTC)
BASE = "/card/wallet/apple/v1"
DEVICE = "device-one"


def registration_url(wallet_pass: WalletPass, device: str = DEVICE) -> str:
    return f"{BASE}/devices/{device}/registrations/{PASS_TYPE_ID}/{wallet_pass.serial_number}"


def auth(wallet_pass: WalletPass) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"ApplePass {pass_token(wallet_pass)}"}


def register(client, wallet_pass: WalletPass, push_token: str = "push-1", **headers):
    return client.post(
        registration_url(wallet_pass),
        json.dumps({"pushToken": push_token}),
        content_type="application/json",
        **(headers or auth(wallet_pass)),
    )


@pytest.fixture
def member_pass(wallet, programme) -> WalletPass:
    with time_machine.travel(AT, tick=False):
        return pass_for_membership(membership=programme.member(tier=programme.silver))


def test_a_device_registers_once_and_lists_what_changed_since_its_tag(
    merchant_a, host_client, member_pass
) -> None:
    client = host_client(merchant_a.host)

    assert register(client, member_pass).status_code == 201
    assert register(client, member_pass, push_token="push-2").status_code == 200

    (registration,) = Registration.objects.all()
    assert (registration.device_library_id, registration.push_token) == (DEVICE, "push-2")
    listing = client.get(f"{BASE}/devices/{DEVICE}/registrations/{PASS_TYPE_ID}")
    assert listing.status_code == 200
    tag = listing.json()["lastUpdated"]
    assert listing.json() == {"serialNumbers": [member_pass.serial_number], "lastUpdated": tag}
    assert tag == "1796292000"  # 2026-12-03 10:00:00 UTC
    since = client.get(
        f"{BASE}/devices/{DEVICE}/registrations/{PASS_TYPE_ID}", {"passesUpdatedSince": tag}
    )
    assert since.status_code == 204

    with time_machine.travel(AT + datetime.timedelta(minutes=5), tick=False):
        pass_touch(membership_id=member_pass.membership_id)
    changed = client.get(
        f"{BASE}/devices/{DEVICE}/registrations/{PASS_TYPE_ID}", {"passesUpdatedSince": tag}
    )
    assert changed.json() == {
        "serialNumbers": [member_pass.serial_number],
        "lastUpdated": "1796292300",
    }


def test_the_latest_pass_answers_304_until_it_changes(merchant_a, host_client, member_pass) -> None:
    client = host_client(merchant_a.host)
    url = f"{BASE}/passes/{PASS_TYPE_ID}/{member_pass.serial_number}"

    unchanged = client.get(
        url, HTTP_IF_MODIFIED_SINCE=http_date(AT.timestamp()), **auth(member_pass)
    )
    assert unchanged.status_code == 304

    with time_machine.travel(AT + datetime.timedelta(minutes=5), tick=False):
        pass_touch(membership_id=member_pass.membership_id)
    fresh = client.get(url, HTTP_IF_MODIFIED_SINCE=http_date(AT.timestamp()), **auth(member_pass))
    assert fresh.status_code == 200
    assert fresh["Content-Type"] == "application/vnd.apple.pkpass"
    assert fresh["Last-Modified"] == "Thu, 03 Dec 2026 10:05:00 GMT"


def test_a_registration_without_a_push_token_or_with_a_long_device_id_is_refused(
    merchant_a, host_client, member_pass
) -> None:
    client = host_client(merchant_a.host)
    empty = client.post(
        registration_url(member_pass), "{}", content_type="application/json", **auth(member_pass)
    )
    long = client.post(
        registration_url(member_pass, device="d" * 129),
        json.dumps({"pushToken": "push-1"}),
        content_type="application/json",
        **auth(member_pass),
    )

    assert (empty.status_code, long.status_code) == (400, 400)
    assert Registration.objects.count() == 0


def test_a_device_unregisters(merchant_a, host_client, member_pass) -> None:
    client = host_client(merchant_a.host)
    register(client, member_pass)

    response = client.delete(registration_url(member_pass), **auth(member_pass))

    assert response.status_code == 200
    assert Registration.objects.count() == 0
    listing = client.get(f"{BASE}/devices/{DEVICE}/registrations/{PASS_TYPE_ID}")
    assert listing.status_code == 204


@pytest.mark.parametrize("header", ["ApplePass wrong", "", "Bearer {token}", "ApplePass {token}x"])
def test_without_the_passs_token_nothing_is_done(
    merchant_a, host_client, member_pass, header
) -> None:
    client = host_client(merchant_a.host)
    headers = {"HTTP_AUTHORIZATION": header.format(token=pass_token(member_pass))}

    assert register(client, member_pass, **headers).status_code == 401
    assert Registration.objects.count() == 0
    latest = client.get(f"{BASE}/passes/{PASS_TYPE_ID}/{member_pass.serial_number}", **headers)
    assert latest.status_code == 401

    register(client, member_pass)
    assert client.delete(registration_url(member_pass), **headers).status_code == 401
    assert Registration.objects.count() == 1


def test_another_merchants_host_knows_nothing_of_the_pass(
    merchant_a, merchant_b, host_client, member_pass
) -> None:
    client = host_client(merchant_b.host)

    assert register(client, member_pass).status_code == 404
    latest = client.get(
        f"{BASE}/passes/{PASS_TYPE_ID}/{member_pass.serial_number}", **auth(member_pass)
    )
    assert latest.status_code == 404
    assert client.delete(registration_url(member_pass), **auth(member_pass)).status_code == 404
    with schema_context(merchant_a.schema):
        assert Registration.objects.count() == 0


def test_another_pass_type_is_unknown(merchant_a, host_client, member_pass) -> None:
    url = f"{BASE}/passes/pass.other.type/{member_pass.serial_number}"

    assert host_client(merchant_a.host).get(url, **auth(member_pass)).status_code == 404


def test_without_the_settings_the_web_service_is_not_there(
    merchant_a, host_client, programme, settings
) -> None:
    wallet_pass = pass_for_membership(membership=programme.member())
    settings.APPLE_PASS_TYPE_ID = PASS_TYPE_ID  # the rest is missing

    response = register(host_client(merchant_a.host), wallet_pass)

    assert response.status_code == 404
    assert Registration.objects.count() == 0


def test_a_device_log_is_accepted(merchant_a, host_client, wallet, caplog) -> None:
    response = host_client(merchant_a.host).post(
        f"{BASE}/log",
        json.dumps({"logs": ["Web service error: 401"]}),
        content_type="application/json",
    )

    assert response.status_code == 200
    assert "Apple Wallet device: Web service error: 401" in caplog.text


def test_two_changes_in_one_second_are_two_seconds_apart(member_pass) -> None:
    with time_machine.travel(AT + datetime.timedelta(minutes=5, microseconds=100), tick=False):
        first = pass_touch(membership_id=member_pass.membership_id)
        second = pass_touch(membership_id=member_pass.membership_id)

    assert first is not None and second is not None
    assert first.changed_at == AT + datetime.timedelta(minutes=5)
    assert second.changed_at == AT + datetime.timedelta(minutes=5, seconds=1)


def test_closing_the_account_forgets_the_pass_and_the_device(
    merchant_a, host_client, member_pass
) -> None:
    from customers.services import customer_delete

    client = host_client(merchant_a.host)
    register(client, member_pass)
    headers = auth(member_pass)
    url = f"{BASE}/passes/{PASS_TYPE_ID}/{member_pass.serial_number}"

    customer_delete(customer=member_pass.membership.customer)

    assert not WalletPass.objects.exists() and not Registration.objects.exists()
    assert client.get(url, **headers).status_code == 404
