"""Every route of both hosts, walked with input no view should see: NUL characters in the
query and the body, JSON nested 1,000 deep, a body above the upload limit, content types
no view reads, and a valid token of the wrong kind. No answer is a 5xx, and under /api/
every refusal is in the error shape.

Routes come from the URL resolvers themselves, so a route added later is walked too.
Dashboard routes are walked signed in (the merchant's owner, the platform admin with
the authenticator code) so that their forms are reached, with real objects behind the
change pages.
"""

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.db import models
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.utils.regex_helper import normalize
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_tenants.utils import schema_context

from loyalty.api.throttles import ScopedThrottle
from notifications.models import Broadcast
from points.services import points_earn
from rewards.services import redemption_create
from tests.api import api, customer_sign_in, staff_sign_in
from tests.fixtures import PASSWORD, HostClient

pytestmark = pytest.mark.django_db

PUBLIC, TENANT = "loyalty.urls_public", "loyalty.urls_tenant"
NUL_QUERY = "q=a%00b&category=%00&city=Amman%00&page=1%00"
HUGE = b'{"name": "' + b"x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1) + b'"}'
NUL_JSON = json.dumps(
    {
        "name": "a\u0000b",
        "phone": "+9627\u00009123456",
        "amount": "5\u0000",
        "member_number": "\u0000",
        "code": "\u0000",
        "token": "\u0000",
        "reason\u0000": "x",
    }
)
# (what, body, content type): the bodies every write method of every route receives.
# The guard refuses the first five before any view; the rest reach the views.
BODIES: list[tuple[str, bytes | str, str]] = [
    ("NUL in a form", "name=a%00b&phone=%00&username=a%00", "application/x-www-form-urlencoded"),
    (
        "NUL in a multipart form",
        b'--B\r\nContent-Disposition: form-data; name="name"\r\n\r\na\x00b\r\n--B--\r\n',
        "multipart/form-data; boundary=B",
    ),
    ("multipart without a boundary", "--x\r\n", "multipart/form-data"),
    ("a huge body", HUGE, "application/json"),
    (
        "a huge form",
        b"name=" + b"x" * settings.DATA_UPLOAD_MAX_MEMORY_SIZE,
        "application/x-www-form-urlencoded",
    ),
    ("JSON 1,000 deep", '{"name": ' * 1000 + "1" + "}" * 1000, "application/json"),
    ("a list 1,000 deep", "[" * 1000 + "]" * 1000, "application/json"),
    ("NUL in JSON", NUL_JSON, "application/json"),
    ("plain text", "name=x", "text/plain"),
    ("XML", "<name>x</name>", "application/xml"),
    ("JSON in a charset that is no text", '{"name": "x"}', "application/json; charset=bz2_codec"),
]
# A dashboard form reads none of the bodies after the first JSON one (its form is empty
# either way, and rendering it again is the slow part of the walk); a dashboard endpoint
# that answers JSON (the counter's) gets them all.
FORM_VIEW_BODIES = 6


@dataclass(frozen=True)
class Route:
    urlconf: str
    path: str
    pattern: URLPattern

    @property
    def is_api(self) -> bool:
        return self.path.startswith("/api/")

    @property
    def methods(self) -> list[str]:
        view = getattr(self.pattern.callback, "cls", None) or getattr(
            self.pattern.callback, "view_class", None
        )
        if view is None:
            return ["get", "post"]
        return [m for m in ("get", "post", "put", "patch", "delete") if hasattr(view, m)]


def _patterns(resolver: URLResolver, prefix: str = "") -> Iterator[tuple[str, URLPattern]]:
    for entry in resolver.url_patterns:
        regex = prefix + entry.pattern.regex.pattern.removeprefix("^")
        if isinstance(entry, URLResolver):
            yield from _patterns(entry, regex)
        else:
            yield regex, entry


def _first_pk(model: type[models.Model]) -> str:
    first = model._default_manager.order_by("pk").values_list("pk", flat=True).first()
    return str(first or 1)


def routes(urlconf: str, schema: str, values: dict[str, str]) -> list[Route]:
    """Every route of `urlconf`, its path parameters filled with plausible values (the
    first row of the admin's model for object ids)."""
    found = []
    with schema_context(schema):
        for regex, pattern in _patterns(get_resolver(urlconf)):
            model_admin = getattr(pattern.callback, "model_admin", None)
            filled = dict(values)
            if model_admin is not None:
                filled["object_id"] = _first_pk(model_admin.model)
            template, params = normalize(regex)[0]
            found.append(Route(urlconf, "/" + template % {p: filled[p] for p in params}, pattern))
    return found


def _customer_token(member_phone: str) -> str:
    return str(customer_sign_in(member_phone)["access"])


def _platform_admin(client: HostClient) -> None:
    with schema_context("public"):
        admin = User.objects.create_superuser("walk@platform.jo", "walk@platform.jo", PASSWORD)
        device = TOTPDevice.objects.create(user=admin, name="phone", confirmed=True)
    code = f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"
    signed_in = client.post(
        "/admin/login/", {"username": admin.username, "password": PASSWORD, "otp_token": code}
    )
    assert signed_in.status_code == 302, signed_in.content[:300]


def _owner(client: HostClient, email: str) -> None:
    signed_in = client.post("/admin/login/", {"username": email, "password": PASSWORD})
    assert signed_in.status_code == 302, signed_in.content[:300]


