"""The counter in a real browser, walked as a cashier would, in English and Arabic, on a
laptop and a phone: a cashier's hour (a member found by phone, an award, the next
customer, a new customer enrolled by phone with the SMS code and given their first
points, a voucher typed carelessly and used); and a new owner from the signup page to
the first point awarded to a customer enrolled at the counter.

Elements are found by id and name, never by their words (the words change). Every page
is kept in .local/screenshots/counter/<page>-<lang>-<viewport>.png."""

import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django_tenants.utils import schema_context

from messaging.models import Delivery, Outbox, SentMessage
from messaging.relay import deliveries_send, outbox_fan_out
from points.models import Membership
from points.services import membership_join, points_adjust
from points.tests.factories import customer_make, programme_create
from rewards.services import redemption_create
from tenants.models import Merchant
from tenants.roles import Role
from tenants.selectors import merchant_host
from tenants.services import merchant_create, staff_create
from tests.api import last_code
from tests.browser import WALKS, Walk
from tests.fixtures import PASSWORD, paying_on_pro
from tests.threads import committed

pytestmark = pytest.mark.django_db

ARABIC_DIGITS = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
# Who comes to the counter, named in the walk's language.
PEOPLE = {
    "en": {"regular": "Rana Haddad", "new": "Sami Khoury", "voucher": "Omar Nasser"},
    "ar": {"regular": "رنا حداد", "new": "سامي خوري", "voucher": "عمر ناصر"},
}
WALK_NUMBER = {("en", "laptop"): 1, ("en", "phone"): 2, ("ar", "laptop"): 3, ("ar", "phone"): 4}


@pytest.fixture(scope="module")
def counter_shop(live_url: str, django_db_blocker: Any) -> dict[str, Any]:
    """A shop of its own for these walks (committed: the served app reads it), with the
    seed's programme (1 JOD = 10 points) and a cashier."""
    with django_db_blocker.unblock():
        merchant = (
            Merchant.objects.filter(slug="corner-cafe").first()
            or merchant_create(
                name="Corner Café",
                slug="corner-cafe",
                owner_email="owner@corner-cafe.test",
                owner_password=PASSWORD,
            ).merchant
        )
        paying_on_pro(merchant)
        with schema_context(merchant.schema_name):
            programme = programme_create()
            staff_create(email="cashier@corner-cafe.test", role=Role.CASHIER, password=PASSWORD)
    return {
        "schema": merchant.schema_name,
        "base": live_url.format(host=merchant_host(merchant)),
        "programme": programme,
    }


def _people_at_the_counter(shop: dict[str, Any], lang: str, n: int) -> dict[str, str]:
    """A regular with 150 points, and someone else's voucher waiting to be used."""
    programme = shop["programme"]
    names = PEOPLE[lang]

    def make() -> dict[str, str]:
        regular = membership_join(
            customer=customer_make(phone=f"+96279{n}100{n}{n}1", name=names["regular"])
        )
        points_adjust(
            membership_id=regular.pk, points=150, reason="visits", actor=programme.manager
        )
        holder = membership_join(
            customer=customer_make(phone=f"+96279{n}200{n}{n}2", name=names["voucher"])
        )
        points_adjust(membership_id=holder.pk, points=100, reason="visits", actor=programme.manager)
        voucher = redemption_create(membership_id=holder.pk, reward_id=programme.free_coffee.pk)
        return {"regular": regular.customer.phone, "voucher": voucher.voucher_code}

    with schema_context(shop["schema"]):
        return committed(make)


def text_of(page: Any, selector: str) -> str:
    return page.inner_text(selector).replace("\u2068", "").replace("\u2069", "")


def award(person: Walk, amount: str) -> str:
    page = person.page
    page.fill("#amount", amount)
    page.click("#award")
    page.wait_for_selector("#result:not([hidden])")
    return text_of(page, "#result-text")


def enrol_by_phone(person: Walk, phone: str, name: str, folder_name: str) -> None:
    """From the enrolment card: send the code, type what the customer reads out."""
    page = person.page
    page.wait_for_selector("#enrol:not([hidden])")
    if name:
        page.fill("#enrol-name", name)
    person.shot(f"{folder_name}-enrol")
    page.click("#enrol-send")
    page.wait_for_selector("#enrol-code-step:not([hidden])")
    person.shot(f"{folder_name}-code-sent")
    page.fill("#enrol-code", last_code(phone))
    page.click("#enrol-confirm")
    page.wait_for_selector("#member:not([hidden])")
    assert page.is_visible("#member-note")
    assert page.evaluate("document.activeElement.id") == "amount"


