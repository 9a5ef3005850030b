"""Each channel through its official SDK against a local stub of the provider: the
exact request sent, and what a provider error does to the delivery (retry with
back-off, or dead letter)."""

import datetime
import json
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.test import override_settings
from django.utils import timezone

from customers.models import Device
from messaging.models import Delivery, SentMessage
from messaging.relay import deliveries_retry, deliveries_send, event_settings, outbox_fan_out
from points.services import points_earn
from tests.stub_server import Recorded, stub_server

TWILIO = {
    "TWILIO_ACCOUNT_SID": "AC00000000000000000000000000000001",
    "TWILIO_AUTH_TOKEN": "secret-token",
    "TWILIO_FROM_NUMBER": "+15005550006",
}
_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
PEM = _KEY.private_bytes(
    serialization.Encoding.PEM,
    serialization.PrivateFormat.PKCS8,
    serialization.NoEncryption(),
).decode()


def firebase_credentials(token_url: str) -> str:
    return json.dumps(
        {
            "type": "service_account",
            "project_id": "loyalty-test",
            "private_key_id": "key1",
            "private_key": PEM,
            "client_email": "fcm@loyalty-test.iam.gserviceaccount.com",
            "client_id": "1",
            "token_uri": token_url,
        }
    )


def only(event: str, channel: str) -> None:
    """Only `event` goes out, on `channel` alone."""
    for setting in event_settings().values():
        for name in ("push", "email", "sms", "whatsapp"):
            setattr(setting, name, setting.event == event and name == channel)
        setting.save()


def earn_and_relay(programme: Any, **customer: Any) -> Delivery:
    member = programme.member(tier=programme.silver, **customer)
    points_earn(membership_id=member.pk, amount="50.000", actor=programme.cashier)
    while outbox_fan_out():
        pass
    deliveries_send(seconds=10)
    return Delivery.objects.get(message__membership_id=member.pk, message__event="points_earned")


def test_sms_goes_to_twilio_with_the_merchant_name(programme) -> None:
    only("points_earned", "sms")
    reply = {"sid": "SMabc", "status": "queued"}
    with (
        stub_server(reply=reply) as twilio,
        override_settings(TWILIO_API_BASE_URL=twilio.url, **TWILIO),
    ):
        delivery = earn_and_relay(programme, phone="+962791112233")

    [request] = twilio.requests
    assert request.path == f"/2010-04-01/Accounts/{TWILIO['TWILIO_ACCOUNT_SID']}/Messages.json"
    assert request.form == {
        "To": ["+962791112233"],
        "From": ["+15005550006"],
        "Body": ["Alpha Café: You earned 750 points! Your balance is 750."],
    }
    assert (delivery.status, delivery.provider_id, delivery.attempts) == ("sent", "SMabc", 1)


def test_whatsapp_goes_through_twilios_whatsapp_sender(programme, merchant_a) -> None:
    from billing.models import Plan
    from tenants.models import Merchant

    Merchant.objects.filter(pk=merchant_a.merchant.pk).update(plan=Plan.objects.get(code="pro"))
    only("points_earned", "whatsapp")
    with (
        stub_server(reply={"sid": "SMwa"}) as twilio,
        override_settings(
            TWILIO_API_BASE_URL=twilio.url,
            WHATSAPP_ENABLED=True,
            TWILIO_WHATSAPP_FROM="+14155238886",
            **TWILIO,
        ),
    ):
        delivery = earn_and_relay(programme, phone="+962791112244")

    assert twilio.requests[0].form["To"] == ["whatsapp:+962791112244"]
    assert twilio.requests[0].form["From"] == ["whatsapp:+14155238886"]
    assert delivery.status == "sent"


def test_email_goes_to_sendgrid_as_html_and_text_with_the_merchant_name(programme) -> None:
    only("points_earned", "email")
    with (
        stub_server(
            status=202, responder=lambda r: (202, {}, {"X-Message-Id": "sg-1"})
        ) as sendgrid,
        override_settings(SENDGRID_API_KEY="SG.test", SENDGRID_API_HOST=sendgrid.url),
    ):
        delivery = earn_and_relay(programme, email="lina@example.jo", name="Lina")

    [request] = sendgrid.requests
    assert request.path == "/v3/mail/send"
    assert request.headers["Authorization"] == "Bearer SG.test"
    mail = request.json
    assert mail["from"] == {"email": "no-reply@loyalty.jo", "name": "Alpha Café"}
    assert mail["personalizations"][0]["to"] == [{"email": "lina@example.jo"}]
    assert mail["subject"] == "Alpha Café"
    text, html = mail["content"]
    assert text["type"] == "text/plain"
    assert "You earned 750 points!" in text["value"]
    assert html["type"] == "text/html"
    assert "You earned 750 points!" in html["value"] and "Alpha Café" in html["value"]
    assert 'dir="ltr"' in html["value"]
    assert (delivery.status, delivery.provider_id) == ("sent", "sg-1")


def fcm_stub(send_reply: Any) -> Any:
    def respond(request: Recorded) -> tuple[int, Any, dict[str, str]]:
        if request.path == "/token":
            return (
                200,
                {"access_token": "ya29.test", "expires_in": 3600, "token_type": "Bearer"},
                {},
            )
        return send_reply(request)

    return respond


