"""The API contract a mobile developer relies on (docs/api.md), tried over HTTP on both
hosts: error shapes and statuses, tokens of the wrong kind, rate limits, money, filters
and pages, idempotency, and the sign-in language."""

from typing import Any

import pytest
from django_tenants.utils import schema_context

from loyalty.api.throttles import ScopedThrottle
from tests.api import ROOT, api, customer_sign_in, staff_sign_in

pytestmark = pytest.mark.django_db


def error_of(response: Any) -> dict[str, Any]:
    assert response["Content-Type"] == "application/json", response.content
    return response.json()["error"]


@pytest.mark.parametrize("debug", [True, False])
def test_unknown_api_paths_and_methods_answer_in_the_error_shape_whatever_debug_is(
    settings, merchant_a, programme, debug
) -> None:
    settings.DEBUG = debug
    customer = customer_sign_in(f"+96279999100{int(debug) + 2}")["access"]
    staff = staff_sign_in(merchant_a.host, programme.cashier.email, "x")["access"]
    asked = [
        (ROOT, "get", "/api/v1/no-such-thing"),
        (ROOT, "post", "/api/v2/me"),
        (ROOT, "get", "/api/v1/me/devices/abc"),
        (merchant_a.host, "get", "/api/v1/rewards/abc"),
        (merchant_a.host, "delete", "/api/nothing/here/"),
    ]
    for host, method, path in asked:
        response = getattr(api(host), method)(path)
        assert (response.status_code, error_of(response)) == (
            404,
            {"code": "not_found", "message": "Nothing is here."},
        ), path

    for client, method, path in [
        (api(ROOT, customer), "put", "/api/v1/me"),
        (api(merchant_a.host, staff), "delete", "/api/v1/staff/earn"),
        (api(merchant_a.host), "patch", "/api/v1/merchant"),
        (api(merchant_a.host), "post", "/api/schema/"),
    ]:
        response = getattr(client, method)(path)
        assert response.status_code == 405, path
        assert error_of(response)["code"] == "method_not_allowed"
        assert response["Allow"]


def test_a_token_of_the_wrong_kind_is_refused_with_its_own_code(merchant_a, programme) -> None:
    customer = customer_sign_in("+962799991001")["access"]
    staff = staff_sign_in(merchant_a.host, programme.cashier.email, "x")["access"]

    as_customer = api(merchant_a.host, staff).get("/api/v1/membership")
    at_root = api(ROOT, staff).get("/api/v1/me")
    as_staff = api(merchant_a.host, customer).get("/api/v1/staff/redemptions")
    logout = api(merchant_a.host, customer).post(
        "/api/v1/staff/auth/logout", {"refresh": "x"}, format="json"
    )
    nothing = api(merchant_a.host).get("/api/v1/staff/redemptions")

    for refused in (as_customer, at_root, as_staff, logout):
        assert refused.status_code == 401
        assert error_of(refused)["code"] == "wrong_token_type"
    assert (nothing.status_code, error_of(nothing)["code"]) == (401, "not_authenticated")


def test_every_429_has_one_body_and_the_retry_after_header(
    merchant_a, programme, monkeypatch
) -> None:
    monkeypatch.setattr(
        ScopedThrottle, "THROTTLE_RATES", {**ScopedThrottle.THROTTLE_RATES, "lookup": "2/min"}
    )
    staff = api(
        merchant_a.host, staff_sign_in(merchant_a.host, programme.cashier.email, "x")["access"]
    )
    scans = [
        staff.post("/api/v1/staff/scan", {"member_number": "99999999"}, format="json")
        for _ in range(3)
    ]
    root = api(ROOT)
    codes = [
        root.post("/api/v1/auth/otp/request", {"phone": "0799991002"}, format="json")
        for _ in range(2)
    ]

    throttled, limited = scans[2], codes[1]
    assert [s.status_code for s in scans] == [404, 404, 429]
    assert codes[0].status_code == 202
    for refused in (throttled, limited):
        error = error_of(refused)
        assert refused.status_code == 429
        assert set(error) == {"code", "message", "fields"}
        assert error["code"] == "rate_limited"
        assert set(error["fields"]) == {"retry_after"}
        assert isinstance(error["fields"]["retry_after"], int)
        assert 1 <= error["fields"]["retry_after"] <= 60
        assert refused["Retry-After"] == str(error["fields"]["retry_after"])
    assert error_of(throttled)["message"] == error_of(limited)["message"]


def test_every_error_code_the_code_raises_is_in_the_registry() -> None:
    import ast
    import pathlib

    from loyalty.errors import CODES

    raisers = {"DomainError", "NotFound", "NotAllowed", "Conflict"}
    raised: set[str] = set()
    root = pathlib.Path(__file__).resolve().parent.parent
    for path in root.rglob("*.py"):
        if {".venv", ".local", "tests"} & set(path.parts) or path.name.startswith("test_"):
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.Call)
                and getattr(node.func, "id", getattr(node.func, "attr", None)) in raisers
                and node.args
                and isinstance(node.args[0], ast.Constant)
            ):
                raised.add(str(node.args[0].value))
    assert raised, "no raising code found"
    assert sorted(raised - set(CODES)) == []


