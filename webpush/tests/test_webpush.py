"""Web Push end to end: a browser's subscription (a real P-256 key pair made here)
posted to the web card, points awarded through the earn service, and the outbox relay
posting to a local stub of the browser's push service: the VAPID signature, the
aes128gcm body and the text in the member's language."""

import base64
import datetime
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import http_ece
import jwt
import pytest
import time_machine
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.test import override_settings
from django.utils import timezone
from django_tenants.utils import schema_context

from messaging.models import Delivery, SentMessage
from messaging.relay import deliveries_send, event_settings, outbox_fan_out
from points.services import points_earn
from tests.stub_server import Recorded, Stub, stub_server
from webpush.models import PushSubscription

pytestmark = pytest.mark.django_db
SUBJECT = "mailto:push@loyalty.test"


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class Browser:
    """What a browser keeps for one subscription: its key pair and auth secret."""

    key: ec.EllipticCurvePrivateKey
    auth: bytes
    endpoint: str

    @property
    def subscription(self) -> dict[str, Any]:  # PushSubscription.toJSON()
        public = self.key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        return {
            "endpoint": self.endpoint,
            "expirationTime": None,
            "keys": {"p256dh": b64url(public), "auth": b64url(self.auth)},
        }

    def decrypt(self, body: bytes) -> Any:
        return json.loads(
            http_ece.decrypt(body, private_key=self.key, auth_secret=self.auth, version="aes128gcm")
        )


def browser(stub: Stub, name: str = "b1") -> Browser:
    return Browser(
        ec.generate_private_key(ec.SECP256R1()), os.urandom(16), f"{stub.url}/push/{name}"
    )


@pytest.fixture
def vapid() -> Iterator[ec.EllipticCurvePrivateKey]:
    key = ec.generate_private_key(ec.SECP256R1())
    public = key.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    private = key.private_numbers().private_value.to_bytes(32, "big")
    with override_settings(
        VAPID_PUBLIC_KEY=b64url(public),
        VAPID_PRIVATE_KEY=b64url(private),
        VAPID_SUBJECT=SUBJECT,
        WEBPUSH_SERVICE_HOSTS=["127.0.0.1"],
    ):
        yield key


def only_push(event: str = "points_earned") -> None:
    for setting in event_settings().values():
        for name in ("push", "email", "sms", "whatsapp"):
            setattr(setting, name, setting.event == event and name == "push")
        setting.save()


AMMAN = ZoneInfo("Asia/Amman")


@pytest.fixture(autouse=True)
def _clock() -> Iterator[None]:
    """Every test here lives on a Friday evening in Amman, the clock running on from
    there: the VAPID token's expiry and the retry's wait are measured from it."""
    with time_machine.travel(datetime.datetime(2026, 12, 4, 19, 30, tzinfo=AMMAN), tick=True):
        yield


def subscribe(card_client: Any, host: str, customer: Any, subscription: dict[str, Any]) -> Any:
    return card_client(host, customer).post(
        "/card/push/subscribe", subscription, content_type="application/json"
    )


def earn_750_and_relay(programme: Any, member: Any) -> Delivery:
    # 50.000 JOD at 10 points a dinar, Silver's 1.5x: 750 points.
    points_earn(membership_id=member.pk, amount="50.000", actor=programme.cashier)
    while outbox_fan_out():
        pass
    deliveries_send(seconds=10)
    return Delivery.objects.get(message__membership_id=member.pk, message__event="points_earned")


def accepted(request: Recorded) -> tuple[int, Any, dict[str, str]]:
    return 201, {}, {"Location": "https://push.example/m/1"}


def check_vapid(request: Recorded, stub: Stub, vapid: ec.EllipticCurvePrivateKey) -> None:
    """The Authorization header is VAPID (RFC 8292): a JWT for the push service's
    origin, signed with our private key, and our public key beside it."""
    headers = {k.lower(): v for k, v in request.headers.items()}
    scheme, params = headers["authorization"].split(" ", 1)
    assert scheme == "vapid"
    fields = dict(part.split("=", 1) for part in params.split(","))
    public = vapid.public_key()
    assert unb64url(fields["k"]) == public.public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    claims = jwt.decode(fields["t"], public, algorithms=["ES256"], audience=stub.url)
    assert (claims["aud"], claims["sub"]) == (stub.url, SUBJECT)
    assert 0 < claims["exp"] - timezone.now().timestamp() <= 24 * 3600


def test_a_subscribed_browser_receives_the_points_earned_through_the_outbox(
    programme, merchant_a, card_client, vapid
) -> None:
    only_push()
    member = programme.member(tier=programme.silver, language="en")
    with stub_server(responder=accepted) as push_service:
        phone = browser(push_service)
        subscribed = subscribe(card_client, merchant_a.host, member.customer, phone.subscription)
        assert (subscribed.status_code, subscribed.json()) == (200, {"subscribed": True})
        subscribed_at = PushSubscription.objects.get().last_used_at

        delivery = earn_750_and_relay(programme, member)

    [request] = push_service.requests
    assert (request.method, request.path) == ("POST", "/push/b1")
    headers = {k.lower(): v for k, v in request.headers.items()}
    assert headers["content-encoding"] == "aes128gcm"
    assert (headers["ttl"], headers["urgency"]) == ("86400", "high")
    check_vapid(request, push_service, vapid)
    assert phone.decrypt(request.body) == {
        "title": "Alpha Café",
        "body": "You earned 750 points! Your balance is 750.",
        "url": f"http://{merchant_a.host}/card/",
        "lang": "en",
        "dir": "ltr",
    }
    assert (delivery.status, delivery.to, delivery.attempts) == ("sent", "1 device(s)", 1)
    assert delivery.provider_id == "https://push.example/m/1"
    subscription = PushSubscription.objects.get()
    assert (subscription.customer_id, subscription.merchant_id) == (
        member.customer_id,
        merchant_a.merchant.pk,
    )
    assert subscription.last_used_at > subscribed_at