def test_push_goes_to_fcm_for_every_device_and_unregistered_tokens_are_removed(programme) -> None:
    only("points_earned", "push")

    def send(request: Recorded) -> tuple[int, Any, dict[str, str]]:
        if request.json["message"]["token"] == "gone-token":
            error = {
                "error": {
                    "code": 404,
                    "message": "not registered",
                    "status": "NOT_FOUND",
                    "details": [
                        {
                            "@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError",
                            "errorCode": "UNREGISTERED",
                        }
                    ],
                }
            }
            return 404, error, {}
        return 200, {"name": "projects/loyalty-test/messages/m1"}, {}

    member = programme.member(tier=programme.silver)
    Device.objects.create(customer_id=member.customer_id, token="live-token", platform="android")
    Device.objects.create(customer_id=member.customer_id, token="gone-token", platform="ios")
    with (
        stub_server(responder=fcm_stub(send)) as fcm,
        override_settings(
            FIREBASE_CREDENTIALS=firebase_credentials(f"{fcm.url}/token"), FCM_API_BASE_URL=fcm.url
        ),
    ):
        points_earn(membership_id=member.pk, amount="50.000", actor=programme.cashier)
        while outbox_fan_out():
            pass
        deliveries_send(seconds=10)

    sends = fcm.to("/messages:send")
    assert {r.path for r in sends} == {"/v1/projects/loyalty-test/messages:send"}
    by_token = {r.json["message"]["token"]: r.json["message"] for r in sends}
    assert set(by_token) == {"live-token", "gone-token"}
    message = by_token["live-token"]
    assert message["notification"] == {
        "title": "Alpha Café",
        "body": "You earned 750 points! Your balance is 750.",
    }
    assert message["data"]["event"] == "points_earned"
    assert message["data"]["merchant"] == "alpha-cafe"
    headers = {k.lower(): v for k, v in sends[0].headers.items()}
    assert headers["authorization"] == "Bearer ya29.test"
    delivery = Delivery.objects.get(
        message__membership_id=member.pk, message__event="points_earned"
    )
    assert (delivery.status, delivery.provider_id) == ("sent", "projects/loyalty-test/messages/m1")
    assert list(
        Device.objects.filter(customer_id=member.customer_id).values_list("token", flat=True)
    ) == ["live-token"]


def test_a_provider_outage_is_retried_with_backoff_then_dead_lettered(programme) -> None:
    only("points_earned", "sms")
    with (
        stub_server(status=503, reply={"code": 20500, "message": "Service unavailable"}) as twilio,
        override_settings(
            TWILIO_API_BASE_URL=twilio.url,
            NOTIFY_MAX_ATTEMPTS=3,
            NOTIFY_RETRY_BASE_SECONDS=60,
            **TWILIO,
        ),
    ):
        delivery = earn_and_relay(programme)
        assert (delivery.status, delivery.attempts) == ("pending", 1)
        assert "503" in delivery.last_error
        wait = delivery.next_attempt_at - timezone.now()
        assert datetime.timedelta(seconds=55) < wait <= datetime.timedelta(seconds=60)

        Delivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())
        deliveries_send(seconds=5)
        delivery.refresh_from_db()
        assert (delivery.status, delivery.attempts) == ("pending", 2)
        wait = delivery.next_attempt_at - timezone.now()
        assert datetime.timedelta(seconds=115) < wait <= datetime.timedelta(seconds=120)

        Delivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())
        deliveries_send(seconds=5)
        delivery.refresh_from_db()
        assert (delivery.status, delivery.attempts) == ("dead", 3)
        # Twilio's own client retries nothing: one request per attempt.
        assert len(twilio.requests) == 3
        assert not SentMessage.objects.filter(purpose="points_earned").exists()

    with (
        stub_server(reply={"sid": "SMlater"}) as twilio,
        override_settings(TWILIO_API_BASE_URL=twilio.url, **TWILIO),
    ):
        assert deliveries_retry([delivery.pk]) == 1
        deliveries_send(seconds=5)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.provider_id) == ("sent", "SMlater")


def test_a_refused_message_is_dead_lettered_at_once(programme) -> None:
    only("points_earned", "email")
    with (
        stub_server(status=400, reply={"errors": [{"message": "Invalid email"}]}) as sendgrid,
        override_settings(SENDGRID_API_KEY="SG.test", SENDGRID_API_HOST=sendgrid.url),
    ):
        delivery = earn_and_relay(programme, email="bad@example.jo")
    assert (delivery.status, delivery.attempts) == ("dead", 1)
    assert "SendGrid 400" in delivery.last_error
    assert len(sendgrid.requests) == 1


def test_many_devices_and_long_message_ids_are_recorded_once(programme) -> None:
    only("points_earned", "push")
    long_id = "projects/loyalty-test/messages/0:1732529512345678%" + "a1b2c3d4" * 4

    def send(request: Recorded) -> tuple[int, Any, dict[str, str]]:
        return 200, {"name": long_id}, {}

    member = programme.member(tier=programme.silver)
    for n in range(4):
        Device.objects.create(customer_id=member.customer_id, token=f"many-{n}", platform="ios")
    with (
        stub_server(responder=fcm_stub(send)) as fcm,
        override_settings(
            FIREBASE_CREDENTIALS=firebase_credentials(f"{fcm.url}/token"), FCM_API_BASE_URL=fcm.url
        ),
    ):
        points_earn(membership_id=member.pk, amount="50.000", actor=programme.cashier)
        while outbox_fan_out():
            pass
        deliveries_send(seconds=10)
        deliveries_send(seconds=2)  # nothing is left to send again

    assert len(fcm.to("/messages:send")) == 4
    delivery = Delivery.objects.get(
        message__membership_id=member.pk, message__event="points_earned"
    )
    assert delivery.status == "sent"
    assert delivery.provider_id.startswith(long_id)
    assert SentMessage.objects.filter(delivery_id=delivery.pk).count() == 1