@pytest.mark.parametrize(("lang", "viewport"), WALKS)
def test_a_cashiers_hour_at_the_counter(counter_shop, walks, lang, viewport) -> None:
    n = WALK_NUMBER[lang, viewport]
    people = _people_at_the_counter(counter_shop, lang, n)
    names = PEOPLE[lang]
    base = counter_shop["base"]
    person = walks(lang, viewport, "counter")
    page = person.sign_in(base, "cashier@corner-cafe.test", PASSWORD)
    page.goto(f"{base}/admin/counter/")
    person.shot("counter")

    # A regular gives the phone number: local form, or in Arabic-Indic digits.
    regular = people["regular"]
    typed = "0" + regular[4:] if lang == "en" else ("0" + regular[4:]).translate(ARABIC_DIGITS)
    page.fill("#member-number", f"{typed[:3]} {typed[3:6]} {typed[6:]}")
    page.click("#find")
    page.wait_for_selector("#member:not([hidden])")
    assert text_of(page, "#member-name") == names["regular"]
    meta = text_of(page, "#member-meta")
    assert "150" in meta and f"•••• {regular[-4:]}" in meta
    person.shot("member-found")

    result = award(person, "12.500")
    assert "+125" in result and "275" in result
    assert "12.500" in result
    assert "275" in text_of(page, "#member-meta")  # the balance the server wrote
    assert page.evaluate("document.activeElement.id") == "next"
    person.shot("awarded")

    page.click("#next")
    assert page.is_hidden("#member") and page.is_hidden("#result")
    assert page.input_value("#member-number") == "" and page.input_value("#amount") == ""
    assert page.evaluate("document.activeElement.id") == "member-number"
    person.shot("next-customer")

    # A new customer: not a member yet, so the counter offers to enrol the number.
    newcomer = f"+96279{n}300{n}{n}3"
    page.fill("#member-number", "0" + newcomer[4:])
    page.click("#find")
    page.wait_for_selector("#error:not([hidden])")
    assert page.input_value("#enrol-phone") == newcomer
    enrol_by_phone(person, newcomer, names["new"], "new-customer")
    assert text_of(page, "#member-name") == names["new"]
    person.shot("enrolled")

    result = award(person, "3.000")
    assert "+30" in result
    with schema_context(counter_shop["schema"]):
        joined = Membership.objects.get(customer__phone=newcomer)
        assert (joined.current_points, joined.total_visits) == (30, 1)
    person.shot("first-points")
    page.click("#next")

    # A voucher read out in lower case with spaces; the member's name is on it.
    code = people["voucher"]
    page.fill("#voucher-code", "nope 2345")
    page.click("#verify")
    page.wait_for_selector("#error:not([hidden])")
    page.fill("#voucher-code", f"{code[:4].lower()} {code[4:].lower()}")
    page.click("#verify")
    page.wait_for_selector("#voucher:not([hidden])")
    assert names["voucher"] in text_of(page, "#voucher")
    assert page.get_attribute("#voucher", "data-status") == "pending"
    person.shot("voucher")

    # Another code checked: the last answer goes at once, before the new one comes.
    page.fill("#voucher-code", "nope 2345")
    page.click("#verify")
    page.wait_for_selector("#error:not([hidden])")
    assert page.is_hidden("#voucher") and page.is_hidden("#use")
    page.fill("#voucher-code", code.lower())
    page.click("#verify")
    page.wait_for_selector("#use:not([hidden])")
    page.click("#use")
    page.wait_for_selector("#voucher[data-status=used]")
    assert page.is_hidden("#use")
    person.shot("voucher-used")


def signup_mail_link(email: str) -> str:
    """The confirmation link as the mail carries it (no provider: the recorded mail)."""
    with schema_context("public"):

        def send() -> str:
            message = Outbox.objects.filter(event="owner_email_check", to_email=email).latest("id")
            while outbox_fan_out():
                pass
            deliveries_send(seconds=5)
            (mail,) = Delivery.objects.filter(message=message)
            return SentMessage.objects.get(delivery_id=mail.pk).body

        body = committed(send)
    match = re.search(r"https?://\S+?(/signup/verify/[^/\s]+/)", body)
    assert match, body
    return match.group(1)


@pytest.fixture
def new_owner(walks: Callable[..., Walk]) -> Iterator[Callable[[str, str], Walk]]:
    yield lambda lang, viewport: walks(lang, viewport, "counter")


@pytest.mark.parametrize(("lang", "viewport"), WALKS)
def test_a_new_owner_from_signup_to_the_first_point_at_the_counter(
    live_url, new_owner, lang, viewport
) -> None:
    slug = f"oven-{lang}-{viewport}"
    email = f"owner@{slug}.jo"
    password = "oven-pass-2026"
    root = live_url.format(host="localhost")
    person = new_owner(lang, viewport)
    page = person.page

    page.goto(f"{root}/signup/")
    page.fill("#id_name", f"Oven {lang} {viewport}")
    page.wait_for_function(f"document.querySelector('#id_slug').value === '{slug}'")
    page.select_option("#id_category", "cafe")
    page.fill("#id_city", "Amman")
    page.fill("#id_email", email)
    page.fill("#id_password", password)
    person.shot("signup")
    page.click("#signup [type=submit]")
    base = live_url.format(host=f"{slug}.localhost")
    page.wait_for_url(f"{base}/admin/", timeout=60_000)

    # The owner opens the link from the mail, then signs in on a device of the shop.
    page.goto(root + signup_mail_link(email))
    assert Merchant.objects.get(slug=slug).email_verified_at is not None
    person.shot("signup-confirmed")
    person.context.clear_cookies()
    person.sign_in(base, email, password)
    assert page.url == f"{base}/admin/"

    page.goto(f"{base}/admin/counter/")
    page.click("#enrol-open")
    phone = "+962795550" + ("101" if lang == "en" else "202")
    local = "0" + phone[4:]
    page.fill("#enrol-phone", local if lang == "en" else local.translate(ARABIC_DIGITS))
    enrol_by_phone(person, phone, "", "new-shop")
    person.shot("new-shop-enrolled")

    result = award(person, "5.000")
    assert "+50" in result
    person.shot("new-shop-first-points")
    merchant = Merchant.objects.get(slug=slug)
    with schema_context(merchant.schema_name):
        member = Membership.objects.get(customer__phone=phone)
        assert (member.current_points, member.total_visits) == (50, 1)
