"""A merchant the platform creates, walked in a real browser as the two people do it,
in English and Arabic, on a laptop and a phone: the platform operator signs in to the
root domain's dashboard (password and authenticator code) and fills the create form;
the owner's welcome mail is relayed; the owner opens its link, chooses a password and
lands in their dashboard, signed in; the link does not work twice.

Screenshots: .local/screenshots/platform/<page>-<lang>-<viewport>.png."""

import re
from collections.abc import Callable, Iterator

import pytest
from django_tenants.utils import schema_context

from messaging.models import Delivery, Outbox, SentMessage
from messaging.relay import deliveries_send, outbox_fan_out
from tenants.models import Merchant
from tests.browser import WALKS
from tests.test_browser_forms import platform_admin, platform_sign_in  # noqa: F401
from tests.threads import committed, committed_past_the_relay

pytestmark = pytest.mark.django_db

TEXT = {
    "en": {
        "create": "Create merchant",
        "created": "We mailed {email} a link to choose a password and sign in.",
        "choose": "Choose the password you will sign in with",
        "save": "Save and sign in",
        "used": "This invitation link has been used or has expired.",
    },
    "ar": {
        "create": "إنشاء تاجر",
        "created": "أرسلنا إلى {email} رابطاً لاختيار كلمة المرور وتسجيل الدخول.",
        "choose": "اختر كلمة المرور التي ستدخل بها",
        "save": "احفظ وسجّل الدخول",
        "used": "استُخدم رابط الدعوة هذا أو انتهت صلاحيته.",
    },
}


def merchant_drop(slug: str) -> None:
    """Remove the merchant and its schema, both or neither (in autocommit, django-tenants'
    DROP SCHEMA would stand alone and could leave a merchant row without a schema when
    the relay's delivery makes the delete fail: `committed_past_the_relay`)."""

    def drop() -> None:
        for merchant in Merchant.objects.filter(slug=slug):
            merchant.delete(force_drop=True)

    committed_past_the_relay(drop)


@pytest.fixture
def new_shop(request: pytest.FixtureRequest) -> Iterator[Callable[[str, str], dict[str, str]]]:
    """The merchant a walk creates (named by its language and screen), removed after it
    with its schema so the next run can create it again."""
    made: list[str] = []

    def name(lang: str, viewport: str) -> dict[str, str]:
        slug = f"olive-{lang}-{viewport}"
        merchant_drop(slug)
        made.append(slug)
        return {"name": f"Olive Spa {lang} {viewport}", "slug": slug, "email": f"owner@{slug}.jo"}

    yield name
    for slug in made:
        merchant_drop(slug)


def mailed_welcome_link(slug: str) -> str:
    """The set-password link as the owner's welcome mail carries it (relayed with no
    provider, the recorded message is the one place it is written in clear)."""
    with schema_context("public"):

        def send() -> str:
            merchant = Merchant.objects.get(slug=slug)
            message = Outbox.objects.get(dedupe_key=f"merchant-welcome:{merchant.pk}")
            outbox_fan_out()
            deliveries_send(seconds=5)
            (mail,) = Delivery.objects.filter(message=message)
            return SentMessage.objects.get(delivery_id=mail.pk).body

        body = committed(send)
    match = re.search(r"https?://\S+?(/admin/invite/\S+/)", body)
    assert match, body
    return match.group(1)


@pytest.mark.parametrize(("lang", "viewport"), WALKS)
def test_the_platform_creates_a_merchant_and_its_owner_signs_in_from_the_welcome_mail(
    platform_admin,  # noqa: F811
    live_url,
    walks,
    new_shop,
    lang,
    viewport,
) -> None:
    shop = new_shop(lang, viewport)
    text = TEXT[lang]
    root = live_url.format(host="localhost")
    operator = walks(lang, viewport, "platform")
    platform_sign_in(operator, root, platform_admin)
    operator.shot("platform-home", full_page=False)

    page = operator.page
    page.goto(f"{root}/admin/tenants/merchant/create/")
    assert text["create"] in operator.body()
    page.fill("#id_name", shop["name"])
    page.fill("#id_slug", shop["slug"])
    page.fill("#id_owner_email", shop["email"])
    page.select_option("#id_category", "salon")
    page.fill("#id_city", "Aqaba")
    operator.shot("create-merchant")
    with page.expect_navigation(timeout=60_000):
        page.click(f"button:has-text('{text['create']}')")
    assert page.url == f"{root}/admin/tenants/merchant/"
    assert text["created"].format(email=shop["email"]) in operator.body()
    operator.shot("merchant-created", full_page=False)

    base = live_url.format(host=f"{shop['slug']}.localhost")
    link = mailed_welcome_link(shop["slug"])
    owner = walks(lang, viewport, "platform")
    owner.page.goto(base + link)
    owner.page.wait_for_url(re.compile(r"/set-password/$"))
    assert text["choose"] in owner.body()
    owner.shot("owner-set-password")

    owner.page.fill("#id_new_password1", "olive-owner-pass-2026")
    owner.page.fill("#id_new_password2", "olive-owner-pass-2026")
    owner.page.click(f"button:has-text('{text['save']}')")
    owner.page.wait_for_url(f"{base}/admin/")
    assert shop["name"] in owner.page.title()
    owner.shot("owner-dashboard", full_page=False)

    # The link worked once; the password chosen signs the owner in from now on.
    again = walks(lang, viewport, "platform")
    again.page.goto(base + link)
    assert text["used"] in again.body()
    assert again.page.locator("#id_new_password1").count() == 0
    again.shot("owner-link-used")
    signed_in = again.sign_in(base, shop["email"], "olive-owner-pass-2026")
    assert signed_in.url == f"{base}/admin/"
