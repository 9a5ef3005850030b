"""The counter's JSON endpoints over HTTP, as the page calls them: a member found by
phone in any form (members of this merchant only), a customer enrolled by phone with
the SMS code, a voucher typed as people type it, and names where staff look."""

import datetime
from typing import Any

import pytest
import time_machine
from django.contrib.auth.models import User
from django_tenants.utils import schema_context

from points.models import LedgerEntry, Membership, PointsSettings
from points.services import membership_join, points_adjust
from points.tests.factories import customer_make
from rewards.services import redemption_create
from tests.api import last_code
from tests.fixtures import HostClient

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 12, 1, 10, 15, tzinfo=datetime.UTC)
PHONE = "+962791234567"


@pytest.fixture(autouse=True)
def fixed_clock():
    with time_machine.travel(NOW, tick=False):
        yield


def signed_in(merchant: Any, user: User) -> HostClient:
    client = HostClient(merchant.host)
    client.force_login(user)
    return client


def post(client: HostClient, path: str, body: dict[str, Any]) -> Any:
    return client.post(f"/admin/counter/{path}", body, content_type="application/json")


@pytest.mark.parametrize(
    "typed",
    [
        "0791234567",
        "+962791234567",
        "00962 79 123 4567",
        "079-123-4567",
        "٠٧٩١٢٣٤٥٦٧",
        "+٩٦٢ ٧٩ ١٢٣ ٤٥٦٧",
    ],
)
def test_a_cashier_finds_a_member_by_phone_in_any_form(programme, merchant_a, typed) -> None:
    member = programme.member(phone=PHONE, name="Rana")
    cashier = signed_in(merchant_a, programme.cashier)

    found = post(cashier, "lookup", {"query": typed})

    assert found.status_code == 200
    assert found.json()["member"] == {
        "id": member.pk,
        "member_number": member.member_number,
        "name": "Rana",
        "phone": "•••• 4567",  # a cashier sees the last four digits only
        "tier": "Bronze",
        "points": 0,
        "points_text": "0",
        "status": "active",
    }


def test_a_member_number_in_arabic_digits_and_a_nameless_member(programme, merchant_a) -> None:
    member = programme.member(name="")
    arabic = member.member_number.translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))
    manager = signed_in(merchant_a, programme.manager)

    found = post(manager, "lookup", {"query": arabic}).json()["member"]

    assert (found["id"], found["name"]) == (member.pk, f"Member #{member.member_number}")
    assert found["phone"] == member.customer.phone  # a manager sees the whole number


def test_another_merchants_customer_is_not_a_member_here(programme, merchant_a, merchant_b):
    with schema_context(merchant_b.schema):
        membership_join(customer=customer_make(phone=PHONE, name="Omar"))
    cashier = signed_in(merchant_a, programme.cashier)

    theirs = post(cashier, "lookup", {"query": "0791234567"})
    nobodys = post(cashier, "lookup", {"query": "0791234568"})
    nonsense = post(cashier, "lookup", {"query": "hello"})

    # The same answer as for a number nobody has: the page offers to enrol them.
    assert (theirs.status_code, nobodys.status_code) == (404, 404)
    assert theirs.json() == {
        "error": {
            "code": "member_not_found",
            "message": "No member with this phone number yet: enrol them here.",
            "fields": {"phone": PHONE},
        }
    }
    assert nobodys.json()["error"]["fields"] == {"phone": "+962791234568"}
    assert nonsense.json() == {
        "error": {
            "code": "member_not_found",
            "message": "No member with this number or phone number.",
        }
    }


def test_a_cashier_enrols_a_customer_with_the_code_they_read_out(programme, merchant_a) -> None:
    PointsSettings.objects.filter(pk=1).update(welcome_bonus=25)
    cashier = signed_in(merchant_a, programme.cashier)

    sent = post(cashier, "enrol", {"phone": "079 123 4567"})
    code = last_code(PHONE)
    wrong = post(
        cashier, "enrol/confirm", {"phone": PHONE, "code": f"{(int(code) + 1) % 10**6:06d}"}
    )
    joined = post(cashier, "enrol/confirm", {"phone": PHONE, "code": code, "name": "Rana"})
    twice = post(cashier, "enrol/confirm", {"phone": PHONE, "code": code, "name": "Rana"})
    earned = post(
        cashier,
        "earn",
        {"member_id": joined.json()["member"]["id"], "amount": "12.500", "attempt": "first"},
    )

    assert (sent.status_code, sent.json()) == (202, {"sent": True, "phone": PHONE})
    assert (wrong.status_code, wrong.json()["error"]["code"]) == (422, "otp_invalid")
    assert wrong.json()["error"]["fields"] == {"attempts_left": 4}
    assert joined.status_code == 200
    member = Membership.objects.get(customer__phone=PHONE)
    assert joined.json()["member"]["id"] == twice.json()["member"]["id"] == member.pk
    assert (joined.json()["member"]["name"], joined.json()["member"]["points"]) == ("Rana", 25)
    assert earned.json()["points"] == 125
    assert (earned.json()["balance"], earned.json()["balance_text"]) == (150, "150")
    assert Membership.objects.filter(customer__phone=PHONE).count() == 1


