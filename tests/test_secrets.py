"""Secrets in messages (set-password and sign-in links, sign-in codes) as an attacker
would look for them: a manager in the notification log, anyone reading the server log,
the sent-message record. When a provider sends the message, only the provider ever
gets the secret; with no provider (local runs, demo) the record kept for the shell is
the way to read it, and the dashboards still never show it."""

import json
import logging
import re
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import override_settings
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_tenants.utils import schema_context

from messaging.models import Delivery, Outbox, SentMessage
from messaging.outbox import outbox_add
from messaging.relay import deliveries_retry, deliveries_send, outbox_fan_out
from tenants.roles import Role
from tenants.services import staff_create
from tests.api import ROOT, api
from tests.fixtures import PASSWORD, HostClient
from tests.stub_server import Recorded, stub_server

pytestmark = pytest.mark.django_db

TWILIO = {
    "TWILIO_ACCOUNT_SID": "AC00000000000000000000000000000001",
    "TWILIO_AUTH_TOKEN": "secret-token",
    "TWILIO_FROM_NUMBER": "+15005550006",
}
INVITE = re.compile(r"https?://[^\s\"<]+/admin/invite/([^/\s]+)/([^/\s]+)/")
MANAGER = "manager@alpha-cafe.test"


def sendgrid(status: int = 202) -> Any:
    return stub_server(responder=lambda r: (status, {}, {"X-Message-Id": "sg-1"}))


def relay() -> None:
    while outbox_fan_out():
        pass
    deliveries_send(seconds=5)


def dashboard(host: str, email: str) -> HostClient:
    client = HostClient(host)
    signed = client.post("/admin/login/?next=/admin/", {"username": email, "password": PASSWORD})
    assert signed.status_code == 302, signed.content[:500]
    return client


def owner_invites_an_owner(merchant_a: Any) -> None:
    owner = dashboard(merchant_a.host, merchant_a.owner_email)
    invited = owner.post(
        "/admin/auth/user/add/",
        {
            "email": "partner@alpha-cafe.test",
            "first_name": "Partner",
            "last_name": "",
            "role": "owner",
            "is_active": "on",
            "password": "",
        },
    )
    assert invited.status_code == 302, invited.content[:2000]


def mail_text(request: Recorded) -> str:
    return json.dumps(request.json)


def everything_logged(caplog: pytest.LogCaptureFixture) -> str:
    return "\n".join(f"{r.getMessage()} {r.exc_text or ''}" for r in caplog.records)


