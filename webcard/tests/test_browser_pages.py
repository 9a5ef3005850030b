"""The pages beside the card in a real browser on a phone, in English and Arabic: each
page fits the screen and reads in its direction; a voucher shows "used" a few seconds
after the cashier uses it, without a reload. Screenshots in .local/screenshots/card-pages.
"""

from typing import Any

import pytest
from django_tenants.utils import schema_context

from notifications.models import InboxItem
from points.services import membership_join, points_adjust
from points.tests.factories import customer_make, programme_create
from rewards.services import redemption_approve, redemption_create, redemption_use
from tenants.models import Merchant
from tenants.selectors import merchant_host
from tenants.services import merchant_create
from tests.browser import Walk
from tests.fixtures import PASSWORD, paying_on_pro
from tests.threads import committed
from webcard.sessions import COOKIE, session_create

pytestmark = pytest.mark.django_db
USED = {"en": "Used", "ar": "مستخدم"}


@pytest.fixture(scope="module")
def shop(live_url: str, django_db_blocker: Any) -> dict[str, Any]:
    """A shop of its own (committed: the served app reads it) with the seed's programme."""
    with django_db_blocker.unblock():
        merchant = (
            Merchant.objects.filter(slug="page-bakery").first()
            or merchant_create(
                name="Page Bakery",
                slug="page-bakery",
                owner_email="owner@page-bakery.test",
                owner_password=PASSWORD,
            ).merchant
        )
        paying_on_pro(merchant)
        with schema_context(merchant.schema_name):
            programme = programme_create()
    return {
        "merchant": merchant,
        "base": live_url.format(host=merchant_host(merchant)),
        "programme": programme,
    }


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_a_member_walks_the_pages_and_sees_the_voucher_used_live(browser, shop, lang: str) -> None:
    programme, merchant = shop["programme"], shop["merchant"]

    def member() -> tuple[Any, Any, str]:
        joined = membership_join(customer=customer_make(language=lang))
        points_adjust(membership_id=joined.pk, points=250, reason="visits", actor=programme.manager)
        voucher = redemption_create(membership_id=joined.pk, reward_id=programme.free_coffee.pk)
        InboxItem.objects.create(
            membership=joined,
            message_id=7_700_000 + joined.pk,
            event="points_earned",
            kind="transactional",
            title="+250",
            body="250",
        )
        return joined, voucher, session_create(customer=joined.customer, merchant=merchant)

    with schema_context(merchant.schema_name):
        _joined, voucher, key = committed(member)
    walk = Walk(browser, lang, "phone", "card-pages")
    walk.context.add_cookies([{"name": COOKIE, "value": key, "url": shop["base"]}])
    page = walk.page
    try:
        for name, path in [
            ("history", "/card/history"),
            ("rewards", "/card/rewards"),
            ("redeem", f"/card/rewards/{programme.free_coffee.pk}/redeem"),
            ("vouchers", "/card/vouchers"),
            ("inbox", "/card/inbox"),
            ("settings", "/card/settings"),
            ("delete", "/card/settings/delete"),
        ]:
            page.goto(shop["base"] + path)
            walk.shot(name)

        page.goto(f"{shop['base']}/card/vouchers/{voucher.pk}")
        walk.shot("voucher")
        page.evaluate("window.notReloaded = true")

        def use() -> None:
            redemption_approve(redemption_id=voucher.pk, actor=programme.cashier)
            redemption_use(redemption_id=voucher.pk, actor=programme.cashier)

        with schema_context(merchant.schema_name):
            committed(use)
        page.wait_for_selector("[data-status=used]", timeout=10_000)

        assert page.inner_text("[data-testid=state]") == USED[lang]
        assert page.evaluate("window.notReloaded") is True
        assert page.locator("[data-testid=cancel]").is_hidden()
        assert page.inner_text("[data-testid=code]") == voucher.voucher_code
        walk.shot("voucher-used")
    finally:
        walk.context.close()
