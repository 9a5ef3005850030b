"""What sign-in codes cost and who can stop them, tried over HTTP as an attacker would:
codes go only to mobile numbers of the countries served, within a country's hourly
budget; an attacker who fills a number prefix or hammers one phone slows strangers but
never locks out a device that signed in with that phone before."""

import datetime

import pytest
import time_machine
from django.core.cache import cache
from django.test import override_settings
from django_tenants.utils import schema_context

from messaging.models import SentMessage
from tests.api import ROOT, api, last_code

pytestmark = pytest.mark.django_db

# 10:15:00 in the hour: a refusal of an hourly limit says "in 45 minutes".
NOW = datetime.datetime(2026, 12, 1, 10, 15, tzinfo=datetime.UTC)
OWNER = "+962791234500"


@pytest.fixture(autouse=True)
def fixed_clock():
    with time_machine.travel(NOW, tick=False):
        yield


def request_code(phone: str, ip: str = "198.51.100.1", **body):
    return api(ROOT, REMOTE_ADDR=ip).post(
        "/api/v1/auth/otp/request", {"phone": phone, **body}, format="json"
    )


def sign_in(phone: str, ip: str = "198.51.100.1", **body) -> dict:
    assert request_code(phone, ip, **body).status_code == 202
    verified = api(ROOT, REMOTE_ADDR=ip).post(
        "/api/v1/auth/otp/verify", {"phone": phone, "code": last_code(phone)}, format="json"
    )
    assert verified.status_code == 200, verified.content
    return verified.json()


def cooldown_over(phone: str) -> None:
    """The resend cooldown is a Redis key with its own clock: end it by hand."""
    with schema_context("public"):
        cache.delete(f"cd:otp:{phone}")


def refused(response, code: str, retry_after: int) -> None:
    """A 429 with `code` that says when to try again. Hourly limits count on the frozen
    clock (exact); a cooldown's seconds come from Redis, whose clock runs (59 or 60)."""
    assert response.status_code == 429, response.content
    error = response.json()["error"]
    waits = {retry_after} if retry_after != 60 else {59, 60}
    assert error["code"] == code and error["fields"]["retry_after"] in waits
    assert response.headers["Retry-After"] == str(error["fields"]["retry_after"])


@pytest.mark.parametrize(
    ("phone", "code"),
    [
        ("+96265000000", "phone_not_mobile"),  # an Amman landline
        ("064612345", "phone_not_mobile"),
        ("+971501234567", "phone_country_not_served"),  # a UAE mobile
        ("+14155550123", "phone_country_not_served"),
    ],
)
def test_codes_go_only_to_mobile_numbers_of_the_countries_served(phone, code) -> None:
    before = SentMessage.objects.count()
    response = request_code(phone)
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == code and "phone" in error["fields"]
    assert SentMessage.objects.count() == before


@override_settings(OTP_COUNTRIES=["JO", "AE"])
def test_the_countries_served_are_a_setting() -> None:
    assert request_code("+971501234567").status_code == 202


@override_settings(OTP_SENDS_PER_COUNTRY_PER_HOUR=2)
def test_a_country_has_an_hourly_budget_and_the_refusal_says_so() -> None:
    phones = ["+962791110001", "+962771110002", "+962781110003"]
    answers = [request_code(p, ip=f"198.51.100.{i}") for i, p in enumerate(phones)]

    assert [a.status_code for a in answers[:2]] == [202, 202]
    refused(answers[2], "rate_limited", 2700)
    assert answers[2].json()["error"] == {
        "code": "rate_limited",
        "message": "Too many sign-in codes were sent to this country in the last hour; "
        "try again later.",
        "fields": {"retry_after": 2700, "limit": "country"},
    }
    assert not SentMessage.objects.filter(to=phones[2]).exists()


@override_settings(OTP_SENDS_PER_PREFIX_PER_HOUR=3)
def test_an_attacker_filling_a_prefix_does_not_stop_a_known_device() -> None:
    device = sign_in(OWNER)["device_token"]
    for n in range(2):  # the prefix +962791 is now full, from many addresses
        assert request_code(f"+96279123{n:04d}", ip=f"203.0.113.{n}").status_code == 202

    stranger = request_code("+962791239999", ip="203.0.113.50")
    refused(stranger, "rate_limited", 2700)
    cooldown_over(OWNER)
    refused(request_code(OWNER), "rate_limited", 2700)  # a new device of the owner waits

    again = request_code(OWNER, device_token=device)
    assert again.status_code == 202
    signed = api(ROOT).post(
        "/api/v1/auth/otp/verify", {"phone": OWNER, "code": last_code(OWNER)}, format="json"
    )
    assert signed.status_code == 200


@override_settings(OTP_SENDS_PER_PHONE_PER_HOUR=2)
def test_an_attacker_hammering_a_phone_does_not_lock_out_its_known_device() -> None:
    device = sign_in(OWNER)["device_token"]
    attacker = "203.0.113.9"
    cooldown_over(OWNER)
    assert request_code(OWNER, ip=attacker).status_code == 202
    refused(request_code(OWNER, ip=attacker), "rate_limited", 60)  # the cooldown
    cooldown_over(OWNER)
    refused(request_code(OWNER, ip=attacker), "rate_limited", 2700)  # the phone's hour
    sent_before = SentMessage.objects.filter(to=OWNER).count()

    owner = request_code(OWNER, device_token=device)

    assert owner.status_code == 202
    assert SentMessage.objects.filter(to=OWNER).count() == sent_before + 1
    # The device's own allowance has a cooldown of its own, and says when to retry.
    refused(request_code(OWNER, device_token=device), "rate_limited", 60)


def test_a_device_token_counts_only_for_its_own_phone() -> None:
    device = sign_in(OWNER)["device_token"]
    other = "+962791234511"
    assert request_code(other, device_token=device).status_code == 202
    # Not known for `other`: the stranger's cooldown applies, not the device's.
    refused(request_code(other, device_token=device), "rate_limited", 60)
    refused(request_code(other, device_token="forged.token"), "rate_limited", 60)
