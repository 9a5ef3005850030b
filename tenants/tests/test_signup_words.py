"""The signup page's words: the password rules said before typing and checked against
what the owner typed, the web address suggested in Latin letters for an Arabic name,
every message in the page's language."""

import pytest

from tenants.signup import SignupForm, slug_suggest
from tests.fixtures import HostClient

pytestmark = pytest.mark.django_db


def _post(language: str, **fields: str) -> str:
    data = {
        "name": "Falafel King",
        "slug": "falafel-king",
        "category": "restaurant",
        "email": "owner@falafel.jo",
        "password": "a-long-pass-2026",
        **fields,
    }
    response = HostClient("localhost").post("/signup/", data, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    return response.content.decode()


def test_the_password_rules_are_said_before_typing() -> None:
    english = HostClient("localhost").get("/signup/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert (
        "At least 8 characters, not only digits, not a common password, and not close to "
        "your email or business name." in english
    )
    assert "Web address" in english and ">.localhost</span>" in english
    arabic = HostClient("localhost").get("/signup/", HTTP_ACCEPT_LANGUAGE="ar").content.decode()
    assert "8 أحرف على الأقل، ليست أرقاماً فقط" in arabic
    assert "عنوان الموقع" in arabic


def test_a_password_like_the_email_or_the_business_name_is_named_so() -> None:
    page = _post("en", password="owner@falafel")
    assert "The password is too close to your email address." in page
    assert "username" not in page
    page = _post("en", password="falafelking")
    assert "The password is too close to your business name." in page
    assert "username" not in page and "first name" not in page


def test_every_message_is_in_arabic_on_the_arabic_page() -> None:
    page = _post("ar", password="1234", email="not-an-email", slug="x")
    assert "كلمة المرور هذه قصيرة جداً. يجب ألا تقل عن 8 أحرف." in page
    assert "كلمة المرور هذه تتكون من أرقام فقط." in page
    assert "يرجى إدخال عنوان بريد إلكتروني صحيح." in page
    assert "من 3 إلى 40" in page  # the web address's rule
    for english in ("This password", "Enter a valid", "lower-case", "too close"):
        assert english not in page
    page = _post("ar", password="falafelking")
    assert "كلمة المرور قريبة جداً من اسم نشاطك التجاري." in page


def test_an_arabic_name_gets_a_latin_web_address_checked_for_availability(merchant_a) -> None:
    assert slug_suggest("مقهى الورد") == "mqha-alwrd"
    assert slug_suggest("Café Olivia") == "cafe-olivia"
    assert slug_suggest("Alpha Café") == "alpha-cafe-2"  # alpha-cafe is taken
    assert slug_suggest("咖") == ""
    answer = HostClient("localhost").get("/signup/check", {"name": "مقهى الورد"}).json()
    assert answer == {"slug": "mqha-alwrd", "available": True, "reason": ""}
    # Left empty (no script on the page), the address is the suggested one.
    form = SignupForm(
        data={
            "name": "مقهى الورد",
            "slug": "",
            "category": "cafe",
            "email": "owner@alward.jo",
            "password": "a-long-pass-2026",
        }
    )
    assert form.is_valid(), form.errors
    assert form.cleaned_data["slug"] == "mqha-alwrd"
