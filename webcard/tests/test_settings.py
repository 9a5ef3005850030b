"""Settings on the web card: profile, preferences, export, delete, signing out."""

import json

import pytest
from django.conf import settings

from customers.models import Customer, NotificationPreference
from customers.services import PREFERENCE_FIELDS
from webcard.models import CardSession
from webcard.sessions import COOKIE, session_create
from webcard.tests.pages import member_with

pytestmark = pytest.mark.django_db


def test_name_language_and_time_zone_are_saved(merchant_a, programme, card_client) -> None:
    member = member_with(programme, merchant_a.schema, name="Rania")
    client = card_client(merchant_a.host, member.customer)

    response = client.post(
        "/card/settings", {"name": "Rania K.", "language": "ar", "time_zone": "Asia/Dubai"}
    )

    customer = Customer.objects.get(pk=member.customer_id)
    assert (customer.name, customer.language, customer.time_zone) == (
        "Rania K.",
        "ar",
        "Asia/Dubai",
    )
    assert response.status_code == 302 and response["Location"] == "/card/settings?saved=profile"
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "ar"
    assert "تم الحفظ." in client.get(response["Location"]).content.decode()


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"time_zone": "Mars/Olympus"}, "Not a known time zone. Example: Asia/Amman"),
        ({"language": "fr"}, "Choose English or Arabic."),
        ({"name": "x" * 121}, "At most 120 characters."),
    ],
)
def test_a_bad_value_is_refused_and_nothing_changes(
    merchant_a, programme, card_client, form, message
) -> None:
    member = member_with(programme, merchant_a.schema, name="Rania")
    client = card_client(merchant_a.host, member.customer)

    response = client.post(
        "/card/settings", {"name": "Sami", "language": "en", "time_zone": "Asia/Amman", **form}
    )

    assert response.status_code == 422
    assert message in response.content.decode()
    customer = Customer.objects.get(pk=member.customer_id)
    assert (customer.name, customer.language, customer.time_zone) == ("Rania", "en", "Asia/Amman")


def test_preferences_are_saved_per_channel_and_kind(merchant_a, programme, card_client) -> None:
    member = member_with(programme, merchant_a.schema)
    client = card_client(merchant_a.host, member.customer)
    page = client.get("/card/settings").content.decode()

    response = client.post(
        "/card/settings/notifications",
        {"push_transactional": "on", "sms_marketing": "on", "marketing_consent": "on"},
    )

    saved = NotificationPreference.objects.get(customer_id=member.customer_id)
    assert {f: getattr(saved, f) for f in PREFERENCE_FIELDS} == {
        "push_transactional": True,
        "push_marketing": False,
        "email_transactional": False,
        "email_marketing": False,
        "sms_transactional": False,
        "sms_marketing": True,
        "whatsapp_transactional": False,
        "whatsapp_marketing": False,
    }
    assert Customer.objects.get(pk=member.customer_id).marketing_consent is True
    assert response["Location"] == "/card/settings?saved=notifications"
    assert all(f'name="{field}"' in page for field in PREFERENCE_FIELDS)
    assert page.count('type="checkbox"') == 9


def test_export_downloads_everything_held_as_json(merchant_a, programme, card_client) -> None:
    member = member_with(programme, merchant_a.schema, points=250, name="Rania")
    client = card_client(merchant_a.host, member.customer)

    response = client.get("/card/settings/export")

    assert response["Content-Type"] == "application/json"
    assert response["Content-Disposition"] == 'attachment; filename="my-data.json"'
    data = json.loads(response.content)
    assert data["profile"]["phone"] == member.customer.phone
    assert data["profile"]["name"] == "Rania"
    [membership] = data["memberships"]
    assert membership["merchant"] == merchant_a.merchant.slug
    assert membership["member_number"] == member.member_number
    assert membership["current_points"] == 250
    assert [(e["kind"], e["points"]) for e in membership["ledger"]] == [("adjust", 250)]
    [sign_in] = data["web_card_sign_ins"]
    assert (sign_in["merchant"], sign_in["signed_out"]) == (merchant_a.merchant.slug, False)


def test_delete_erases_the_account_and_signs_out_everywhere(
    merchant_a, merchant_b, programme, card_client
) -> None:
    member = member_with(programme, merchant_a.schema, name="Rania")
    client = card_client(merchant_a.host, member.customer)
    elsewhere = card_client(merchant_b.host, member.customer)
    session_create(customer=member.customer, merchant=None)
    assert "This cannot be undone." in client.get("/card/settings/delete").content.decode()

    response = client.post("/card/settings/delete")

    customer = Customer.objects.get(pk=member.customer_id)
    assert (customer.is_active, customer.name, customer.phone) == (
        False,
        "",
        f"deleted-{customer.pk}",
    )
    assert response.status_code == 302 and response["Location"] == "/card/signin"
    assert response.cookies[COOKIE].value == ""
    assert not CardSession.objects.filter(customer=customer, revoked_at__isnull=True).exists()
    assert client.get("/card/settings").status_code == 302
    assert elsewhere.get("/card/history")["Location"].startswith("/card/signin")


def test_sign_out_on_every_device(merchant_a, merchant_b, programme, card_client) -> None:
    member = member_with(programme, merchant_a.schema)
    client = card_client(merchant_a.host, member.customer)
    phone = card_client(merchant_a.host, member.customer)

    response = client.post("/card/settings/signout-all")

    assert response["Location"] == "/card/signin"
    assert CardSession.objects.filter(customer=member.customer, revoked_at=None).count() == 0
    assert phone.get("/card/settings")["Location"].startswith("/card/signin")
    assert Customer.objects.get(pk=member.customer_id).is_active is True


def test_settings_need_a_member_here(merchant_a, merchant_b, programme, card_client) -> None:
    member = member_with(programme, merchant_a.schema)
    client = card_client(merchant_b.host, member.customer)

    assert client.get("/card/settings")["Location"] == "/card/"
    assert client.get("/card/settings/export")["Location"] == "/card/"
    assert client.post("/card/settings/delete")["Location"] == "/card/"
    assert Customer.objects.get(pk=member.customer_id).is_active is True
