"""A refresh token rotates once: of parallel refreshes of one token exactly one wins.

Real threads, each with its own PostgreSQL connection, post the same refresh token
over HTTP at the same instant, as an attacker replaying a stolen token would race its
owner's app.
"""

import pytest

from loyalty.db import connection
from tests.api import ROOT, api, customer_sign_in, staff_sign_in
from tests.fixtures import PASSWORD
from tests.threads import committed, run_together

pytestmark = pytest.mark.django_db
RACERS = 8


def race(host: str, path: str, refresh: str) -> list[tuple[int, str]]:
    def refresh_once(i: int) -> tuple[int, str]:
        response = api(host).post(path, {"refresh": refresh}, format="json")
        body = response.json()
        return response.status_code, body.get("refresh") or body["error"]["code"]

    return run_together(RACERS, connection.schema_name, refresh_once)


def outcome(results: list[tuple[int, str]]) -> list[int]:
    return sorted(status for status, _ in results)


def test_parallel_refreshes_of_a_customer_token_rotate_it_once() -> None:
    tokens = committed(lambda: customer_sign_in("+962795550101"))

    results = race(ROOT, "/api/v1/auth/token/refresh", tokens["refresh"])

    assert outcome(results) == [200] + [401] * (RACERS - 1), results
    assert sorted(code for status, code in results if status == 401) == ["token_invalid"] * (
        RACERS - 1
    )
    winner = next(new for status, new in results if status == 200)
    again = api(ROOT).post("/api/v1/auth/token/refresh", {"refresh": winner}, format="json")
    assert again.status_code == 200


def test_parallel_refreshes_of_a_staff_token_rotate_it_once(merchant_a) -> None:
    tokens = staff_sign_in(merchant_a.host, merchant_a.owner_email, PASSWORD)
    connection.set_tenant(merchant_a.merchant)

    results = race(merchant_a.host, "/api/v1/staff/auth/refresh", tokens["refresh"])

    assert outcome(results) == [200] + [401] * (RACERS - 1), results
