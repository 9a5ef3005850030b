"""The web card's Web Push endpoints: the signed-in customer's browser subscribes and
unsubscribes; anything else is refused in the API's error shape, never a 500."""

import base64
import os
from collections.abc import Iterator
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.template.loader import render_to_string
from django.test import RequestFactory, override_settings
from django_tenants.utils import schema_context

from points.tests.factories import customer_make
from tests.fixtures import HostClient
from webcard.sessions import COOKIE, session_create
from webpush.models import PushSubscription

pytestmark = pytest.mark.django_db
ENDPOINT = "https://fcm.googleapis.com/fcm/send/abc:def"
PUBLIC_KEY = (
    "BEl62iUYgUivxIkv69yViEuiBIa-Ib9-SkvMeAtA3LFgDzkrxZJjSgSnfckjBJuBkr3qBUYIHBQFLXYp5Nksh8U"
)


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def keys() -> dict[str, str]:
    public = (
        ec.generate_private_key(ec.SECP256R1())
        .public_key()
        .public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    )
    return {"p256dh": b64url(public), "auth": b64url(os.urandom(16))}


@pytest.fixture(autouse=True)
def configured() -> Iterator[None]:
    with override_settings(VAPID_PUBLIC_KEY=PUBLIC_KEY, VAPID_PRIVATE_KEY="x" * 43):
        yield


def post(client: Any, path: str, body: Any, content_type: str = "application/json") -> Any:
    return client.post(path, body, content_type=content_type)


def test_subscribing_keeps_one_row_per_browser_and_moves_it_to_who_signed_in(
    merchant_a, card_client
) -> None:
    rana, omar = customer_make(), customer_make()
    first = {"endpoint": ENDPOINT, "keys": keys()}
    renewed = keys()
    again = {"endpoint": ENDPOINT, "keys": renewed, "expirationTime": None}

    assert post(card_client(merchant_a.host, rana), "/card/push/subscribe", first).json() == {
        "subscribed": True
    }
    post(card_client(merchant_a.host, omar), "/card/push/subscribe", again)

    [subscription] = PushSubscription.objects.all()
    assert (subscription.customer_id, subscription.merchant_id) == (omar.pk, merchant_a.merchant.pk)
    assert (subscription.p256dh, subscription.auth) == (renewed["p256dh"], renewed["auth"])


def test_unsubscribing_removes_only_the_customers_own(merchant_a, card_client) -> None:
    rana, omar = customer_make(), customer_make()
    post(
        card_client(merchant_a.host, rana),
        "/card/push/subscribe",
        {"endpoint": ENDPOINT, "keys": keys()},
    )

    by_omar = post(
        card_client(merchant_a.host, omar), "/card/push/unsubscribe", {"endpoint": ENDPOINT}
    )
    assert (by_omar.status_code, PushSubscription.objects.count()) == (200, 1)

    by_rana = post(
        card_client(merchant_a.host, rana), "/card/push/unsubscribe", {"endpoint": ENDPOINT}
    )
    assert (by_rana.json(), PushSubscription.objects.count()) == ({"subscribed": False}, 0)


def test_a_browser_keeps_at_most_ten_subscriptions_per_customer(merchant_a, card_client) -> None:
    rana = customer_make()
    client = card_client(merchant_a.host, rana)
    for n in range(12):
        post(client, "/card/push/subscribe", {"endpoint": f"{ENDPOINT}{n}", "keys": keys()})

    endpoints = set(PushSubscription.objects.values_list("endpoint", flat=True))
    assert endpoints == {f"{ENDPOINT}{n}" for n in range(2, 12)}