def test_a_rule_refusal_is_422_and_a_schema_violation_400(merchant_a, programme) -> None:
    staff = api(
        merchant_a.host, staff_sign_in(merchant_a.host, programme.cashier.email, "x")["access"]
    )
    with schema_context(merchant_a.schema):
        member = programme.member()

    shape = staff.post("/api/v1/staff/earn", {"member_id": "one", "amount": "5"}, format="json")
    rule = staff.post(
        "/api/v1/staff/earn", {"member_id": member.pk, "amount": "5.0001"}, format="json"
    )

    assert (shape.status_code, error_of(shape)["code"]) == (400, "invalid")
    assert error_of(shape)["fields"] == {"member_id": ["A valid integer is required."]}
    assert (rule.status_code, error_of(rule)["code"]) == (422, "too_many_decimals")


def test_money_is_a_string_of_digits_and_arabic_digits_are_read(merchant_a, programme) -> None:
    from points.models import LedgerEntry

    token = staff_sign_in(merchant_a.host, programme.cashier.email, "x")["access"]
    staff = api(merchant_a.host, token)
    with schema_context(merchant_a.schema):
        member = programme.member()
        entries = LedgerEntry.objects.count()

    def earn(amount: object) -> Any:
        return staff.post(
            "/api/v1/staff/earn", {"member_id": member.pk, "amount": amount}, format="json"
        )

    refused = [earn(amount) for amount in ["1e3", 1000, 5.5, " 5.000", "5.000 ", "+5", "0.000"]]
    with schema_context(merchant_a.schema):
        assert LedgerEntry.objects.count() == entries
    arabic = earn("٥٠٫٥")
    persian = earn("۱۲")

    for response in refused:
        assert response.status_code == 400
        assert error_of(response)["code"] == "invalid_amount"
        assert set(error_of(response)["fields"]) == {"amount"}
    assert (arabic.status_code, arabic.json()["entry"]["amount"]) == (201, "50.500")
    assert (persian.status_code, persian.json()["entry"]["amount"]) == (201, "12.000")


def test_every_list_is_a_page_with_next_and_bad_paging_or_filters_are_400(
    merchant_a, programme
) -> None:
    customer_token = customer_sign_in("+962799991010")["access"]
    root, shop = api(ROOT, customer_token), api(merchant_a.host, customer_token)
    staff = api(
        merchant_a.host, staff_sign_in(merchant_a.host, programme.cashier.email, "x")["access"]
    )
    shop.post("/api/v1/join", {}, format="json")
    for n in range(3):
        root.post("/api/v1/me/devices", {"token": f"fcm-{n}", "platform": "ios"}, format="json")

    lists = [
        (root, "/api/v1/me/memberships"),
        (root, "/api/v1/me/devices"),
        (api(ROOT), "/api/v1/merchants"),
        (shop, "/api/v1/rewards"),
        (shop, "/api/v1/redemptions"),
        (shop, "/api/v1/membership/history"),
        (shop, "/api/v1/membership/inbox"),
        (staff, "/api/v1/staff/redemptions"),
    ]
    for client, path in lists:
        body = client.get(path).json()
        assert isinstance(body, dict), path
        assert {"count", "next", "previous", "results"} <= set(body), path
    first = root.get("/api/v1/me/devices?page_size=2").json()
    second = root.get(first["next"]).json()
    assert (first["count"], len(first["results"]), len(second["results"])) == (3, 2, 1)
    assert second["next"] is None
    beyond = root.get("/api/v1/me/devices?page=9").json()
    assert (beyond["count"], beyond["results"], beyond["next"]) == (3, [], None)

    refused = {
        "/api/v1/me/devices?page=0": "page",
        "/api/v1/me/devices?page=abc": "page",
        "/api/v1/me/devices?page_size=1000": "page_size",
        "/api/v1/me/devices?page_size=2.0": "page_size",
        "/api/v1/me/devices?cursor=cD0yMDI2": "cursor",
        "/api/v1/merchants?category=bogus": "category",
    }
    for path, field in refused.items():
        response = (api(ROOT) if "merchants" in path else root).get(path)
        assert (response.status_code, error_of(response)["code"]) == (400, "invalid"), path
        assert set(error_of(response)["fields"]) == {field}, path
    for path, field in {
        "/api/v1/rewards?category=abc": "category",
        "/api/v1/rewards?affordable=yes": "affordable",
        "/api/v1/membership/history?page=-1": "page",
    }.items():
        response = shop.get(path)
        assert (response.status_code, set(error_of(response)["fields"])) == (400, {field}), path
    bogus = staff.get("/api/v1/staff/redemptions?status=bogus")
    assert (bogus.status_code, set(error_of(bogus)["fields"])) == (400, {"status"})
    unknown = shop.get("/api/v1/rewards?category=999999")
    assert (unknown.status_code, error_of(unknown)["code"]) == (422, "unknown_category")
    assert error_of(unknown)["fields"] == {"category": ["No such category."]}