def test_the_counter_texts_the_new_member_the_web_card_link(
    programme, merchant_a, django_capture_on_commit_callbacks
) -> None:
    from messaging.models import SentMessage

    PointsSettings.objects.filter(pk=1).update(enrol_without_code=True)
    cashier = signed_in(merchant_a, programme.cashier)

    with django_capture_on_commit_callbacks(execute=True):
        joined = post(cashier, "enrol/confirm", {"phone": PHONE, "without_code": True})
        again = post(cashier, "enrol/confirm", {"phone": PHONE, "without_code": True})

    assert (joined.status_code, again.status_code) == (200, 200)
    with schema_context(merchant_a.schema):
        links = list(SentMessage.objects.filter(to=PHONE).values_list("purpose", "body"))
    assert links == [
        (
            "card_link",
            "انضممت إلى برنامج نقاط \u2068Alpha Café\u2069. بطاقتك ونقاطك: "
            f"http://{merchant_a.host}/card/",
        )
    ]


def test_enrolment_refusals_are_stable_codes(programme, merchant_a) -> None:
    cashier = signed_in(merchant_a, programme.cashier)

    bad = post(cashier, "enrol", {"phone": "12345"})
    landline = post(cashier, "enrol", {"phone": "065000000"})
    first = post(cashier, "enrol", {"phone": PHONE})
    again = post(cashier, "enrol", {"phone": PHONE})
    skipped = post(cashier, "enrol/confirm", {"phone": PHONE, "without_code": True})

    assert (bad.status_code, bad.json()["error"]["code"]) == (422, "invalid_phone")
    assert (landline.status_code, landline.json()["error"]["code"]) == (422, "phone_not_mobile")
    assert first.status_code == 202
    assert (again.status_code, again.json()["error"]["code"]) == (429, "rate_limited")
    assert again.json()["error"]["message"] == (
        "Too many codes were sent for now: try again in 1 min."
    )
    assert (skipped.status_code, skipped.json()["error"]["code"]) == (422, "enrol_code_required")
    assert not Membership.objects.filter(customer__phone=PHONE).exists()


def test_without_the_code_where_the_owner_allows_it(programme, merchant_a) -> None:
    cashier = signed_in(merchant_a, programme.cashier)
    page_before = cashier.get("/admin/counter/").content.decode()
    PointsSettings.objects.filter(pk=1).update(enrol_without_code=True)

    page = cashier.get("/admin/counter/").content.decode()
    joined = post(cashier, "enrol/confirm", {"phone": "0791234567", "without_code": True})

    assert 'id="enrol-skip"' not in page_before and 'id="enrol-skip"' in page
    assert joined.status_code == 200
    assert joined.json()["member"]["id"] == Membership.objects.get(customer__phone=PHONE).pk


def test_the_owner_sets_enrolment_without_the_code(programme, merchant_a) -> None:
    owner = User.objects.get(username=merchant_a.owner_email)
    page = signed_in(merchant_a, owner).get("/admin/points/pointssettings/1/change/")

    assert page.status_code == 200
    assert 'name="enrol_without_code"' in page.content.decode()
    assert PointsSettings._meta.get_field("enrol_without_code").default is False


def _voucher(programme, name: str) -> Any:
    member = programme.member(name=name)
    points_adjust(membership_id=member.pk, points=100, reason="test", actor=programme.manager)
    return redemption_create(membership_id=member.pk, reward_id=programme.free_coffee.pk)


def test_a_voucher_typed_with_spaces_dashes_and_lower_case_shows_the_name(
    programme, merchant_a
) -> None:
    redemption = _voucher(programme, "Rana")
    code = redemption.voucher_code
    cashier = signed_in(merchant_a, programme.cashier)

    typed = [f"{code[:4].lower()} {code[4:].lower()}", f"{code[:4]}-{code[4:]}", f" {code} "]
    seen = [post(cashier, "voucher", {"code": each}) for each in typed]

    assert [s.status_code for s in seen] == [200, 200, 200]
    assert {s.json()["voucher"]["code"] for s in seen} == {code}
    assert seen[0].json()["voucher"]["member"]["name"] == "Rana"


def test_the_queue_and_the_ledger_name_the_member(programme, merchant_a) -> None:
    _voucher(programme, "Rana <b>")
    nameless = _voucher(programme, "")
    manager = signed_in(merchant_a, programme.manager)

    queue = manager.get("/admin/rewards/redemption/").content.decode()
    ledger = manager.get("/admin/points/ledgerentry/").content.decode()

    for page in (queue, ledger):
        assert "<bdi>Rana &lt;b&gt;</bdi>" in page
        assert f"<bdi>Member #{nameless.membership.member_number}</bdi>" in page
    assert LedgerEntry.objects.count() == 4  # two adjustments, two redemptions