@pytest.mark.parametrize(
    ("body", "content_type", "status", "code", "fields"),
    [
        ("{not json", "application/json", 400, "malformed_request", None),
        ("endpoint=x", "application/x-www-form-urlencoded", 415, "unsupported_media_type", None),
        ([ENDPOINT], "application/json", 400, "malformed_request", None),
        ({}, "application/json", 400, "invalid", ["endpoint", "keys.auth", "keys.p256dh"]),
        (
            {"endpoint": "https://attacker.example/collect", "keys": "good"},
            "application/json",
            400,
            "invalid",
            ["endpoint"],
        ),
        (
            {"endpoint": "http://fcm.googleapis.com/x", "keys": "good"},
            "application/json",
            400,
            "invalid",
            ["endpoint"],
        ),
        (
            {"endpoint": "https://127.0.0.1/x", "keys": "good"},
            "application/json",
            400,
            "invalid",
            ["endpoint"],
        ),
        (
            {"endpoint": "https://fcm.googleapis.com:99999/x", "keys": "good"},
            "application/json",
            400,
            "invalid",
            ["endpoint"],
        ),
        (
            {"endpoint": ENDPOINT + "x" * 1100, "keys": "good"},
            "application/json",
            400,
            "invalid",
            ["endpoint"],
        ),
        (
            {"endpoint": ENDPOINT, "keys": {"p256dh": "AAAA", "auth": 7}},
            "application/json",
            400,
            "invalid",
            ["keys.auth", "keys.p256dh"],
        ),
        (
            {"endpoint": ENDPOINT, "keys": {"p256dh": "BA" + "A" * 85, "auth": "!!!"}},
            "application/json",
            400,
            "invalid",
            ["keys.auth", "keys.p256dh"],
        ),
    ],
)
def test_bad_subscriptions_are_refused_with_the_error_shape(
    merchant_a, card_client, body, content_type, status, code, fields
) -> None:
    if isinstance(body, dict) and body.get("keys") == "good":
        body = {**body, "keys": keys()}
    client = card_client(merchant_a.host, customer_make())

    response = post(client, "/card/push/subscribe", body, content_type)

    assert response.status_code == status
    error = response.json()["error"]
    assert error["code"] == code
    assert sorted(error.get("fields", {})) == (fields or [])
    assert not PushSubscription.objects.exists()


def test_only_post_and_only_signed_in(merchant_a, card_client, host_client) -> None:
    client = card_client(merchant_a.host, customer_make())
    got = client.get("/card/push/subscribe")
    assert (got.status_code, got.json()["error"]["code"], got["Allow"]) == (
        405,
        "method_not_allowed",
        "POST",
    )

    anonymous = post(
        host_client(merchant_a.host), "/card/push/subscribe", {"endpoint": ENDPOINT, "keys": keys()}
    )
    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith("/card/signin?next=")
    assert not PushSubscription.objects.exists()


def test_the_csrf_token_is_required(merchant_a) -> None:
    rana = customer_make()
    client = HostClient(merchant_a.host, enforce_csrf_checks=True)
    client.cookies[COOKIE] = session_create(customer=rana, merchant=merchant_a.merchant)
    body = {"endpoint": ENDPOINT, "keys": keys()}

    assert post(client, "/card/push/subscribe", body).status_code == 403
    assert not PushSubscription.objects.exists()

    secret = "a" * 32
    client.cookies["csrftoken"] = secret
    allowed = client.post(
        "/card/push/subscribe", body, content_type="application/json", HTTP_X_CSRFTOKEN=secret
    )
    assert allowed.status_code == 200
    assert PushSubscription.objects.get().customer_id == rana.pk


def test_without_vapid_keys_nobody_subscribes(merchant_a, card_client) -> None:
    client = card_client(merchant_a.host, customer_make())
    with override_settings(VAPID_PUBLIC_KEY="", VAPID_PRIVATE_KEY=""):
        response = post(client, "/card/push/subscribe", {"endpoint": ENDPOINT, "keys": keys()})

    assert (response.status_code, response.json()["error"]["code"]) == (
        503,
        "webpush_not_configured",
    )
    assert not PushSubscription.objects.exists()


def render_switch(schema: str) -> str:
    request = RequestFactory().get("/card/settings")
    with schema_context(schema):
        return render_to_string("card/push_toggle.html", request=request)


def test_the_switch_shows_on_a_merchant_host_with_keys_only(merchant_a) -> None:
    html = render_switch(merchant_a.schema)
    assert f'data-key="{PUBLIC_KEY}"' in html
    assert 'data-subscribe="/card/push/subscribe"' in html
    assert 'data-unsubscribe="/card/push/unsubscribe"' in html
    assert "Notifications on this phone" in html and "card/push.js" in html

    assert render_switch("public").strip() == ""
    with override_settings(VAPID_PUBLIC_KEY=""):
        assert render_switch(merchant_a.schema).strip() == ""


def test_closing_the_account_forgets_its_browsers(merchant_a, card_client) -> None:
    from customers.services import customer_delete

    rana = customer_make()
    body = {"endpoint": ENDPOINT, "keys": keys()}
    post(card_client(merchant_a.host, rana), "/card/push/subscribe", body)

    customer_delete(customer=rana)

    assert not PushSubscription.objects.exists()