def test_an_unknown_id_in_the_body_is_refused_with_the_field_named(merchant_a, programme) -> None:
    from points.models import LedgerEntry

    staff = api(
        merchant_a.host, staff_sign_in(merchant_a.host, programme.cashier.email, "x")["access"]
    )
    with schema_context(merchant_a.schema):
        member = programme.member()
        entries = LedgerEntry.objects.count()

    category = staff.post(
        "/api/v1/staff/earn",
        {"member_id": member.pk, "amount": "5.000", "category_id": 999999},
        format="json",
    )
    nobody = staff.post(
        "/api/v1/staff/earn", {"member_id": 999999, "amount": "5.000"}, format="json"
    )

    assert (category.status_code, error_of(category)["code"]) == (422, "unknown_category")
    assert error_of(category)["fields"] == {"category_id": ["No such category."]}
    assert (nobody.status_code, error_of(nobody)["code"]) == (404, "member_not_found")
    assert error_of(nobody)["fields"] == {"member_id": ["No such member."]}
    with schema_context(merchant_a.schema):
        assert LedgerEntry.objects.count() == entries


def test_counts_are_integers_and_the_tier_basis_says_which(merchant_a, programme) -> None:
    from points.services import points_earn

    token = customer_sign_in("+962799991011")["access"]
    member = api(merchant_a.host, token).post("/api/v1/join", {}, format="json").json()
    with schema_context(merchant_a.schema):
        points_earn(membership_id=member["id"], amount="30.000")

    mine = api(merchant_a.host, token).get("/api/v1/membership").json()

    assert mine["tier_basis"] == "points"
    assert mine["points_to_next_tier"] == 200
    assert (mine["visits_to_next_tier"], mine["spend_to_next_tier"]) == (None, None)
    assert mine["points_to_keep_tier"] is None


def test_a_customer_cannot_claim_a_counters_key_and_a_replay_is_marked(
    merchant_a, programme
) -> None:
    from points.models import LedgerEntry
    from points.services import points_earn

    token = customer_sign_in("+962799991020")["access"]
    shop = api(merchant_a.host, token)
    member = shop.post("/api/v1/join", {}, format="json").json()
    with schema_context(merchant_a.schema):
        points_earn(membership_id=member["id"], amount="20.000")
    staff = api(
        merchant_a.host, staff_sign_in(merchant_a.host, programme.cashier.email, "x")["access"]
    )
    key = "till-7-0042"
    body = {"member_id": member["id"], "amount": "20.000"}

    squatted = shop.post(
        f"/api/v1/rewards/{programme.free_coffee.pk}/redeem", HTTP_IDEMPOTENCY_KEY=key
    )
    first = staff.post("/api/v1/staff/earn", body, format="json", HTTP_IDEMPOTENCY_KEY=key)
    again = staff.post("/api/v1/staff/earn", body, format="json", HTTP_IDEMPOTENCY_KEY=key)
    empty = staff.post("/api/v1/staff/earn", body, format="json", HTTP_IDEMPOTENCY_KEY="")

    assert squatted.status_code == 201
    assert first.status_code == again.status_code == 201
    assert again.json()["entry"]["id"] == first.json()["entry"]["id"]
    assert "Idempotent-Replayed" not in first
    assert again["Idempotent-Replayed"] == "true"
    assert (empty.status_code, error_of(empty)["code"]) == (400, "invalid_idempotency_key")
    with schema_context(merchant_a.schema):
        assert LedgerEntry.objects.filter(membership_id=member["id"], kind="earn").count() == 2


@pytest.mark.parametrize(
    ("phone", "headers", "field", "language"),
    [
        ("+962799991031", {"HTTP_ACCEPT_LANGUAGE": "en-GB,en;q=0.8"}, None, "en"),
        ("+962799991032", {"HTTP_ACCEPT_LANGUAGE": "ar"}, "en", "en"),
        ("+962799991033", {}, None, "ar"),
    ],
)
def test_the_language_of_the_code_request_becomes_the_new_customers(
    phone, headers, field, language
) -> None:
    from tests.api import last_code

    client = api(ROOT, **headers)
    body = {"phone": phone} | ({"language": field} if field else {})
    assert client.post("/api/v1/auth/otp/request", body, format="json").status_code == 202
    signed_in = client.post(
        "/api/v1/auth/otp/verify", {"phone": phone, "code": last_code(phone)}, format="json"
    ).json()

    assert signed_in["is_new"] is True
    assert signed_in["customer"]["language"] == language
