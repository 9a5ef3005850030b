"""An owner's day in a real browser, in English and Arabic, on a laptop and a phone:
the dashboard's figures and the redemption queue, a broadcast with its audience and a
confirmation that can be cancelled, the staff list, a new merchant's empty dashboard,
and the signup page with an Arabic business name and its suggested web address.

Every page is kept as a screenshot in .local/screenshots/owner/<page>-<lang>-<viewport>.png
for a person to look at."""

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django_tenants.utils import schema_context

from notifications.models import Broadcast
from points.services import points_adjust, points_earn
from points.tests.factories import Programme, programme_create
from rewards.services import redemption_approve, redemption_create
from tenants.roles import Role
from tenants.services import merchant_create, staff_invite
from tests.browser import WALKS, WALKS_CROSS, Walk
from tests.fixtures import PASSWORD, paying_on_pro

pytestmark = pytest.mark.django_db

TEXT = {
    "en": {
        "issued": "Points issued (30 days)",
        "rate": "Redemption rate (30 days)",
        "rate_help": "Points redeemed divided by points issued, in the same 30 days.",
        "waiting": "Redemptions waiting for a decision",
        "audience": "The audience: 3 members.",
        "push": "Push: 2 of them agreed to offers on this channel.",
        "cancel": "Cancel",
        "send": "Send now",
        "staff": "Staff",
        "invited": "Invited on",
        "cashier": "Cashier",
        "manager": "Manager",
        "empty": "Your figures will show here",
        "first_points": "Award your first points",
        "web_address": "Web address",
        "free": "mqha-alwrd.localhost is free",
    },
    "ar": {
        "issued": "النقاط الممنوحة (30 يوماً)",
        "rate": "نسبة الاستبدال (30 يوماً)",
        "rate_help": "النقاط المستبدلة مقسومة على النقاط الممنوحة، في الأيام الثلاثين نفسها.",
        "waiting": "استبدالات بانتظار القرار",
        "audience": "الجمهور: 3 أعضاء.",
        "push": "وافق 2 منهم على العروض عبر هذه القناة.",
        "cancel": "إلغاء",
        "send": "أرسل الآن",
        "staff": "الموظفون",
        "invited": "مدعو منذ",
        "cashier": "كاشير",
        "manager": "مدير",
        "empty": "ستظهر أرقامك هنا",
        "first_points": "امنح أول نقاطك",
        "web_address": "عنوان الموقع",
        "free": "mqha-alwrd.localhost متاح",
    },
}

OWNER = "owner@owner-walk.test"
NEW_OWNER = "owner@owner-new.test"


@pytest.fixture(scope="module")
def shop(django_db_setup: None, django_db_blocker: Any) -> Iterator[dict[str, Any]]:
    """A merchant with a month's worth of counter work (committed for the served app):
    three Gold members, sales by two staff members, two redemptions waiting and one
    approved, an invited manager who has not chosen a password yet."""
    with django_db_blocker.unblock():
        merchant = merchant_create(
            name="Owner Walk Café", slug="owner-walk", owner_email=OWNER, owner_password=PASSWORD
        ).merchant
        paying_on_pro(merchant)
        with schema_context(merchant.schema_name):
            programme: Programme = programme_create()
            members = [
                programme.member(
                    tier=programme.gold, marketing_consent=consent, name=name, language="ar"
                )
                for name, consent in (("Lina", True), ("Omar", True), ("Sara", False))
            ]
            from customers.models import Device

            for member in members:
                Device.objects.create(
                    customer_id=member.customer_id, token=f"walk-{member.pk}", platform="ios"
                )
                points_earn(membership_id=member.pk, amount="12.500", actor=programme.cashier)
                points_adjust(
                    membership_id=member.pk, points=200, reason="walk", actor=programme.manager
                )
            pending = [
                redemption_create(membership_id=m.pk, reward_id=programme.free_coffee.pk)
                for m in members[:2]
            ]
            done = redemption_create(
                membership_id=members[2].pk, reward_id=programme.free_coffee.pk
            )
            redemption_approve(redemption_id=done.pk, actor=programme.manager)
            staff_invite(
                email="rania@owner-walk.test",
                role=Role.MANAGER,
                name="Rania Haddad",
                inviter="Owner",
                base_url="http://owner-walk.localhost:8000",
                language="en",
            )
        new = merchant_create(
            name="Owner New", slug="owner-new", owner_email=NEW_OWNER, owner_password=PASSWORD
        ).merchant
    yield {
        "schema": merchant.schema_name,
        "host": f"{merchant.slug}.localhost",
        "new_host": f"{new.slug}.localhost",
        "pending": [r.voucher_code for r in pending],
        "approved": done.voucher_code,
        "gold": programme.gold.pk,
    }