def _problem(route: Route, what: str, response: Any) -> str | None:
    if response.status_code >= 500:
        return f"{response.status_code}"
    if route.is_api and response.status_code >= 400:
        try:
            error = response.json()["error"]
            assert isinstance(error["code"], str) and isinstance(error["message"], str)
        except (ValueError, KeyError, TypeError, AssertionError):
            return f"{response.status_code} not in the error shape: {response.content[:120]!r}"
    if not route.is_api and response.status_code in (400, 413):
        # A page, or the error shape from the dashboards' JSON endpoints (the counter).
        if response["Content-Type"].startswith("application/json"):
            return _problem(Route(route.urlconf, "/api/", route.pattern), what, response)
        if not response["Content-Type"].startswith("text/html"):
            return f"{response.status_code} is neither a page nor the error shape"
    return None


def test_no_route_answers_5xx_to_hostile_input(merchant_a, programme, monkeypatch) -> None:
    # Rate limits would answer 429 before the views see the input the walk is about.
    monkeypatch.setattr(ScopedThrottle, "allow_request", lambda self, request, view: True)
    # Stripe's webhook answers 503 until billing is set up; set up, the input reaches
    # its signature check.
    monkeypatch.setattr(settings, "STRIPE_WEBHOOK_SECRET", "whsec_walk")
    monkeypatch.setattr(settings, "STRIPE_SECRET_KEY", "sk_test_walk")
    phone = "+962791110001"
    with schema_context(merchant_a.schema):
        member = programme.member(phone=phone)
        owner = User.objects.get(email=merchant_a.owner_email)
        points_earn(membership_id=member.pk, amount="200.000", actor=owner)
        redemption_create(membership_id=member.pk, reward_id=programme.free_coffee.pk)
        Broadcast.objects.create(title_en="Hi", body_en="Hi", title_ar="أهلا", body_ar="أهلا")
        values = {
            "slug": merchant_a.merchant.slug,
            "code": merchant_a.merchant.join_code,
            "token": "bm90LWEtdG9rZW4",
            "uidb64": "MQ",
            "rest": "v1/nowhere",
            "image_format": "png",
            "app_label": "auth",
            "url": "nothing-here/",
            "content_type_id": "1",
            "object_id": "1",
            "pk": "1",
            "size": "192",
            "device_library_id": "device-1",
            "pass_type_id": "pass.jo.loyalty.test",
            "serial_number": "0" * 32,
            "id": str(owner.pk),
            "path": f"{merchant_a.schema}/nothing.png",
        }
    tokens = {
        "no token": None,
        "a customer token": _customer_token(phone),
        "a staff token": str(
            staff_sign_in(merchant_a.host, merchant_a.owner_email, PASSWORD)["access"]
        ),
    }
    platform = HostClient(settings.BASE_DOMAIN, raise_request_exception=False)
    _platform_admin(platform)
    dashboard = HostClient(merchant_a.host, raise_request_exception=False)
    _owner(dashboard, merchant_a.owner_email)
    walked = {
        PUBLIC: (routes(PUBLIC, "public", values), settings.BASE_DOMAIN, platform),
        TENANT: (routes(TENANT, merchant_a.schema, values), merchant_a.host, dashboard),
    }

    problems: list[str] = []
    calls: list[tuple[Route, str, Client, str]] = []
    for urlconf, (found, host, signed_in) in walked.items():
        for route in found:
            with schema_context("public" if urlconf == PUBLIC else merchant_a.schema):
                match = resolve(route.path, urlconf=urlconf)
            if match.func is not route.pattern.callback:
                problems.append(f"{route.path}: the walk filled its parameters wrongly")
            clients: dict[str, Client] = {"signed in": signed_in}
            if route.is_api:
                clients = {
                    kind: api(host, token, raise_request_exception=False)
                    for kind, token in tokens.items()
                }
            calls += [
                (route, who, client, m) for who, client in clients.items() for m in route.methods
            ]
    # Deleting (the customer's account) and signing out come last, so that every other
    # call is made by a live account and session.
    calls.sort(key=lambda call: call[3] == "delete" or "logout" in call[0].path)
    sent = 0
    for route, who, client, method in calls:
        send: list[tuple[str, Callable[[], Any]]]
        if method == "get":
            send = [("NUL in the query", partial(client.get, f"{route.path}?{NUL_QUERY}"))]
            if route.is_api:  # the token of the wrong kind, alone
                send.append(("no input", partial(client.get, route.path)))
        else:
            # generic() sends the bytes as they are, whatever the charset says.
            send = [
                (what, partial(client.generic, method.upper(), route.path, body, content_type))
                for what, body, content_type in BODIES
            ]
        for number, (what, request) in enumerate(send):
            response = request()
            sent += 1
            problem = _problem(route, what, response)
            if problem:
                host = client.defaults["HTTP_HOST"]
                problems.append(f"{method.upper()} {host}{route.path} ({what}, {who}): {problem}")
            is_json = response.get("Content-Type", "").startswith("application/json")
            if number + 1 == FORM_VIEW_BODIES and not (route.is_api or is_json):
                break
    assert problems == [], f"{len(problems)} of {sent} answers:\n" + "\n".join(problems)
    assert len(walked[PUBLIC][0]) >= 70 and len(walked[TENANT][0]) >= 130
