"""Walks every API URL pattern on a merchant host and on the root domain with the
credentials that must not reach merchant A's data: none, a customer who is not A's
member, staff of merchant B (with the same user id as A's owner), a platform admin's
session. Each gets 401, 403, 404 or 405, and no response carries A's data."""

import re
from http.cookies import SimpleCookie

import pytest
from django.contrib.auth.models import User
from django.urls import URLPattern, URLResolver, get_resolver
from django_tenants.utils import schema_context

from points.services import points_earn
from rewards.services import redemption_create
from tests.api import ROOT, api, customer_sign_in, staff_sign_in
from tests.fixtures import PASSWORD

pytestmark = pytest.mark.django_db

OPEN = {  # endpoints meant for anyone: sign-in and public profiles
    "merchant-profile",
    "merchant-search",
    "merchant-detail",
    "otp-request",
    "otp-verify",
    "token-refresh",
    "staff-login",
    "staff-refresh",
}
REFUSED = {401, 403, 404, 405}
# What a signed-in customer does for themselves (join a shop, their own profile): the
# outsider may use these, and still never sees A's data.
SELF_SERVICE = {
    "me",
    "me-export",
    "me-phone",
    "me-phone-confirm",
    "me-devices",
    "me-memberships",
    "logout",
}


def api_routes(urlconf: str) -> list[tuple[str, str | None, type]]:
    """(route, name, view class) for every pattern under api/v1/."""
    found = []

    def walk(patterns: list, prefix: str) -> None:
        for p in patterns:
            if isinstance(p, URLResolver):
                walk(p.url_patterns, prefix + str(p.pattern))
            elif isinstance(p, URLPattern):
                route = prefix + str(p.pattern)
                if route.startswith("api/v1/") and hasattr(p.callback, "view_class"):
                    found.append((route, p.name, p.callback.view_class))

    walk(get_resolver(urlconf).url_patterns, "")
    return found


@pytest.fixture
def a_data(merchant_a, programme):
    """A member of A with an earn and a pending redemption, and a device at root."""
    signed = customer_sign_in("+962797770001")
    member_client = api(merchant_a.host, signed["access"])
    member = member_client.post("/api/v1/join", {}, format="json").json()
    with schema_context(merchant_a.schema):
        earn = points_earn(membership_id=member["id"], amount="20.000")
        redemption = redemption_create(
            membership_id=member["id"], reward_id=programme.free_coffee.pk
        )
    device = (
        api(ROOT, signed["access"])
        .post("/api/v1/me/devices", {"token": "push-a-1", "platform": "ios"}, format="json")
        .json()
    )
    return {
        "member": member["id"],
        "entry": earn.pk,
        "redemption": redemption.pk,
        "reward": programme.free_coffee.pk,
        "device": device["id"],
        "secrets": [member["member_number"], redemption.voucher_code, "+962797770001", "push-a-1"],
    }


def concrete(route: str, ids: dict) -> str:
    by_prefix = [
        ("api/v1/staff/members/", ids["member"]),
        ("api/v1/staff/entries/", ids["entry"]),
        ("api/v1/staff/redemptions/", ids["redemption"]),
        ("api/v1/rewards/", ids["reward"]),
        ("api/v1/redemptions/", ids["redemption"]),
        ("api/v1/me/devices/", ids["device"]),
    ]
    pk = next((value for prefix, value in by_prefix if route.startswith(prefix)), 1)
    path = route.replace("<int:pk>", str(pk)).replace("<str:image_format>", "svg")
    return "/" + path.replace("<slug:slug>", "alpha-cafe")


def callers(merchant_a, merchant_b):
    outsider = customer_sign_in("+962797770002")  # a customer, not A's member
    # B's owner has id 1 in B's schema, as A's owner has in A's: ids repeat.
    with schema_context(merchant_b.schema):
        b_owner = User.objects.get(username=merchant_b.owner_email)
    with schema_context(merchant_a.schema):
        a_owner = User.objects.get(username=merchant_a.owner_email)
    assert b_owner.pk == a_owner.pk
    b_staff = staff_sign_in(merchant_b.host, merchant_b.owner_email, PASSWORD)
    with schema_context("public"):
        admin = User.objects.create_superuser("root@platform.jo", "root@platform.jo", "pw")
        signed_in = api(ROOT)
        signed_in.force_login(admin)  # a platform dashboard session: not an API credential
    return {
        "anonymous": None,
        "outsider customer": outsider["access"],
        "staff of B": b_staff["access"],
        "platform admin": signed_in.cookies,
    }


def call(host: str, caller, method: str, path: str):
    if isinstance(caller, SimpleCookie):
        client = api(host)
        client.cookies = caller
    else:
        client = api(host, caller)
    return getattr(client, method)(path, {}, format="json")


@pytest.mark.parametrize("urlconf_host", ["merchant", "root"])
def test_no_foreign_caller_reaches_merchant_as_data(
    merchant_a, merchant_b, a_data, urlconf_host
) -> None:
    host = merchant_a.host if urlconf_host == "merchant" else ROOT
    urlconf = "loyalty.urls_tenant" if urlconf_host == "merchant" else "loyalty.urls_public"
    routes = [r for r in api_routes(urlconf) if r[1] not in OPEN]
    assert len(routes) >= (25 if urlconf_host == "merchant" else 8)
    who = callers(merchant_a, merchant_b)
    checked = 0
    for route, name, view in routes:
        path = concrete(route, a_data)
        for method in ("get", "post", "patch", "delete"):
            if not hasattr(view, method):
                continue
            for label, caller in who.items():
                if label == "outsider customer" and name == "join":
                    continue  # joining makes them a member: not what this walk is about
                response = call(host, caller, method, path)
                if label == "outsider customer" and name in SELF_SERVICE:
                    assert response.status_code < 500, (label, method, path)
                else:
                    assert response.status_code in REFUSED, (label, method, path, response.content)
                body = response.content.decode()
                for secret in a_data["secrets"]:
                    assert secret not in body, (label, method, path)
                checked += 1
    assert checked >= (len(routes) - 1) * len(who)


def test_a_staff_token_of_one_merchant_is_refused_on_another(merchant_a, merchant_b) -> None:
    b_token = staff_sign_in(merchant_b.host, merchant_b.owner_email, PASSWORD)["access"]
    on_a = api(merchant_a.host, b_token).get("/api/v1/staff/redemptions")
    on_b = api(merchant_b.host, b_token).get("/api/v1/staff/redemptions")
    assert on_a.status_code == 401
    assert on_a.json()["error"]["code"] == "authentication_failed"
    assert on_b.status_code == 200


def test_a_customer_token_works_on_every_merchant_joined(merchant_a, merchant_b) -> None:
    token = customer_sign_in("+962797770003")["access"]
    for merchant in (merchant_a, merchant_b):
        assert api(merchant.host, token).post("/api/v1/join", {}, format="json").status_code == 201
    mine = api(ROOT, token).get("/api/v1/me/memberships").json()["results"]
    assert sorted(m["merchant"] for m in mine) == ["alpha-cafe", "beta-gym"]


def test_every_api_route_is_walked() -> None:
    names = {name for _, name, _ in api_routes("loyalty.urls_tenant")}
    names |= {name for _, name, _ in api_routes("loyalty.urls_public")}
    assert not {n for n in names if not re.match(r"^[a-z-]+$", n or "")}