def test_a_manager_cannot_find_an_owners_invitation_link(merchant_a, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    with schema_context(merchant_a.schema):
        staff_create(email=MANAGER, role=Role.MANAGER, password=PASSWORD)
    owner_invites_an_owner(merchant_a)
    with (
        sendgrid() as provider,
        override_settings(SENDGRID_API_KEY="SG.test", SENDGRID_API_HOST=provider.url),
        schema_context(merchant_a.schema),
    ):
        relay()
        delivery = Delivery.objects.get(message__event="staff_invite")
        sent = SentMessage.objects.get(delivery_id=delivery.pk)
        outbox = delivery.message

    [request] = provider.requests
    link = INVITE.search(mail_text(request))
    assert link is not None, mail_text(request)
    uid, token = link.groups()
    # What the log keeps: the message without its link, in every place it is stored.
    assert delivery.status == "sent" and "[link hidden]" in delivery.body
    assert sent.status == "sent" and "[link hidden]" in sent.body
    for stored in (
        delivery.body,
        delivery.title,
        sent.body,
        sent.subject,
        json.dumps(outbox.context),
        outbox.secrets,
        delivery.sealed,
    ):
        assert token not in stored and "/admin/invite/" not in stored
    assert (outbox.secrets, delivery.sealed) == ("", "")  # wiped once delivered
    assert token not in everything_logged(caplog)

    # The manager reads and searches the notification log.
    manager = dashboard(merchant_a.host, MANAGER)
    pages = [
        manager.get("/admin/messaging/delivery/"),
        manager.get("/admin/messaging/delivery/", {"q": "partner@alpha-cafe.test"}),
        manager.get("/admin/messaging/delivery/", {"q": "invite"}),
        manager.get(f"/admin/messaging/delivery/{delivery.pk}/change/"),
    ]
    assert [p.status_code for p in pages] == [200, 200, 200, 200]
    assert "partner@alpha-cafe.test" in pages[1].content.decode()
    for page in pages:
        assert token not in page.content.decode()
        assert "/admin/invite/" not in page.content.decode()
    assert "[link hidden]" in pages[3].content.decode()
    found = manager.get("/admin/messaging/delivery/", {"q": token})
    assert "partner@alpha-cafe.test" not in found.content.decode()

    # The partner, who got the mail, chooses a password with the link.
    invited = HostClient(merchant_a.host)
    form = invited.get(f"/admin/invite/{uid}/{token}/", follow=True)
    chosen = invited.post(
        form.redirect_chain[-1][0],
        {"new_password1": "Partner-Pass-2026", "new_password2": "Partner-Pass-2026"},
    )
    assert chosen.status_code == 302 and chosen["Location"] == "/admin/"


def test_a_failed_invitation_is_sent_with_its_link_when_retried(merchant_a) -> None:
    owner_invites_an_owner(merchant_a)
    with (
        sendgrid(status=400) as refusing,
        override_settings(SENDGRID_API_KEY="SG.test", SENDGRID_API_HOST=refusing.url),
        schema_context(merchant_a.schema),
    ):
        relay()
        delivery = Delivery.objects.get(message__event="staff_invite")
    assert delivery.status == "dead" and delivery.sealed != ""
    first = INVITE.search(mail_text(refusing.requests[0]))
    assert first is not None

    with (
        sendgrid() as provider,
        override_settings(SENDGRID_API_KEY="SG.test", SENDGRID_API_HOST=provider.url),
        schema_context(merchant_a.schema),
    ):
        assert deliveries_retry([delivery.pk]) == 1
        deliveries_send(seconds=5)
        delivery.refresh_from_db()
    again = INVITE.search(mail_text(provider.requests[0]))
    assert again is not None and again.group(0) == first.group(0)
    assert (delivery.status, delivery.sealed) == ("sent", "")


def test_any_sender_marks_a_secret_by_its_key_in_the_platform_mail_log(caplog) -> None:
    """A message of the platform's own (e.g. a password reset) with `secret_url`."""
    caplog.set_level(logging.DEBUG)
    url = "http://localhost:8000/admin/reset/MQ/abc123-def456secret/"
    outbox_add(
        event="merchant_welcome",
        to_email="ops@platform.jo",
        language="en",
        merchant="Olive Spa",
        owner_email="ops@platform.jo",
        dashboard_url="http://olive-spa.localhost:8000/admin/",
        secret_url=url,
        title_en="Reset your password",
        body_en="Choose a new password: {secret_url}",
    )
    with (
        sendgrid() as provider,
        override_settings(SENDGRID_API_KEY="SG.test", SENDGRID_API_HOST=provider.url),
    ):
        relay()
    [reset] = [r for r in provider.requests if "ops@platform.jo" in mail_text(r)]
    assert url in mail_text(reset)
    delivery = Delivery.objects.get(to="ops@platform.jo")
    assert delivery.body == "Choose a new password: [link hidden]"
    assert url not in SentMessage.objects.get(delivery_id=delivery.pk).body
    assert url not in everything_logged(caplog)

    admin = User.objects.create_superuser("ops@platform.jo", "ops@platform.jo", "ops-pass-2026")
    device = TOTPDevice.objects.create(user=admin, name="phone", confirmed=True)
    platform = HostClient(ROOT)
    platform.post(
        "/admin/login/?next=/admin/",
        {
            "username": "ops@platform.jo",
            "password": "ops-pass-2026",
            "otp_token": f"{totp(device.bin_key, step=device.step, t0=device.t0):06d}",
        },
    )
    pages = [
        platform.get("/admin/messaging/delivery/"),
        platform.get(f"/admin/messaging/delivery/{delivery.pk}/change/"),
    ]
    assert [p.status_code for p in pages] == [200, 200]
    assert all("abc123-def456secret" not in p.content.decode() for p in pages)


def test_a_sign_in_code_sent_by_twilio_is_kept_nowhere(caplog) -> None:
    caplog.set_level(logging.DEBUG)
    phone = "+962791230001"
    with (
        stub_server(reply={"sid": "SMotp"}) as twilio,
        override_settings(TWILIO_API_BASE_URL=twilio.url, **TWILIO),
    ):
        sent = api(ROOT).post("/api/v1/auth/otp/request", {"phone": phone}, format="json")
    assert sent.status_code == 202
    [request] = twilio.requests
    code = re.search(r"\b(\d{6})\b", request.form["Body"][0])
    assert code is not None
    record = SentMessage.objects.get(to=phone)
    assert record.status == "sent" and code.group(1) not in record.body
    assert "[code hidden]" in record.body
    assert code.group(1) not in everything_logged(caplog)

    verified = api(ROOT).post(
        "/api/v1/auth/otp/verify", {"phone": phone, "code": code.group(1)}, format="json"
    )
    assert verified.status_code == 200


def test_without_a_provider_only_the_shell_reads_the_code_and_the_link(
    merchant_a, capsys, caplog
) -> None:
    caplog.set_level(logging.DEBUG)
    phone = "+962791230002"
    assert (
        api(ROOT).post("/api/v1/auth/otp/request", {"phone": phone}, format="json").status_code
        == 202
    )
    with schema_context(merchant_a.schema):
        staff_create(email=MANAGER, role=Role.MANAGER, password=PASSWORD)
    owner_invites_an_owner(merchant_a)
    with schema_context(merchant_a.schema):
        relay()
        delivery = Delivery.objects.get(message__event="staff_invite")
        recorded = SentMessage.objects.get(delivery_id=delivery.pk)
    assert delivery.status == "recorded" and "[link hidden]" in delivery.body
    link = INVITE.search(recorded.body)
    assert link is not None  # the shell's record keeps it
    assert link.group(2) not in everything_logged(caplog)

    call_command("sent_messages", "--to", phone)
    listed = capsys.readouterr().out
    with schema_context("public"):
        code = re.search(r"\b(\d{6})\b", SentMessage.objects.get(to=phone).body)
    assert code is not None and code.group(1) in listed
    assert code.group(1) not in everything_logged(caplog)
    call_command("sent_messages", "--to", "partner@alpha-cafe.test")
    assert link.group(0) in capsys.readouterr().out

    manager = dashboard(merchant_a.host, MANAGER)
    page = manager.get(f"/admin/messaging/delivery/{delivery.pk}/change/").content.decode()
    assert link.group(2) not in page and "[link hidden]" in page
    with schema_context(merchant_a.schema):
        assert Outbox.objects.get(pk=delivery.message_id).secrets == ""
