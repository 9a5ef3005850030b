"""The web card in a real browser on a phone (Chromium with a mobile user agent), in
English and Arabic: the poster's link, sign-in with the SMS code, join, the card; the
cashier scans the card's QR token and awards 50.000 JOD through the staff API, and the
card shows the new balance without a reload; then offline, the card still shows, its QR
marked as possibly expired.

Elements are found by id and test id, never by their words. Every page is kept in
.local/screenshots/card/<page>-<lang>-phone.png."""

import uuid
from typing import Any

import pytest
from django_tenants.utils import schema_context

from points.card import card_token_read
from points.models import Membership
from points.services import membership_join
from points.tests.factories import customer_make, programme_create
from tenants.models import Merchant
from tenants.roles import Role
from tenants.selectors import merchant_host
from tenants.services import merchant_create, staff_create
from tests.api import last_code
from tests.fixtures import PASSWORD, paying_on_pro
from tests.threads import committed
from webcard.sessions import COOKIE, session_create

pytestmark = pytest.mark.django_db

CASHIER = "cashier@cedar-bakery.test"
PHONES = {"en": "+962787770101", "ar": "+962787770202"}
# 50.000 JOD at 1 JOD = 10 points, Bronze 1x: 500 points, and Silver from 500.
WORDS = {
    "en": {"name": "Cedar Bakery", "tier": "Silver"},
    "ar": {"name": "مخبز الأرز", "tier": "فضي"},
}


@pytest.fixture(scope="module")
def card_shop(live_url: str, django_db_blocker: Any) -> dict[str, Any]:
    """A shop of its own (committed: the served app reads it), with the seed's
    programme and a cashier; its Arabic name and its colour."""
    with django_db_blocker.unblock():
        merchant = (
            Merchant.objects.filter(slug="cedar-bakery").first()
            or merchant_create(
                name="Cedar Bakery",
                slug="cedar-bakery",
                owner_email="owner@cedar-bakery.test",
                owner_password=PASSWORD,
            ).merchant
        )
        paying_on_pro(merchant)
        merchant.name_ar, merchant.brand_color = "مخبز الأرز", "#0f766e"
        merchant.save(update_fields=["name_ar", "brand_color"])
        with schema_context(merchant.schema_name):
            programme_create()
            staff_create(email=CASHIER, role=Role.CASHIER, password=PASSWORD)
    return {
        "schema": merchant.schema_name,
        "host": merchant_host(merchant),
        "base": live_url.format(host=merchant_host(merchant)),
        "code": merchant.join_code,
    }


def drawn_modules(page: Any) -> list[list[bool]]:
    """The QR as the phone's screen shows it: the centre of each module, dark or not."""
    import io

    from PIL import Image

    size = int(page.get_attribute("#qr svg", "viewBox").split()[2])
    shot = Image.open(io.BytesIO(page.locator("#qr svg").screenshot())).convert("L")
    step = shot.width / size
    grey = shot.tobytes()  # one 0-255 byte per pixel, row after row
    centres = [int((i + 0.5) * step) for i in range(size)]
    return [[grey[y * shot.width + x] < 128 for x in centres] for y in centres]


def encoded_modules(data: str) -> list[list[bool]]:
    import qrcode

    code = qrcode.QRCode(border=2)
    code.add_data(data)
    code.make(fit=True)
    return code.get_matrix()


def balance(page: Any) -> str:
    return page.inner_text("[data-testid=balance]").strip()


