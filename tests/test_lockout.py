"""One sign-in lockout for the merchant dashboard, the platform dashboard and the staff
API, tried over HTTP as an attacker guessing passwords would.

The lockout is per account (schema and email) and client address: LOGIN_FAILURE_LIMIT
(5) failures lock that account from that address, for longer at each lockout.
"""

import time

import pytest
from django.contrib.auth.models import User
from django.test import override_settings
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_tenants.utils import schema_context

from tenants.roles import Role
from tenants.services import staff_create
from tenants.tests.test_platform_admin import current_code
from tests.api import api
from tests.fixtures import PASSWORD, HostClient

pytestmark = pytest.mark.django_db
LIMIT = 5
LOCKED = "Too many failed sign-ins for this account from your connection"
ATTACKER = "203.0.113.66"


def dashboard_login(host: str, email: str, password: str, address: str = ATTACKER, **extra):
    client = HostClient(host, REMOTE_ADDR=address, **extra)
    response = client.post("/admin/login/?next=/admin/", {"username": email, "password": password})
    return client, response


def api_login(host: str, email: str, password: str, address: str = ATTACKER):
    return api(host, REMOTE_ADDR=address).post(
        "/api/v1/staff/auth/login", {"email": email, "password": password}, format="json"
    )


def test_25_wrong_passwords_lock_the_dashboard_and_then_the_right_one_is_refused(
    merchant_a,
) -> None:
    statuses = []
    for _ in range(25):
        _client, response = dashboard_login(merchant_a.host, merchant_a.owner_email, "guess")
        statuses.append(response.status_code)
    client, right = dashboard_login(merchant_a.host, merchant_a.owner_email, PASSWORD)

    assert statuses == [200] * (LIMIT - 1) + [429] * (26 - LIMIT)
    assert right.status_code == 429
    assert "_auth_user_id" not in client.session
    page = right.content.decode()
    assert LOCKED in page and "Try again in 5 min." in page
    assert right.headers["Retry-After"] in {"299", "300"}


def test_the_lockout_message_is_in_arabic_for_an_arabic_reader(merchant_a) -> None:
    for _ in range(LIMIT):
        dashboard_login(merchant_a.host, merchant_a.owner_email, "guess")

    _client, page = dashboard_login(
        merchant_a.host, merchant_a.owner_email, PASSWORD, HTTP_ACCEPT_LANGUAGE="ar"
    )

    assert page.status_code == 429
    assert "حاول مجدداً بعد 5 دقيقة" in page.content.decode()


def test_an_attacker_cannot_lock_the_real_user_out_from_another_address(merchant_a) -> None:
    usual = "198.51.100.20"
    assert (
        dashboard_login(merchant_a.host, merchant_a.owner_email, PASSWORD, usual)[1].status_code
        == 302
    )
    for n in range(3 * LIMIT):
        dashboard_login(merchant_a.host, merchant_a.owner_email, "guess", address=f"192.0.2.{n}")
        dashboard_login(merchant_a.host, merchant_a.owner_email, "guess")

    client, response = dashboard_login(merchant_a.host, merchant_a.owner_email, PASSWORD, usual)

    assert response.status_code == 302
    assert client.session["_auth_user_id"]


def test_a_rotating_forwarded_for_does_not_lift_the_lockout(merchant_a) -> None:
    statuses = [
        dashboard_login(
            merchant_a.host,
            merchant_a.owner_email,
            "guess",
            HTTP_X_FORWARDED_FOR=f"192.0.2.{n}",
        )[1].status_code
        for n in range(LIMIT + 1)
    ]
    assert statuses == [200] * (LIMIT - 1) + [429, 429]


def test_the_same_email_at_another_merchant_is_another_account(merchant_a, merchant_b) -> None:
    with schema_context(merchant_b.schema):
        staff_create(email=merchant_a.owner_email, role=Role.MANAGER, password=PASSWORD)
    for _ in range(LIMIT):
        dashboard_login(merchant_a.host, merchant_a.owner_email, "guess")

    _client, on_a = dashboard_login(merchant_a.host, merchant_a.owner_email, PASSWORD)
    _client, on_b = dashboard_login(merchant_b.host, merchant_a.owner_email, PASSWORD)

    assert on_a.status_code == 429
    assert on_b.status_code == 302


