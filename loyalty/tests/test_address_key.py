"""Per-address limits count a network, not one address: an IPv6 client holds a whole
/64 (2^64 addresses) and could otherwise take a fresh address for every try. Each
limit is tried over HTTP by an attacker walking through one /64."""

import pytest
from django.test import override_settings

from loyalty.clientip import address_key, client_ip
from tests.api import ROOT, api
from tests.fixtures import PASSWORD, HostClient

pytestmark = pytest.mark.django_db
OTP_PER_MINUTE = 10  # the "otp" throttle scope
LOGIN_LIMIT = 5


def in_one_64(n: int) -> str:
    """The n-th address of one attacker's /64."""
    return f"2001:db8:77:1:{n:x}:{n * 7:x}:0:{n + 1:x}"


def request_code(n: int, remote: str) -> int:
    return (
        api(ROOT, REMOTE_ADDR=remote)
        .post("/api/v1/auth/otp/request", {"phone": f"+96278{n:07d}"}, format="json")
        .status_code
    )


@pytest.mark.parametrize(
    ("address", "key"),
    [
        ("198.51.100.7", "198.51.100.7"),
        ("::ffff:198.51.100.7", "198.51.100.7"),
        ("2001:db8:77:1:a:b:c:d", "2001:db8:77:1::/64"),
        ("2001:DB8:77:1::1", "2001:db8:77:1::/64"),
        ("2001:db8:77:2::1", "2001:db8:77:2::/64"),
        ("fe80::1%eth0", "fe80::/64"),
        ("unknown", "unknown"),
    ],
)
def test_the_key_of_an_address(address, key) -> None:
    assert address_key(address) == key


def test_the_logged_address_stays_the_real_one(rf) -> None:
    request = rf.get("/", REMOTE_ADDR="2001:db8:77:1:a:b:c:d")
    assert client_ip(request) == "2001:db8:77:1:a:b:c:d"


def test_walking_a_64_does_not_lift_the_api_limit() -> None:
    statuses = [request_code(n, in_one_64(n)) for n in range(OTP_PER_MINUTE + 1)]
    other_network = request_code(99, "2001:db8:77:2::1")

    assert statuses == [202] * OTP_PER_MINUTE + [429]
    assert other_network == 202


def test_an_ipv4_mapped_address_counts_as_the_ipv4_address() -> None:
    statuses = [request_code(n, "198.51.100.9") for n in range(OTP_PER_MINUTE // 2)]
    statuses += [request_code(n + 50, "::ffff:198.51.100.9") for n in range(OTP_PER_MINUTE // 2)]
    statuses.append(request_code(70, "::ffff:198.51.100.9"))

    assert statuses == [202] * OTP_PER_MINUTE + [429]


@override_settings(OTP_SENDS_PER_IP_PER_HOUR=2)
def test_walking_a_64_does_not_lift_the_hourly_code_limit() -> None:
    statuses = [request_code(n, in_one_64(n)) for n in range(3)]

    assert statuses == [202, 202, 429]


@override_settings(SIGNUP_ATTEMPTS_PER_IP_PER_HOUR=2)
def test_walking_a_64_does_not_lift_the_signup_limit() -> None:
    form = {"name": "X", "slug": "walker", "email": "a@b.jo", "password": "123"}
    statuses = [
        HostClient("localhost", REMOTE_ADDR=in_one_64(n)).post("/signup/", form).status_code
        for n in range(3)
    ]

    assert statuses == [200, 200, 429]


@override_settings(PASSWORD_RESET_PER_IP_PER_HOUR=3)
def test_walking_a_64_does_not_lift_the_password_reset_limit(merchant_a) -> None:
    statuses = [
        HostClient(merchant_a.host, REMOTE_ADDR=in_one_64(n))
        .post("/admin/password_reset/", {"email": f"someone{n}@example.jo"})
        .status_code
        for n in range(4)
    ]

    assert statuses == [302, 302, 302, 429]


def test_walking_a_64_does_not_lift_the_login_lockout(merchant_a) -> None:
    statuses = [
        HostClient(merchant_a.host, REMOTE_ADDR=in_one_64(n))
        .post("/admin/login/?next=/admin/", {"username": merchant_a.owner_email, "password": "x"})
        .status_code
        for n in range(LOGIN_LIMIT + 1)
    ]
    right = HostClient(merchant_a.host, REMOTE_ADDR=in_one_64(40)).post(
        "/admin/login/?next=/admin/",
        {"username": merchant_a.owner_email, "password": PASSWORD},
    )
    elsewhere = HostClient(merchant_a.host, REMOTE_ADDR="2001:db8:77:2::1").post(
        "/admin/login/?next=/admin/",
        {"username": merchant_a.owner_email, "password": PASSWORD},
    )

    assert statuses == [200] * (LOGIN_LIMIT - 1) + [429, 429]
    assert right.status_code == 429
    assert elsewhere.status_code == 302
