"""The sign-in safety pages in a real browser, walked as a person would, in English and
Arabic, on a laptop and a phone: "Forgot your password?" from the sign-in page to the
new password, the lockout after wrong passwords, a new merchant whose owner has not
confirmed the email yet, and the plain page a hostile URL gets.

Every page is kept as a screenshot in .local/screenshots/trust/<page>-<lang>-<viewport>.png
for a person to look at."""

import re
from collections.abc import Callable, Iterator

import pytest
from django.contrib.auth.models import User
from django.utils import timezone
from django_tenants.utils import schema_context

from messaging.models import Delivery, Outbox, SentMessage
from messaging.relay import deliveries_send, outbox_fan_out
from points.models import Membership
from points.services import membership_join
from points.tests.factories import customer_make
from tenants.models import Merchant
from tenants.roles import Role
from tenants.services import staff_create
from tests.browser import WALKS, WALKS_CROSS, Walk
from tests.fixtures import PASSWORD, HostClient
from tests.threads import committed

pytestmark = pytest.mark.django_db

# What a person must read on each page, in each language.
TEXT = {
    "en": {
        "forgot": "Forgot your password?",
        "send": "Send the link",
        "sent": "If this email has an account here, a link to choose a new password",
        "choose": "Choose a new password",
        "save": "Save the new password",
        "changed": "Sign in with your new password.",
        "back": "Back to sign in",
        "locked": "Too many failed sign-ins for this account from your connection. "
        "Try again in 5 min.",
        "confirm": "Confirm your email address: open the link we sent to",
        "again": "Send the link again",
        "resent": "We sent a new link to",
        "refused": "Confirm the owner's email address first",
        "unreadable": "The request could not be read",
        "nul": "The request has a NUL character, which no field accepts.",
        "confirmed": "Your email address is confirmed",
        "dashboard": "Back to the dashboard",
    },
    "ar": {
        "forgot": "نسيت كلمة المرور؟",
        "send": "أرسل الرابط",
        "sent": "إن كان لهذا البريد حساب هنا",
        "choose": "اختر كلمة مرور جديدة",
        "save": "احفظ كلمة المرور الجديدة",
        "changed": "سجّل الدخول بكلمة المرور الجديدة.",
        "back": "العودة إلى تسجيل الدخول",
        "locked": "حاول مجدداً بعد 5 دقيقة",
        "confirm": "أكّد بريدك الإلكتروني",
        "again": "أرسل الرابط مرة أخرى",
        "resent": "أرسلنا رابطاً جديداً إلى",
        "refused": "أكّد البريد الإلكتروني للمالك أولاً",
        "unreadable": "تعذّرت قراءة الطلب",
        "nul": "في الطلب محرف NUL، ولا يقبله أي حقل.",
        "confirmed": "تم تأكيد بريدك الإلكتروني",
        "dashboard": "العودة إلى لوحة التحكم",
    },
}


@pytest.fixture
def walk(walks: Callable[..., Walk]) -> Callable[[str, str], Walk]:
    return lambda lang, viewport: walks(lang, viewport, "trust", TEXT[lang])


@pytest.fixture
def staff_account(merchant_a) -> Iterator[Callable[[str], str]]:
    """Cashier accounts of merchant A made for one test (committed, so the served app
    sees them) and removed after it; the owner's own sign-in is left alone."""
    made: list[str] = []

    def make(label: str) -> str:
        email = f"{label}@alpha-cafe.test"
        with schema_context(merchant_a.schema):
            committed(lambda: staff_create(email=email, role=Role.CASHIER, password=PASSWORD))
        made.append(email)
        return email

    yield make
    with schema_context(merchant_a.schema):
        committed(lambda: User.objects.filter(username__in=made).delete())


def mailed_reset_link(schema: str, email: str) -> str:
    """The link as the mail carries it (the relay sends it; with no provider, the
    recorded message is the one place it is written in clear)."""
    with schema_context(schema):

        def send() -> str:
            message = Outbox.objects.filter(event="staff_password_reset", to_email=email).latest(
                "id"
            )
            outbox_fan_out()
            deliveries_send(seconds=5)
            (mail,) = Delivery.objects.filter(message=message)
            return SentMessage.objects.get(delivery_id=mail.pk).body

        body = committed(send)
    match = re.search(r"https?://\S+?(/admin/reset/\S+/)", body)
    assert match, body
    return match.group(1)


