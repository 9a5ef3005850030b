"""The staff pages in the product's words: no Django app names, roles as people say
them, invited staff marked with when, a message that names the person."""

import datetime
import re
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth.models import User

from messaging.models import Outbox
from tenants.roles import Role
from tenants.services import staff_deactivate, staff_invite
from tests.fixtures import HostClient

pytestmark = pytest.mark.django_db
AMMAN = ZoneInfo("Asia/Amman")


def _owner(merchant_a, language: str) -> HostClient:
    client = HostClient(merchant_a.host, HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(User.objects.get(email=merchant_a.owner_email))
    return client


def _rows(page: str) -> dict[str, str]:
    """Each row's email and the text of its cells, tags dropped."""
    rows = {}
    for row in page.split("<tbody", 1)[1].split("</tr>")[:-1]:
        text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row)).strip()
        email = re.search(r"[\w.+-]+@[\w.-]+", text)
        if email:
            rows[email.group(0)] = text
    return rows


@pytest.mark.parametrize(
    ("language", "django_words"),
    [
        ("en", ("Authentication and Authorization", "Select user to change", "Add user")),
        ("ar", ("المصادقة والتفويض", "اختر مستخدم لتغييره", "إضافة مستخدم")),
    ],
)
def test_the_staff_pages_speak_of_staff_not_of_django(
    merchant_a, programme, language, django_words
) -> None:
    client = _owner(merchant_a, language)
    for url in (
        "/admin/",
        "/admin/auth/user/",
        "/admin/auth/user/add/",
        f"/admin/auth/user/{programme.cashier.pk}/change/",
    ):
        page = client.get(url).content.decode()
        for words in django_words:
            assert words not in page, (url, words)


def test_roles_and_states_are_named_as_people_say_them(merchant_a, programme) -> None:
    with time_machine.travel(datetime.datetime(2026, 6, 3, 10, tzinfo=AMMAN), tick=False):
        invited = staff_invite(
            email="rania@alpha.test",
            role=Role.MANAGER,
            name="Rania Haddad",
            inviter="Owner",
            base_url="http://alpha-cafe.localhost:8000",
            language="en",
        )
    gone = User.objects.get(pk=programme.manager.pk)
    staff_deactivate(user=gone)
    english = _rows(_owner(merchant_a, "en").get("/admin/auth/user/").content.decode())
    assert "Cashier" in english[programme.cashier.email]
    assert "Active" in english[programme.cashier.email]
    assert "Manager" in english[invited.email]
    assert "Invited on June 3, 2026" in english[invited.email]
    assert "Deactivated" in english[gone.email]
    assert "Owner" in english[merchant_a.owner_email]
    for text in english.values():
        assert not re.search(
            r"\b(cashier|manager|owner)\b", text.split("@", 1)[1].split(" ", 1)[-1]
        )
    arabic = _rows(_owner(merchant_a, "ar").get("/admin/auth/user/").content.decode())
    assert "كاشير" in arabic[programme.cashier.email]
    assert "مدعو منذ" in arabic[invited.email]
    assert "معطّل" in arabic[gone.email]
    assert "مالك" in arabic[merchant_a.owner_email]


def test_an_invitation_is_announced_by_the_persons_email(merchant_a, programme) -> None:
    client = _owner(merchant_a, "en")
    form = client.get("/admin/auth/user/add/").content.decode()
    for role in ("Owner", "Manager", "Cashier"):
        assert f">{role}</option>" in form
    before = Outbox.objects.filter(event="staff_invite").count()
    response = client.post(
        "/admin/auth/user/add/",
        {
            "email": "sami@alpha.test",
            "first_name": "Sami",
            "last_name": "Nasser",
            "role": "cashier",
            "password": "",
            "is_active": "on",
        },
        follow=True,
    )
    page = response.content.decode()
    assert "Invitation sent to sami@alpha.test." in page
    assert "was added" not in page
    assert Outbox.objects.filter(event="staff_invite").count() == before + 1
    assert response.redirect_chain[-1][0] == "/admin/auth/user/"
    arabic = _owner(merchant_a, "ar").post(
        "/admin/auth/user/add/",
        {"email": "huda@alpha.test", "role": "manager", "password": "", "is_active": "on"},
        follow=True,
    )
    assert "أُرسلت الدعوة إلى huda@alpha.test." in arabic.content.decode()


def test_saving_a_staff_member_names_them(merchant_a, programme) -> None:
    client = _owner(merchant_a, "en")
    response = client.post(
        f"/admin/auth/user/{programme.cashier.pk}/change/",
        {
            "email": programme.cashier.email,
            "first_name": "Omar",
            "last_name": "Saleh",
            "role": "manager",
            "password": "",
            "is_active": "on",
        },
        follow=True,
    )
    page = response.content.decode()
    assert "Saved: Omar Saleh." in page
    assert "was changed" not in page
    assert "Manager" in _rows(page)[programme.cashier.email]
