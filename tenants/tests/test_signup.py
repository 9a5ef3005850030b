"""Self-serve signup on the root domain."""

import datetime

import pytest
from django_tenants.utils import schema_context

from tenants.models import Merchant
from tests.fixtures import HostClient

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("slug", "available", "reason"),
    [
        ("falafel-king", True, ""),
        ("alpha-cafe", False, "This address is already taken."),
        ("admin", False, "This address is reserved."),
        ("scam-shop", False, "Please choose another address."),
        ("the-sexshop", False, "Please choose another address."),
        ("pornhub-cafe", False, "Please choose another address."),
        ("essex-cafe", True, ""),
        ("skill-gym", True, ""),
        ("x", False, "3 to 40 lower-case letters"),
    ],
)
def test_the_address_is_checked_as_you_type(merchant_a, slug, available, reason) -> None:
    answer = HostClient("localhost").get("/signup/check", {"slug": slug}).json()
    assert answer["available"] is available
    assert answer["reason"].startswith(reason)


def test_signup_creates_the_merchant_and_signs_the_owner_in_on_its_host() -> None:
    root = HostClient("localhost")
    assert root.get("/signup/").status_code == 200

    response = root.post(
        "/signup/",
        {
            "name": "Falafel King",
            "slug": "falafel-king",
            "category": "restaurant",
            "city": "Zarqa",
            "email": "owner@falafel.jo",
            "password": "a-long-pass-2026",
        },
    )

    assert response.status_code == 302
    welcome = response.headers["Location"]
    assert welcome.startswith("http://falafel-king.localhost:8000/admin/welcome/")
    merchant = Merchant.objects.get(slug="falafel-king")
    assert merchant.city == "Zarqa"
    # A signup starts a 14-day trial on the trial plan.
    assert (merchant.plan.code, merchant.billing_status) == ("trial", "trialing")
    assert merchant.trial_ends_at is not None
    trial = merchant.trial_ends_at - merchant.created_at
    assert abs(trial - datetime.timedelta(days=14)) < datetime.timedelta(seconds=5)

    shop = HostClient("falafel-king.localhost")
    landed = shop.get(welcome.split(":8000")[1])
    assert landed.status_code == 302 and landed.headers["Location"] == "/admin/"
    home = shop.get("/admin/").content.decode()
    assert 'data-testid="checklist"' in home and "Configure points" in home
    # The link works once.
    again = HostClient("falafel-king.localhost").get(welcome.split(":8000")[1])
    assert again.headers["Location"] == "/admin/login/"
    with schema_context("falafel_king"):
        from django.contrib.auth.models import User

        assert User.objects.get().email == "owner@falafel.jo"


def test_signup_refuses_weak_passwords_and_taken_addresses(merchant_a) -> None:
    response = HostClient("localhost").post(
        "/signup/",
        {
            "name": "Alpha",
            "slug": "alpha-cafe",
            "category": "cafe",
            "email": "a@b.jo",
            "password": "123",
        },
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "already taken" in page and "too short" in page


def test_signup_speaks_arabic_right_to_left_with_a_language_switch() -> None:
    root = HostClient("localhost")
    english = root.get("/signup/").content.decode()
    assert 'dir="ltr"' in english and 'value="ar"' in english

    switched = root.post("/i18n/setlang/", {"language": "ar", "next": "/signup/"})
    assert switched.status_code == 302
    arabic = root.get("/signup/").content.decode()
    assert '<html lang="ar" dir="rtl">' in arabic
    for text in ("ابدأ برنامج الولاء الخاص بك", "اسم النشاط", "أنشئ برنامجي", 'value="en"'):
        assert text in arabic, text
    taken = root.get("/signup/check", {"slug": "admin"}).json()
    assert taken == {**taken, "available": False, "reason": "هذا العنوان محجوز."}
