"""Platform admins sign in on the root domain with a password and an authenticator code."""

import pytest
from django.contrib.auth.models import User
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

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


def test_a_platform_admin_creates_suspends_and_resumes_a_merchant(admin_device) -> None:
    from tenants.models import Merchant

    client = sign_in(current_code(admin_device))
    created = client.post(
        "/admin/tenants/merchant/create/",
        {
            "name": "Olive Spa",
            "slug": "olive-spa",
            "owner_email": "owner@olive.jo",
            "category": "salon",
            "city": "Aqaba",
        },
    )
    assert created.status_code == 302
    merchant = Merchant.objects.get(slug="olive-spa")
    listing = client.get("/admin/tenants/merchant/").content.decode()
    assert "Olive Spa" in listing and "password" in listing

    client.post(
        "/admin/tenants/merchant/", {"action": "suspend", "_selected_action": [merchant.pk]}
    )
    merchant.refresh_from_db()
    assert merchant.is_suspended
    client.post("/admin/tenants/merchant/", {"action": "resume", "_selected_action": [merchant.pk]})
    merchant.refresh_from_db()
    assert not merchant.is_suspended