def award(browser: Any, base: str, token: str, amount: str) -> dict[str, Any]:
    """The cashier, on a device of their own (a counter app over the staff API): sign in,
    scan the card's QR token, award `amount`. Returns the earn's answer."""
    cashier = browser.new_context()
    try:
        page = cashier.new_page()
        page.goto(f"{base}/healthz")
        return page.evaluate(
            """async ([email, password, token, amount, key]) => {
                const post = async (path, body, headers) => {
                    const r = await fetch(path, {method: "POST", body: JSON.stringify(body),
                        headers: {"Content-Type": "application/json", ...headers}});
                    return {status: r.status, body: await r.json()};
                };
                const login = await post("/api/v1/staff/auth/login", {email, password}, {});
                const auth = {Authorization: "Bearer " + login.body.access};
                const scanned = await post("/api/v1/staff/scan", {token}, auth);
                const earned = await post("/api/v1/staff/earn",
                    {member_id: scanned.body.id, amount}, {...auth, "Idempotency-Key": key});
                return {login: login.status, scan: scanned.status, earn: earned.status,
                        points: earned.body.entry && earned.body.entry.points};
            }""",
            [CASHIER, PASSWORD, token, amount, str(uuid.uuid4())],
        )
    finally:
        cashier.close()


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_from_the_poster_to_the_card_the_points_arrive_live_and_it_works_offline(
    card_shop, walks, browser, lang
) -> None:
    base, phone, words = card_shop["base"], PHONES[lang], WORDS[lang]
    person = walks(lang, "phone", "card")
    page = person.page

    # The poster's QR opens the shop's join page; "Join" asks for the phone first.
    page.goto(f"{base}/join/{card_shop['code']}")
    assert words["name"] in person.body()
    person.shot("poster")
    with page.expect_navigation():
        page.click("#join")
    page.fill("#phone", "0" + phone[4:])
    person.shot("signin")
    with page.expect_navigation():
        page.click("[data-testid=send-code]")
    page.fill("#code", last_code(phone))
    person.shot("code")
    with page.expect_navigation():
        page.click("[data-testid=sign-in]")

    # Back on the shop's join page with the poster's code: one tap.
    assert page.url == f"{base}/card/?code={card_shop['code']}"
    person.shot("join")
    with page.expect_navigation():
        page.click("#join")
    page.wait_for_selector("#qr svg")
    with schema_context(card_shop["schema"]):
        member = Membership.objects.get(customer__phone=phone)
    assert page.inner_text("[data-testid=member-number]").replace(" ", "") == member.member_number
    assert balance(page) == "0"
    assert words["name"] in page.inner_text(".top")
    # What the screen shows is the code of the token the page holds, module for module.
    assert drawn_modules(page) == encoded_modules(page.get_attribute("#qr", "data-token"))
    person.shot("card", full_page=False)

    # The cashier scans the QR the card shows and awards 50.000 JOD; the card follows.
    page.evaluate("window.notReloaded = true")
    token = page.get_attribute("#qr", "data-token")
    earned = award(browser, base, token, "50.000")
    assert earned == {"login": 200, "scan": 200, "earn": 201, "points": 500}
    page.wait_for_function(
        "document.querySelector('[data-testid=balance]').textContent === '500'", timeout=8000
    )
    assert page.evaluate("window.notReloaded === true")
    page.wait_for_function(
        f"document.getElementById('tier').textContent.includes({words['tier']!r})"
    )
    assert page.is_hidden("#offline")
    page.wait_for_timeout(500)  # the progress bar's transition
    person.shot("card-after-earn", full_page=False)

    # Offline: the service worker gives the last card and balance; the QR is marked.
    page.wait_for_function("navigator.serviceWorker.controller !== null")
    page.wait_for_function(
        """() => caches.open('card-data')
              .then(cache => cache.match('/card/state'))
              .then(hit => hit ? hit.json() : null)
              .then(state => state !== null && state.points === 500)""",
        timeout=10000,
    )
    person.context.set_offline(True)
    page.reload()
    page.wait_for_selector("#offline:not([hidden])")
    assert balance(page) == "500"
    assert page.is_visible("#qr svg")
    assert page.get_attribute("#card", "class") == "member-card stale"
    person.shot("offline", full_page=False)
    person.context.set_offline(False)


def test_the_card_shows_a_fresh_qr_before_the_shown_one_expires(card_shop, walks, settings) -> None:
    settings.CARD_TOKEN_SECONDS = 6  # the page asks for a new one 2 s before the end
    with schema_context(card_shop["schema"]):
        member = committed(lambda: membership_join(customer=customer_make(phone="+962787770303")))
        merchant = Merchant.objects.get(schema_name=card_shop["schema"])
        raw = committed(lambda: session_create(customer=member.customer, merchant=merchant))
    person = walks("en", "phone", "card")
    person.context.add_cookies(
        [{"name": COOKIE, "value": raw, "domain": card_shop["host"], "path": "/card/"}]
    )
    page = person.page
    page.goto(f"{card_shop['base']}/card/")
    first = page.get_attribute("#qr", "data-token")
    page.evaluate("window.notReloaded = true")

    page.wait_for_function(
        f"document.getElementById('qr').dataset.token !== {first!r}", timeout=10000
    )

    assert page.evaluate("window.notReloaded === true")
    assert page.is_hidden("#offline")
    with schema_context(card_shop["schema"]):
        assert card_token_read(page.get_attribute("#qr", "data-token")).pk == member.pk


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_the_card_and_its_rewards_on_a_laptop_screen(card_shop, walks, lang) -> None:
    """The card is made for a phone; on a laptop it keeps its column, its menu and its
    language's direction (the screenshots are looked at)."""
    phone = {"en": "+962787770404", "ar": "+962787770505"}[lang]
    with schema_context(card_shop["schema"]):
        member = committed(
            lambda: membership_join(customer=customer_make(phone=phone, language=lang))
        )
        merchant = Merchant.objects.get(schema_name=card_shop["schema"])
        raw = committed(lambda: session_create(customer=member.customer, merchant=merchant))
    person = walks(lang, "laptop", "card")
    person.context.add_cookies(
        [{"name": COOKIE, "value": raw, "domain": card_shop["host"], "path": "/card/"}]
    )
    page = person.page

    page.goto(f"{card_shop['base']}/card/")
    page.wait_for_selector("#qr svg")
    assert WORDS[lang]["name"] in page.inner_text(".top")
    person.shot("card", full_page=False)
    with page.expect_navigation():
        page.click(".tabs a[href='/card/rewards']")
    person.shot("rewards", full_page=False)