@pytest.fixture
def walk(walks: Callable[..., Walk]) -> Callable[[str, str], Walk]:
    return lambda lang, viewport: walks(lang, viewport, "owner", TEXT[lang])


@pytest.mark.parametrize(("lang", "viewport"), WALKS)
def test_an_owners_review_of_the_dashboard_and_the_queue(
    shop, live_url, walk, lang, viewport
) -> None:
    base = live_url.format(host=shop["host"])
    person = walk(lang, viewport)
    page, text = person.page, person.text
    person.sign_in(base, OWNER, PASSWORD)
    page.wait_for_url(f"{base}/admin/")
    body = person.body()
    assert text["issued"] in body and text["rate"] in body
    # 3 sales of 12.500 JOD at 10 points a dinar, twice that for Gold: 750 points;
    # adjustments are not issued points. Two coffees waiting and one approved: 300.
    assert page.inner_text("[data-kpi=points_issued]") == "750"
    assert page.inner_text("[data-kpi=points_redeemed]") == "300"
    assert page.inner_text("[data-kpi=redemption_rate]") == "40%"
    assert page.get_attribute("[data-kpi=redemption_rate]", "title") == text["rate_help"]
    assert page.is_visible("[data-chart=points] canvas")
    person.shot("home")

    page.goto(f"{base}/admin/rewards/redemption/")
    body = person.body()
    assert text["waiting"] in body
    for code in shop["pending"]:
        assert code in body
    assert shop["approved"] not in body
    person.shot("queue")


@pytest.mark.parametrize(("lang", "viewport"), WALKS_CROSS)
def test_a_broadcast_shows_its_audience_and_can_be_cancelled(
    shop, live_url, walk, lang, viewport
) -> None:
    base = live_url.format(host=shop["host"])
    person = walk(lang, viewport)
    page, text = person.page, person.text
    person.sign_in(base, OWNER, PASSWORD)
    page.goto(f"{base}/admin/notifications/broadcast/add/")
    title = f"Gold weekend {lang} {viewport}"
    page.fill("#id_title_en", title)
    page.fill("#id_body_en", "Double points this weekend, {name}!")
    page.select_option("#id_segment", "tier")
    page.select_option("#id_tier", str(shop["gold"]))
    page.locator("[data-testid=reach][data-members='3']").wait_for()
    assert text["audience"] in person.body() and text["push"] in person.body()
    person.shot("broadcast-form")

    page.click("button[name=_continue]")
    page.wait_for_url(lambda url: "/change/" in url)
    page.goto(page.url.replace("/change/", "/send/"))
    assert text["audience"] in person.body()
    person.shot("broadcast-confirm")
    page.click("[data-testid=cancel]")
    page.wait_for_url(lambda url: url.endswith("/change/"))
    with schema_context(shop["schema"]):
        assert Broadcast.objects.get(title_en=title).status == "draft"


@pytest.mark.parametrize(("lang", "viewport"), WALKS_CROSS)
def test_the_staff_list_names_roles_and_invitations(shop, live_url, walk, lang, viewport) -> None:
    base = live_url.format(host=shop["host"])
    person = walk(lang, viewport)
    page, text = person.page, person.text
    person.sign_in(base, OWNER, PASSWORD)
    page.goto(f"{base}/admin/auth/user/")
    body = person.body()
    for words in ("staff", "invited", "cashier", "manager"):
        assert text[words] in body, words
    assert "Authentication" not in body and "المصادقة" not in body
    person.shot("staff")


@pytest.mark.parametrize(("lang", "viewport"), WALKS_CROSS)
def test_a_new_merchant_sees_an_empty_dashboard(shop, live_url, walk, lang, viewport) -> None:
    base = live_url.format(host=shop["new_host"])
    person = walk(lang, viewport)
    page, text = person.page, person.text
    person.sign_in(base, NEW_OWNER, PASSWORD)
    page.wait_for_url(f"{base}/admin/")
    body = person.body()
    assert text["empty"] in body and text["first_points"] in body
    assert page.locator("canvas").count() == 0  # no empty axes
    person.shot("empty-home")


@pytest.mark.parametrize(("lang", "viewport"), WALKS_CROSS)
def test_signup_suggests_a_latin_web_address_for_an_arabic_name(
    shop, live_url, walk, lang, viewport
) -> None:
    person = walk(lang, viewport)
    page, text = person.page, person.text
    page.goto(f"{live_url.format(host='localhost')}/signup/")
    assert text["web_address"] in person.body()
    page.fill("#id_name", "مقهى الورد")
    page.wait_for_function("document.querySelector('#id_slug').value === 'mqha-alwrd'")
    page.locator(f"#slug-status:has-text('{text['free']}')").wait_for()
    person.shot("signup")