def test_an_arabic_member_receives_it_in_arabic(programme, merchant_a, card_client, vapid) -> None:
    only_push()
    member = programme.member(tier=programme.silver, language="ar")
    with stub_server(responder=accepted) as push_service:
        phone = browser(push_service)
        subscribe(card_client, merchant_a.host, member.customer, phone.subscription)

        delivery = earn_750_and_relay(programme, member)

    [request] = push_service.requests
    check_vapid(request, push_service, vapid)
    payload = phone.decrypt(request.body)
    assert payload == {
        # The Latin name keeps its direction in an Arabic notification.
        "title": "\u2068Alpha Café\u2069",
        "body": "ربحت 750 نقطة! رصيدك الآن 750.",
        "url": f"http://{merchant_a.host}/card/",
        "lang": "ar",
        "dir": "rtl",
    }
    assert delivery.status == "sent"


def test_a_subscription_the_push_service_says_is_gone_is_removed(
    programme, merchant_a, card_client, vapid
) -> None:
    only_push()
    member = programme.member(tier=programme.silver)
    with stub_server(status=410) as push_service:
        subscribe(card_client, merchant_a.host, member.customer, browser(push_service).subscription)

        delivery = earn_750_and_relay(programme, member)

    assert len(push_service.requests) == 1
    assert not PushSubscription.objects.exists()
    assert (delivery.status, delivery.attempts) == ("dead", 1)
    assert delivery.last_error == "Web Push: every subscription is gone"


def test_a_push_service_error_is_retried_with_backoff(
    programme, merchant_a, card_client, vapid
) -> None:
    only_push()
    member = programme.member(tier=programme.silver)
    with stub_server(status=503) as push_service:
        subscribe(card_client, merchant_a.host, member.customer, browser(push_service).subscription)
        before = timezone.now()

        delivery = earn_750_and_relay(programme, member)

    assert (delivery.status, delivery.attempts, delivery.last_error) == (
        "pending",
        1,
        "Web Push 503",
    )
    wait = delivery.next_attempt_at - before
    assert datetime.timedelta(seconds=30) <= wait < datetime.timedelta(seconds=40)
    assert PushSubscription.objects.count() == 1


def test_a_merchants_message_goes_only_to_browsers_subscribed_on_its_host(
    programme, merchant_a, merchant_b, card_client, vapid
) -> None:
    only_push()
    member = programme.member(tier=programme.silver)
    with stub_server(responder=accepted) as push_service:
        subscribe(
            card_client, merchant_b.host, member.customer, browser(push_service, "b").subscription
        )
        with schema_context(merchant_a.schema):  # the request left merchant B's schema on
            delivery = earn_750_and_relay(programme, member)

    assert push_service.requests == []
    assert (delivery.status, delivery.last_error) == (
        "skipped",
        "The customer has no address on this channel.",
    )


def test_the_push_preference_holds_web_push_too(programme, merchant_a, card_client, vapid) -> None:
    from customers.models import NotificationPreference

    only_push()
    member = programme.member(tier=programme.silver)
    NotificationPreference.objects.create(customer=member.customer, push_transactional=False)
    with stub_server(responder=accepted) as push_service:
        subscribe(card_client, merchant_a.host, member.customer, browser(push_service).subscription)

        delivery = earn_750_and_relay(programme, member)

    assert push_service.requests == []
    assert delivery.status == "skipped"


def test_without_vapid_keys_web_push_is_recorded_not_sent(programme, merchant_a) -> None:
    only_push()
    member = programme.member(tier=programme.silver, language="en")
    with stub_server(responder=accepted) as push_service:
        phone = browser(push_service)
        PushSubscription.objects.create(
            customer=member.customer,
            merchant=merchant_a.merchant,
            endpoint=phone.endpoint,
            p256dh=phone.subscription["keys"]["p256dh"],
            auth=phone.subscription["keys"]["auth"],
            last_used_at=timezone.now(),
        )
        with override_settings(VAPID_PUBLIC_KEY="", VAPID_PRIVATE_KEY=""):
            delivery = earn_750_and_relay(programme, member)

    assert push_service.requests == []
    assert (delivery.status, delivery.to) == ("recorded", "1 device(s)")
    record = SentMessage.objects.get(delivery_id=delivery.pk)
    assert (record.channel, record.status, record.body) == (
        "push",
        "recorded",
        "You earned 750 points! Your balance is 750.",
    )


def test_a_push_goes_to_the_app_and_the_browser_and_is_sent_when_either_took_it(
    programme, merchant_a, card_client, vapid
) -> None:
    from customers.models import Device
    from messaging.tests.test_providers import fcm_stub, firebase_credentials

    only_push()
    member = programme.member(tier=programme.silver)
    Device.objects.create(customer_id=member.customer_id, token="app-token", platform="android")
    fcm_down = fcm_stub(
        lambda request: (503, {"error": {"code": 503, "status": "UNAVAILABLE"}}, {})
    )
    with stub_server(responder=fcm_down) as fcm, stub_server(responder=accepted) as push_service:
        subscribe(card_client, merchant_a.host, member.customer, browser(push_service).subscription)
        with override_settings(
            FIREBASE_CREDENTIALS=firebase_credentials(f"{fcm.url}/token"), FCM_API_BASE_URL=fcm.url
        ):
            delivery = earn_750_and_relay(programme, member)

    assert len(fcm.to("/messages:send")) >= 1
    assert len(push_service.requests) == 1
    assert (delivery.status, delivery.to) == ("sent", "2 device(s)")
    assert delivery.provider_id == "https://push.example/m/1"
