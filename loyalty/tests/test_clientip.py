"""Per-address limits count the address the deployment trusts, never a header a client
can forge: `X-Forwarded-For` is read only behind TRUSTED_PROXIES proxies, and then
only its right-most TRUSTED_PROXIES-th entry."""

import pytest
from django.test import override_settings

from loyalty.clientip import client_ip
from tests.api import ROOT, api

pytestmark = pytest.mark.django_db
OTP_PER_MINUTE = 10  # the "otp" throttle scope


def request_code(n: int, remote: str, forwarded: str | None = None) -> int:
    headers = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        headers["HTTP_X_FORWARDED_FOR"] = forwarded
    phone = f"+96277{n:07d}"
    return (
        api(ROOT, **headers)
        .post("/api/v1/auth/otp/request", {"phone": phone}, format="json")
        .status_code
    )


def test_a_rotating_forwarded_for_does_not_lift_the_api_limit() -> None:
    statuses = [
        request_code(n, "198.51.100.7", forwarded=f"203.0.113.{n}")
        for n in range(OTP_PER_MINUTE + 1)
    ]

    assert statuses == [202] * OTP_PER_MINUTE + [429]


@override_settings(OTP_SENDS_PER_IP_PER_HOUR=2)
def test_a_rotating_forwarded_for_does_not_lift_the_hourly_code_limit() -> None:
    statuses = [request_code(n, "198.51.100.8", forwarded=f"203.0.113.{n}") for n in range(3)]

    assert statuses == [202, 202, 429]


@override_settings(TRUSTED_PROXIES=1)
def test_behind_one_proxy_the_right_most_address_is_counted() -> None:
    proxy = "10.0.0.2"
    # The client writes anything it likes on the left; the proxy appends the address
    # it saw on the right.
    first = [
        request_code(n, proxy, forwarded=f"192.0.2.{n}, 203.0.113.50")
        for n in range(OTP_PER_MINUTE + 1)
    ]
    other_client = request_code(99, proxy, forwarded="192.0.2.1, 203.0.113.51")

    assert first == [202] * OTP_PER_MINUTE + [429]
    assert other_client == 202


@override_settings(TRUSTED_PROXIES=1, OTP_SENDS_PER_IP_PER_HOUR=2)
def test_behind_one_proxy_the_hourly_code_limit_counts_the_right_most_address() -> None:
    proxy = "10.0.0.3"
    first = [request_code(n, proxy, forwarded=f"192.0.2.{n}, 203.0.113.60") for n in range(3)]
    other_client = request_code(50, proxy, forwarded="203.0.113.61")

    assert first == [202, 202, 429]
    assert other_client == 202


@pytest.mark.parametrize(
    ("proxies", "forwarded", "address"),
    [
        (0, "203.0.113.9", "198.51.100.1"),
        (1, "", "198.51.100.1"),
        (1, "192.0.2.1, 203.0.113.9", "203.0.113.9"),
        (2, "192.0.2.1, 203.0.113.9, 10.0.0.1", "203.0.113.9"),
        (3, "203.0.113.9", "203.0.113.9"),
    ],
)
def test_the_client_address(rf, settings, proxies, forwarded, address) -> None:
    settings.TRUSTED_PROXIES = proxies
    request = rf.get("/", REMOTE_ADDR="198.51.100.1", HTTP_X_FORWARDED_FOR=forwarded)
    assert client_ip(request) == address
