""" "Forgot password?" on the merchant dashboard, tried over HTTP: the link is mailed
through the outbox, works once, is never written to a log, and the pages answer the
same whether or not an email has an account."""

import logging
import re

import pytest
from django.test import override_settings
from django_tenants.utils import schema_context

from loyalty.logfilters import redact_secret_paths
from messaging.models import Delivery, Outbox, SentMessage
from messaging.relay import deliveries_send, outbox_fan_out
from tests.fixtures import PASSWORD, HostClient

pytestmark = pytest.mark.django_db
ADDRESS = "203.0.113.77"


def ask(host: str, email: str, address: str = ADDRESS, **extra):
    return HostClient(host, REMOTE_ADDR=address, **extra).post(
        "/admin/password_reset/", {"email": email}
    )


def reset_link(schema: str, email: str) -> str:
    """The link as the mail carries it: sent by the relay, read from the record that only
    a shell can read when no provider is configured (the stored message hides it)."""
    with schema_context(schema):
        message = Outbox.objects.filter(event="staff_password_reset", to_email=email).latest("id")
        outbox_fan_out()
        deliveries_send(seconds=5)
        (mail,) = Delivery.objects.filter(message=message)
        assert "/admin/reset/" not in mail.body and "[link hidden]" in mail.body
        body = SentMessage.objects.get(delivery_id=mail.pk).body
    match = re.search(r"https?://\S+/admin/reset/\S+/", body)
    assert match, body
    return match.group(0)


def resets(schema: str) -> int:
    with schema_context(schema):
        return Outbox.objects.filter(event="staff_password_reset").count()


@pytest.mark.parametrize(
    ("language", "words"),
    [("en", "Forgot your password?"), ("ar", "نسيت كلمة المرور؟")],
)
def test_the_sign_in_page_links_to_forgot_password(merchant_a, language, words) -> None:
    page = HostClient(merchant_a.host, HTTP_ACCEPT_LANGUAGE=language).get("/admin/login/")
    html = page.content.decode()
    assert words in html
    assert 'href="/admin/password_reset/"' in html


def test_the_link_is_mailed_through_the_outbox_and_sets_a_new_password(merchant_a) -> None:
    asked = ask(merchant_a.host, merchant_a.owner_email.upper())

    assert asked.status_code == 302
    assert asked.headers["Location"] == "/admin/password_reset/done/"
    with schema_context(merchant_a.schema):
        message = Outbox.objects.get(event="staff_password_reset", to_email=merchant_a.owner_email)
    assert set(message.context) == {"days"}  # the link travels sealed, apart from the text
    link = reset_link(merchant_a.schema, merchant_a.owner_email)
    assert link.startswith(f"http://{merchant_a.host}:8000/admin/reset/")

    browser = HostClient(merchant_a.host)
    path = link.split(":8000", 1)[1]
    form = browser.get(path)
    assert form.status_code == 302 and form.headers["Location"].endswith("/set-password/")
    chosen = browser.post(
        form.headers["Location"],
        {"new_password1": "a-new-pass-2027", "new_password2": "a-new-pass-2027"},
    )
    assert chosen.status_code == 302
    assert chosen.headers["Location"] == "/admin/reset/done/"

    old = HostClient(merchant_a.host).post(
        "/admin/login/", {"username": merchant_a.owner_email, "password": PASSWORD}
    )
    new = HostClient(merchant_a.host).post(
        "/admin/login/", {"username": merchant_a.owner_email, "password": "a-new-pass-2027"}
    )
    assert old.status_code == 200 and new.status_code == 302
    again = HostClient(merchant_a.host).get(path, follow=True).content.decode()
    assert "This link has been used or has expired" in again


def test_an_unknown_email_gets_the_same_answer_and_no_mail(merchant_a, merchant_b) -> None:
    before = resets(merchant_a.schema)

    unknown = ask(merchant_a.host, "nobody@example.jo", address="203.0.113.78")
    # An account of another merchant is no account here.
    elsewhere = ask(merchant_a.host, merchant_b.owner_email, address="203.0.113.79")
    known = ask(merchant_a.host, merchant_a.owner_email, address="203.0.113.80")

    assert (unknown.status_code, unknown.headers["Location"]) == (
        known.status_code,
        known.headers["Location"],
    )
    assert (elsewhere.status_code, elsewhere.headers["Location"]) == (
        known.status_code,
        known.headers["Location"],
    )
    assert resets(merchant_a.schema) == before + 1
    done = HostClient(merchant_a.host).get("/admin/password_reset/done/")
    assert done.status_code == 200 and "If this email has an account here" in done.content.decode()


@override_settings(PASSWORD_RESET_PER_IP_PER_HOUR=3)
def test_requests_are_limited_per_address(merchant_a) -> None:
    before = resets(merchant_a.schema)
    statuses = [ask(merchant_a.host, f"someone{n}@example.jo").status_code for n in range(4)]
    refused = ask(merchant_a.host, merchant_a.owner_email)

    assert statuses == [302, 302, 302, 429]
    assert refused.status_code == 429
    assert "Too many requests. Try again in" in refused.content.decode()
    assert int(refused.headers["Retry-After"]) > 0
    assert resets(merchant_a.schema) == before


def test_requests_are_limited_per_email_from_any_address(merchant_a) -> None:
    before = resets(merchant_a.schema)  # browser tests may have committed some
    known = [
        ask(merchant_a.host, merchant_a.owner_email, address=f"192.0.2.{n}").status_code
        for n in range(4)
    ]
    unknown = [
        ask(merchant_a.host, "nobody@example.jo", address=f"198.51.100.{n}").status_code
        for n in range(4)
    ]

    assert known == unknown == [302, 302, 302, 429]
    assert resets(merchant_a.schema) == before + 3


def test_the_reset_pages_speak_arabic(merchant_a) -> None:
    page = HostClient(merchant_a.host, HTTP_ACCEPT_LANGUAGE="ar").get("/admin/password_reset/")
    html = page.content.decode()
    assert 'dir="rtl"' in html
    assert "أرسل الرابط" in html


def test_the_link_never_reaches_the_log(merchant_a, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    ask(merchant_a.host, merchant_a.owner_email)
    link = reset_link(merchant_a.schema, merchant_a.owner_email)
    token = link.rstrip("/").rsplit("/", 1)[1]
    browser = HostClient(merchant_a.host)
    browser.get(link.split(":8000", 1)[1])

    assert token not in caplog.text
    # The request line of the link (runserver's django.server, gunicorn's access log)
    # goes through the console handler's filter.
    line = f'"GET {link.split(":8000", 1)[1]} HTTP/1.1" 302 0'
    handler = logging.getLogger("django.server").handlers[0]
    record = logging.LogRecord("django.server", logging.INFO, __file__, 1, "%s", (line,), None)
    assert handler.filter(record)
    assert token not in handler.format(record)
    assert "/admin/reset/" in redact_secret_paths(line)
    assert "/set-password/" in redact_secret_paths("GET /admin/reset/MQ/set-password/ HTTP/1.1")
