"""SMS through Twilio's SDK (against a local stub), and recording without credentials."""

import json

import pytest
from django.core.management import call_command
from django.test import override_settings

from loyalty.errors import DomainError
from messaging.models import SentMessage
from messaging.sms import sms_send
from tests.stub_server import stub_server

pytestmark = pytest.mark.django_db
TWILIO = {
    "TWILIO_ACCOUNT_SID": "AC00000000000000000000000000000001",
    "TWILIO_AUTH_TOKEN": "secret-token",
    "TWILIO_FROM_NUMBER": "+15005550006",
}


def test_with_credentials_the_sdk_sends_the_message_to_twilio() -> None:
    reply = {"sid": "SM1234567890abcdef1234567890abcdef", "status": "queued"}
    with (
        stub_server(reply=reply) as twilio,
        override_settings(TWILIO_API_BASE_URL=twilio.url, **TWILIO),
    ):
        sent = sms_send(to="+962791234567", body="123456 is your code", purpose="otp_login")

    [request] = twilio.requests
    assert request.method == "POST"
    assert request.path == f"/2010-04-01/Accounts/{TWILIO['TWILIO_ACCOUNT_SID']}/Messages.json"
    assert request.form == {
        "To": ["+962791234567"],
        "From": ["+15005550006"],
        "Body": ["123456 is your code"],
    }
    assert request.headers["Authorization"].startswith("Basic ")
    assert (sent.status, sent.provider_id) == ("sent", reply["sid"])


def test_a_twilio_refusal_is_recorded_and_raised() -> None:
    reply = {"code": 21211, "message": "The 'To' number is not valid.", "status": 400}
    with (
        stub_server(status=400, reply=reply) as twilio,
        override_settings(TWILIO_API_BASE_URL=twilio.url, **TWILIO),
        pytest.raises(DomainError) as refused,
    ):
        sms_send(to="+962791234567", body="hello")
    assert refused.value.code == "sms_failed"


def test_without_credentials_the_message_is_recorded_and_listed(capsys) -> None:
    sms_send(to="+962790000001", body="654321 is your code", purpose="otp_login")

    # Messages other tests committed may be listed too: this test reads its own.
    call_command("sent_messages", "--json", "--to", "+962790000001")
    listed = json.loads(capsys.readouterr().out)
    call_command("sent_messages", "--to", "+962790000001")
    plain = capsys.readouterr().out

    assert listed[0]["to"] == "+962790000001"
    assert listed[0]["body"] == "654321 is your code"
    assert listed[0]["status"] == "recorded" and listed[0]["schema"] == "public"
    assert "654321 is your code" in plain
    assert SentMessage.objects.get(to="+962790000001").status == "recorded"