@pytest.mark.parametrize(("lang", "viewport"), WALKS)
def test_forgot_password_from_sign_in_to_the_new_password(
    merchant_a, live_url, walk, staff_account, lang, viewport
) -> None:
    email = staff_account(f"forgetful-{lang}-{viewport}")
    base = live_url.format(host=merchant_a.host)
    person = walk(lang, viewport)
    page, text = person.page, person.text

    page.goto(f"{base}/admin/login/")
    assert page.is_visible(f"a:has-text('{text['forgot']}')")
    person.shot("sign-in")

    page.click(f"a:has-text('{text['forgot']}')")
    page.wait_for_url(f"{base}/admin/password_reset/")
    assert page.is_visible(f"a:has-text('{text['back']}')")
    person.shot("reset-request")

    page.fill("#id_email", email)
    page.click(f"button:has-text('{text['send']}')")
    page.wait_for_url(f"{base}/admin/password_reset/done/")
    assert text["sent"] in person.body()
    assert page.is_visible(f"a:has-text('{text['back']}')")
    person.shot("reset-sent")

    page.goto(base + mailed_reset_link(merchant_a.schema, email))
    page.wait_for_url(re.compile(r"/set-password/$"))
    assert text["choose"] in person.body()
    assert page.is_visible(f"a:has-text('{text['back']}')")
    person.shot("reset-new-password")

    page.fill("#id_new_password1", "a-fresh-pass-2027")
    page.fill("#id_new_password2", "a-fresh-pass-2027")
    page.click(f"button:has-text('{text['save']}')")
    page.wait_for_url(f"{base}/admin/reset/done/")
    assert text["changed"] in person.body()
    person.shot("reset-done")

    person.sign_in(base, email, "a-fresh-pass-2027")
    assert page.url == f"{base}/admin/"


@pytest.mark.parametrize(("lang", "viewport"), WALKS_CROSS)
def test_five_wrong_passwords_say_when_to_try_again(
    merchant_a, live_url, walk, staff_account, lang, viewport
) -> None:
    email = staff_account(f"clumsy-{lang}-{viewport}")
    base = live_url.format(host=merchant_a.host)
    person = walk(lang, viewport)

    # The first four wrong passwords each give the usual "wrong password" page; they
    # are sent from the browser's address without drawing it, to keep the walk short.
    for n in range(4):
        HostClient(merchant_a.host, REMOTE_ADDR="127.0.0.1").post(
            "/admin/login/", {"username": email, "password": f"guess-{n}"}
        )
    person.sign_in(base, email, "guess-4")
    assert person.text["locked"] in person.body()
    person.shot("locked-out")
    right = person.sign_in(base, email, PASSWORD)
    assert right.url.startswith(f"{base}/admin/login/")
    assert person.text["locked"] in person.body()
    # The lockout lives in the cache, which each test's teardown clears: the next test
    # (and the next run) starts with no failures counted.


NEW_SHOP = {"name": "Trust Bakery", "slug": "trust-bakery", "email": "owner@trust-bakery.jo"}
NEW_PASSWORD = "crusty-loaves-4417"  # not like the name or the email