def test_the_staff_api_locks_the_same_way_with_retry_after(merchant_a) -> None:
    answers = [api_login(merchant_a.host, merchant_a.owner_email, "guess") for _ in range(8)]
    right = api_login(merchant_a.host, merchant_a.owner_email, PASSWORD)

    assert [a.status_code for a in answers] == [401] * (LIMIT - 1) + [429] * (9 - LIMIT)
    assert right.status_code == 429
    error = right.json()["error"]
    assert error["code"] == "rate_limited"
    assert error["fields"]["retry_after"] in (299, 300)
    assert right.headers["Retry-After"] == str(error["fields"]["retry_after"])
    assert "access" not in right.json()
    assert (
        api_login(merchant_a.host, merchant_a.owner_email, PASSWORD, "198.51.100.21").status_code
        == 200
    )


def test_failures_on_the_dashboard_count_for_the_api_too(merchant_a) -> None:
    for _ in range(LIMIT):
        dashboard_login(merchant_a.host, merchant_a.owner_email, "guess")

    assert api_login(merchant_a.host, merchant_a.owner_email, PASSWORD).status_code == 429


def test_a_right_password_clears_the_failures(merchant_a) -> None:
    for _ in range(LIMIT - 1):
        dashboard_login(merchant_a.host, merchant_a.owner_email, "guess")
    assert dashboard_login(merchant_a.host, merchant_a.owner_email, PASSWORD)[1].status_code == 302

    statuses = [
        dashboard_login(merchant_a.host, merchant_a.owner_email, "guess")[1].status_code
        for _ in range(LIMIT - 1)
    ]
    assert statuses == [200] * (LIMIT - 1)


@override_settings(LOGIN_LOCKOUT_SECONDS=1, LOGIN_ACCOUNT_FAILURE_LIMIT=100)
def test_each_lockout_lasts_twice_as_long_as_the_one_before(merchant_a) -> None:
    waits = []
    for _ in range(3):
        answers = [api_login(merchant_a.host, merchant_a.owner_email, "guess") for _ in range(5)]
        assert answers[-1].status_code == 429
        wait = answers[-1].json()["error"]["fields"]["retry_after"]
        waits.append(wait)
        time.sleep(wait + 0.1)

    assert waits == [1, 2, 4]
    assert api_login(merchant_a.host, merchant_a.owner_email, PASSWORD).status_code == 200


ACCOUNT_LIMIT = 10
SLOWED = "Too many failed sign-ins for this account. Try again in 1 min."


def spray(host: str, email: str, rounds: int) -> list[int]:
    """Wrong passwords from a botnet: a fresh address for each guess."""
    return [
        dashboard_login(host, email, "guess", address=f"192.0.2.{n}")[1].status_code
        for n in range(rounds)
    ]


def test_guesses_from_many_addresses_slow_the_account_down(merchant_a) -> None:
    usual = "198.51.100.30"
    assert (
        dashboard_login(merchant_a.host, merchant_a.owner_email, PASSWORD, usual)[1].status_code
        == 302
    )

    statuses = spray(merchant_a.host, merchant_a.owner_email, ACCOUNT_LIMIT + 3)
    client, right = dashboard_login(
        merchant_a.host, merchant_a.owner_email, PASSWORD, address="198.51.100.31"
    )
    known, at_home = dashboard_login(merchant_a.host, merchant_a.owner_email, PASSWORD, usual)

    assert statuses == [200] * ACCOUNT_LIMIT + [429] * 3
    assert right.status_code == 429
    assert "_auth_user_id" not in client.session
    assert SLOWED in right.content.decode()
    assert right.headers["Retry-After"] == "1"
    # The real user's usual address is not slowed, and their sign-in clears the count.
    assert at_home.status_code == 302 and known.session["_auth_user_id"]
    assert spray(merchant_a.host, merchant_a.owner_email, ACCOUNT_LIMIT) == [200] * ACCOUNT_LIMIT


