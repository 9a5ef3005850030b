"""Platform admins sign in on the root domain with a password and an authenticator code."""

import datetime

import pytest
import time_machine
from django.conf import settings
from django.contrib.auth.models import User
from django.test import override_settings
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_tenants.utils import schema_context

from messaging.models import Outbox
from messaging.secrets import unseal
from messaging.texts import render
from tenants.models import Merchant
from tenants.services import merchant_create, merchant_suspend
from tests.fixtures import HostClient

pytestmark = pytest.mark.django_db


def current_code(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


@pytest.fixture
def admin_device() -> TOTPDevice:
    admin = User.objects.create_superuser("ops@platform.jo", "ops@platform.jo", "ops-pass-2026")
    return TOTPDevice.objects.create(user=admin, name="phone", confirmed=True)


def sign_in(code: str) -> HostClient:
    client = HostClient("localhost")
    client.post(
        "/admin/login/?next=/admin/",
        {"username": "ops@platform.jo", "password": "ops-pass-2026", "otp_token": code},
    )
    return client


def test_the_right_password_without_the_code_is_not_enough(admin_device) -> None:
    client = sign_in("")
    assert client.get("/admin/").status_code == 302
    wrong = sign_in("000000" if current_code(admin_device) != "000000" else "111111")
    assert wrong.get("/admin/").status_code == 302


def test_password_and_code_open_the_platform_dashboard(admin_device, merchant_a) -> None:
    client = sign_in(current_code(admin_device))
    home = client.get("/admin/")
    merchants = client.get("/admin/tenants/merchant/")
    assert home.status_code == 200
    assert merchants.status_code == 200 and "Alpha Café" in merchants.content.decode()


def test_the_login_page_asks_for_the_code() -> None:
    page = HostClient("localhost").get("/admin/login/").content.decode()
    assert 'name="otp_token"' in page


NEW_MERCHANT = {
    "name": "Olive Spa",
    "slug": "olive-spa",
    "owner_email": "owner@olive.jo",
    "category": "salon",
    "city": "Aqaba",
}
NOW = datetime.datetime(2026, 12, 1, 10, 0, tzinfo=datetime.UTC)


def welcome_link(merchant: Merchant) -> str:
    """The set-password link the owner's welcome mail carries (sealed on the outbox row:
    the one place besides the mail it exists)."""
    message = Outbox.objects.get(dedupe_key=f"merchant-welcome:{merchant.pk}")
    url = unseal(message.secrets)["secret_url"]
    assert url not in str(message.context)
    return url.removeprefix(f"http://{merchant.slug}.localhost")


def test_a_platform_admin_creates_a_merchant_whose_owner_is_mailed_a_link(admin_device) -> None:
    client = sign_in(current_code(admin_device))

    created = client.post("/admin/tenants/merchant/create/", NEW_MERCHANT, follow=True)

    merchant = Merchant.objects.get(slug="olive-spa")
    page = created.content.decode()
    assert "We mailed owner@olive.jo a link to choose a password and sign in." in page
    # On the free trial, as a merchant that signs up itself; its owner reads English.
    trial = Merchant.objects.filter(pk=merchant.pk, plan__code="trial")
    assert trial.values_list("billing_status", "owner_language").get() == ("trialing", "en")
    assert merchant.trial_ends_at is not None
    length = merchant.trial_ends_at - merchant.created_at
    assert abs(length - datetime.timedelta(days=settings.TRIAL_DAYS)).total_seconds() < 5
    with schema_context(merchant.schema_name):
        owner = User.objects.get(username="owner@olive.jo")
        assert not owner.has_usable_password()
    message = Outbox.objects.get(dedupe_key=f"merchant-welcome:{merchant.pk}")
    assert (message.event, message.to_email) == ("merchant_welcome", "owner@olive.jo")
    body = render(message.event, "en", message.context, merchant.name).body
    assert body == (
        "Your dashboard is ready at http://olive-spa.localhost/admin/. Choose your "
        "password here, then sign in as owner@olive.jo and follow the setup checklist "
        "(the link works once, for 3 days):"
    )
    assert welcome_link(merchant).startswith("/admin/invite/")


def test_the_owner_opens_the_welcome_link_once_and_lands_signed_in(admin_device) -> None:
    sign_in(current_code(admin_device)).post("/admin/tenants/merchant/create/", NEW_MERCHANT)
    merchant = Merchant.objects.get(slug="olive-spa")
    link = welcome_link(merchant)
    owner = HostClient("olive-spa.localhost")

    form = owner.get(link, follow=True)
    assert form.redirect_chain[-1][0].endswith("/set-password/")
    chosen = owner.post(
        form.redirect_chain[-1][0],
        {"new_password1": "olive-spa-pass-2026", "new_password2": "olive-spa-pass-2026"},
    )
    assert (chosen.status_code, chosen["Location"]) == (302, "/admin/")
    assert owner.get("/admin/").status_code == 200

    again = HostClient("olive-spa.localhost").get(link, follow=True)
    assert b"has been used or has expired" in again.content
    assert b'name="new_password1"' not in again.content
    with schema_context(merchant.schema_name):
        assert User.objects.get(username="owner@olive.jo").check_password("olive-spa-pass-2026")


def test_the_welcome_link_expires(admin_device) -> None:
    with time_machine.travel(NOW, tick=False):
        sign_in(current_code(admin_device)).post("/admin/tenants/merchant/create/", NEW_MERCHANT)
    merchant = Merchant.objects.get(slug="olive-spa")
    later = NOW + datetime.timedelta(seconds=settings.PASSWORD_RESET_TIMEOUT + 1)
    with time_machine.travel(later, tick=False):
        expired = HostClient("olive-spa.localhost").get(welcome_link(merchant), follow=True)
    assert b"has been used or has expired" in expired.content
    with schema_context(merchant.schema_name):
        assert not User.objects.get(username="owner@olive.jo").has_usable_password()


def suspend(client: HostClient, merchant: Merchant, **extra: str):
    return client.post(
        "/admin/tenants/merchant/",
        {"action": "suspend", "_selected_action": [merchant.pk], **extra},
    )


def test_suspending_asks_for_a_reason_and_a_confirmation(admin_device) -> None:
    merchant = merchant_create(
        name="Olive Spa", slug="olive-spa", owner_email="o@olive.jo"
    ).merchant
    client = sign_in(current_code(admin_device))

    asked = suspend(client, merchant)
    page = asked.content.decode()
    assert asked.status_code == 200
    assert 'name="reason"' in page and 'name="confirmed"' in page and "Olive Spa" in page
    no_reason = suspend(client, merchant, confirmed="yes", reason="  ")
    assert no_reason.status_code == 200
    assert "This field is required." in no_reason.content.decode()
    merchant.refresh_from_db()
    assert (merchant.status, merchant.suspended_reason, merchant.suspended_at) == (
        "active",
        "",
        None,
    )

    with time_machine.travel(NOW, tick=False):
        done = suspend(client, merchant, confirmed="yes", reason="Unpaid since October")
    assert done.status_code == 302
    merchant.refresh_from_db()
    assert (
        merchant.status,
        merchant.suspended_reason,
        merchant.suspended_at,
        merchant.suspended_by,
    ) == ("suspended", "Unpaid since October", NOW, "ops@platform.jo")


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        ("en", ["Olive Spa</bdi> is suspended", "Why:", "Write to the platform"]),
        ("ar", ["السبب:", "راسل المنصة"]),
    ],
)
def test_the_suspended_page_shows_the_reason_and_how_to_reach_the_platform(
    admin_device, lang, words
) -> None:
    merchant = merchant_create(
        name="Olive Spa", slug="olive-spa", owner_email="o@olive.jo"
    ).merchant
    suspend(sign_in(current_code(admin_device)), merchant, confirmed="yes", reason="Unpaid")

    with override_settings(PLATFORM_SUPPORT_EMAIL="help@platform.jo"):
        page = HostClient("olive-spa.localhost", HTTP_ACCEPT_LANGUAGE=lang).get("/admin/")

    text = page.content.decode()
    assert page.status_code == 403
    assert f'lang="{lang}"' in text
    assert '<span data-testid="suspended-reason">Unpaid</span>' in text
    assert 'href="mailto:help@platform.jo"' in text
    assert [w for w in words if w not in text] == []


def test_resuming_asks_for_a_confirmation(admin_device) -> None:
    merchant = merchant_create(
        name="Olive Spa", slug="olive-spa", owner_email="o@olive.jo"
    ).merchant
    merchant_suspend(merchant=merchant, reason="Unpaid", actor="ops@platform.jo")
    client = sign_in(current_code(admin_device))
    resume = {"action": "resume", "_selected_action": [merchant.pk]}

    asked = client.post("/admin/tenants/merchant/", resume)
    assert asked.status_code == 200 and 'name="confirmed"' in asked.content.decode()
    merchant.refresh_from_db()
    assert (merchant.status, merchant.suspended_reason) == ("suspended", "Unpaid")

    done = client.post("/admin/tenants/merchant/", {**resume, "confirmed": "yes"})
    assert done.status_code == 302
    merchant.refresh_from_db()
    assert (merchant.status, merchant.suspended_reason, merchant.suspended_by) == (
        "active",
        "",
        "",
    )
    assert HostClient("olive-spa.localhost").get("/admin/login/").status_code == 200