@pytest.fixture(scope="module")
def unconfirmed_shop(browser, live_url, django_db_blocker) -> Iterator[dict[str, str]]:
    """A merchant from the signup form whose owner has not opened the mailed link, with
    one member to serve at the counter."""
    # The served app reads and writes the database too: let it, before any test opens
    # its transaction.
    with django_db_blocker.unblock():
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        page = context.new_page()
        page.goto(f"{live_url.format(host='localhost')}/signup/")
        page.fill("#id_name", NEW_SHOP["name"])
        page.wait_for_function(f"document.querySelector('#id_slug').value === '{NEW_SHOP['slug']}'")
        page.select_option("#id_category", "cafe")
        page.fill("#id_city", "Irbid")
        page.fill("#id_email", NEW_SHOP["email"])
        page.fill("#id_password", NEW_PASSWORD)
        page.click("button[type=submit]")
        base = live_url.format(host=f"{NEW_SHOP['slug']}.localhost")
        page.wait_for_url(f"{base}/admin/", timeout=60_000)
        context.close()
        merchant = Merchant.objects.get(slug=NEW_SHOP["slug"])
        assert merchant.email_verified_at is None
        # A member who joined while the address was confirmed; then the owner changed the
        # contact email, which asks for a new confirmation (merchant_profile_update).
        merchant.email_verified_at = timezone.now()
        merchant.save(update_fields=["email_verified_at"])
        with schema_context(merchant.schema_name):
            member = membership_join(customer=customer_make(name="Lina Haddad"))
        merchant.email_verified_at = None
        merchant.save(update_fields=["email_verified_at"])
    yield {"base": base, "schema": merchant.schema_name, "number": member.member_number}


@pytest.fixture(scope="module")
def owner_walk(browser, unconfirmed_shop) -> Iterator[Callable[[str, str], Walk]]:
    """The new merchant's owner, signed in once per language and screen for the module."""
    opened: dict[tuple[str, str], Walk] = {}

    def signed_in(lang: str, viewport: str) -> Walk:
        if (lang, viewport) not in opened:
            person = Walk(browser, lang, viewport, "trust", TEXT[lang])
            person.sign_in(unconfirmed_shop["base"], NEW_SHOP["email"], NEW_PASSWORD)
            opened[lang, viewport] = person
        return opened[lang, viewport]

    yield signed_in
    for person in opened.values():
        person.context.close()


@pytest.mark.parametrize(("lang", "viewport"), WALKS)
def test_an_unconfirmed_owner_sees_the_banner_and_can_send_the_link_again(
    unconfirmed_shop, owner_walk, lang, viewport
) -> None:
    base = unconfirmed_shop["base"]
    person = owner_walk(lang, viewport)
    page, text = person.page, person.text

    page.goto(f"{base}/admin/")
    banner = page.locator("[data-testid=email-unverified]")
    assert text["confirm"] in banner.inner_text()
    assert NEW_SHOP["email"] in banner.inner_text()
    person.shot("unconfirmed-dashboard", full_page=False)

    banner.locator(f"button:has-text('{text['again']}')").click()
    page.wait_for_load_state()
    assert f"{text['resent']} {NEW_SHOP['email']}" in person.body()
    person.shot("unconfirmed-sent-again", full_page=False)


@pytest.mark.parametrize(
    ("lang", "viewport"),
    [
        pytest.param(lang, viewport, id=f"{lang}-{viewport}")
        for lang in ("en", "ar")
        for viewport in ("laptop", "phone")
    ],
)
def test_the_counter_refuses_an_award_until_the_email_is_confirmed(
    unconfirmed_shop, owner_walk, lang, viewport
) -> None:
    base = unconfirmed_shop["base"]
    person = owner_walk(lang, viewport)
    page = person.page

    page.goto(f"{base}/admin/counter/")
    page.fill("#member-number", unconfirmed_shop["number"])
    page.click("#find")
    page.wait_for_selector("#member:not([hidden])")
    page.fill("#amount", "4.500")
    page.click("#award")
    page.wait_for_selector("#error:not([hidden])")
    person.shot("unconfirmed-counter")

    assert page.is_hidden("#result")
    with schema_context(unconfirmed_shop["schema"]):
        assert Membership.objects.get().current_points == 0
    assert person.text["refused"] in page.inner_text("#error")


@pytest.mark.parametrize(("lang", "viewport"), WALKS_CROSS)
def test_a_nul_byte_in_a_dashboard_url_is_a_plain_400_page(
    merchant_a, live_url, walk, lang, viewport
) -> None:
    person = walk(lang, viewport)

    response = person.page.goto(f"{live_url.format(host=merchant_a.host)}/admin/?q=%00")

    assert response.status == 400
    body = person.body()
    assert person.text["unreadable"] in body and person.text["nul"] in body
    assert (
        person.page.get_attribute(f"a:has-text('{person.text['dashboard']}')", "href") == "/admin/"
    )
    person.shot("bad-request")