@override_settings(LOGIN_ACCOUNT_DELAY_MAX_SECONDS=2)
def test_each_further_guess_waits_longer_up_to_the_cap(merchant_a) -> None:
    spray(merchant_a.host, merchant_a.owner_email, ACCOUNT_LIMIT)
    waits = []
    for n in range(4):
        refused = api_login(merchant_a.host, merchant_a.owner_email, "guess", f"198.51.100.{n}")
        assert refused.status_code == 429
        error = refused.json()["error"]
        assert error["code"] == "rate_limited"
        assert refused.headers["Retry-After"] == str(error["fields"]["retry_after"])
        waits.append(error["fields"]["retry_after"])
        time.sleep(waits[-1] + 0.1)
        # After the wait, one more guess is heard (and fails).
        heard = api_login(merchant_a.host, merchant_a.owner_email, "guess", f"198.51.100.{n}")
        assert heard.status_code == 401

    assert waits == [1, 2, 2, 2]
    time.sleep(2.1)
    # The real user, from an address never seen before, only waited: they sign in.
    assert (
        api_login(merchant_a.host, merchant_a.owner_email, PASSWORD, "198.51.100.99").status_code
        == 200
    )
    assert (
        api_login(merchant_a.host, merchant_a.owner_email, "guess", "198.51.100.98").status_code
        == 401
    )


def test_the_account_slow_down_is_per_merchant(merchant_a, merchant_b) -> None:
    with schema_context(merchant_b.schema):
        staff_create(email=merchant_a.owner_email, role=Role.MANAGER, password=PASSWORD)
    spray(merchant_a.host, merchant_a.owner_email, ACCOUNT_LIMIT)

    assert (
        api_login(merchant_a.host, merchant_a.owner_email, PASSWORD, "198.51.100.40").status_code
        == 429
    )
    assert (
        api_login(merchant_b.host, merchant_a.owner_email, PASSWORD, "198.51.100.40").status_code
        == 200
    )


@pytest.fixture
def platform_admin() -> TOTPDevice:
    admin = User.objects.create_superuser("ops@platform.jo", "ops@platform.jo", "ops-pass-2026")
    return TOTPDevice.objects.create(user=admin, name="phone", confirmed=True)


def platform_login(password: str, code: str):
    client = HostClient("localhost", REMOTE_ADDR=ATTACKER)
    response = client.post(
        "/admin/login/?next=/admin/",
        {"username": "ops@platform.jo", "password": password, "otp_token": code},
    )
    return client, response


def test_the_platform_login_locks_on_wrong_codes_after_the_right_password(platform_admin) -> None:
    wrong = "000000" if current_code(platform_admin) != "000000" else "111111"
    statuses = [platform_login("ops-pass-2026", wrong)[1].status_code for _ in range(LIMIT)]
    client, right = platform_login("ops-pass-2026", current_code(platform_admin))

    assert statuses == [200] * (LIMIT - 1) + [429]
    assert right.status_code == 429 and LOCKED in right.content.decode()
    assert client.get("/admin/").status_code == 302


def test_the_platform_login_locks_on_wrong_passwords(platform_admin) -> None:
    statuses = [platform_login("guess", "123456")[1].status_code for _ in range(LIMIT + 1)]
    assert statuses == [200] * (LIMIT - 1) + [429, 429]


def test_the_lockout_tables_live_in_the_public_schema_only(merchant_a) -> None:
    # Counters are in Redis; axes' tables exist once, in public (SHARED_APPS), which
    # every merchant host also has on its search path.
    from loyalty.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_schema FROM information_schema.tables WHERE table_name = %s",
            ["axes_accessattempt"],
        )
        assert [row[0] for row in cursor.fetchall()] == ["public"]
