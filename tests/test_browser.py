"""The dashboards in a real browser (headless Chromium): the counter, the redemptions
queue, role refusals and the Arabic right-to-left layout. They use the demo merchants
committed for the session and the app served by `live_url`."""

import pytest
from django.contrib.auth.models import User
from django.utils import timezone
from django_tenants.utils import schema_context

from points.models import Membership
from points.services import membership_join, points_adjust, points_earn
from points.tests.factories import customer_make
from rewards.models import Redemption, Reward
from rewards.services import redemption_create
from tenants.demo import DEMO_PASSWORD
from tenants.models import Merchant
from tests.threads import committed

# The test's own transaction is invisible to the server's connections: what a test
# writes goes through `committed()`; reads in the test see committed rows.
pytestmark = pytest.mark.django_db
HOST = "cafe-aroma.localhost"


def sign_in(page, live_url: str, role: str) -> str:
    base = live_url.format(host=HOST)
    page.goto(f"{base}/admin/login/")
    page.fill("#id_username", f"{role}@cafe-aroma.demo")
    page.fill("#id_password", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/admin/")
    return base


def test_a_cashier_awards_points_by_member_number(demo, live_url, page) -> None:
    with schema_context("cafe_aroma"):
        member = Membership.objects.earliest("pk")
        before = member.current_points
    base = sign_in(page, live_url, "cashier")

    page.goto(f"{base}/admin/counter/")
    page.fill("#member-number", member.member_number)
    page.click("#find")
    page.wait_for_selector("#member:not([hidden])")
    page.fill("#amount", "12.500")
    page.click("#award")
    page.wait_for_selector("#result:not([hidden])")

    result = page.inner_text("#result")
    with schema_context("cafe_aroma"):
        member.refresh_from_db()
    awarded = member.current_points - before
    assert awarded > 0
    assert f"+{awarded} points" in result and "12.500 JOD" in result
    # The same attempt sent again (a double tap, a retry) awards nothing more.
    again = page.evaluate(
        """async (memberId) => {
        const root = document.getElementById("counter");
        const csrf = root.querySelector("[name=csrfmiddlewaretoken]").value;
        const r = await fetch(root.dataset.earn, {method: "POST", credentials: "same-origin",
            headers: {"Content-Type": "application/json", "X-CSRFToken": csrf},
            body: JSON.stringify({member_id: memberId, amount: "12.500",
                                  attempt: root.dataset.attempt})});
        return (await r.json()).balance;
    }""",
        member.pk,
    )
    assert again == before + awarded
    with schema_context("cafe_aroma"):
        member.refresh_from_db()
        assert member.current_points == before + awarded


def test_a_lost_answer_then_a_new_amount_is_a_new_purchase(demo, live_url, page) -> None:
    with schema_context("cafe_aroma"):
        member = Membership.objects.order_by("pk")[1]
        before = member.current_points
    base = sign_in(page, live_url, "cashier")
    lost: list[bool] = []

    def lose_first_answer(route) -> None:  # the server awards; its answer never arrives
        if not lost:
            # Playwright's own fetch does not resolve *.localhost: same request, by IP.
            url = route.request.url
            route.fetch(
                url=url.replace(HOST, "127.0.0.1"),
                headers={**route.request.headers, "host": url.split("/")[2]},
            )
            lost.append(True)
            route.fulfill(status=502, content_type="application/json", body="{}")
        else:
            route.continue_()

    page.route("**/admin/counter/earn", lose_first_answer)
    page.goto(f"{base}/admin/counter/")
    page.fill("#member-number", member.member_number)
    page.click("#find")
    page.wait_for_selector("#member:not([hidden])")
    page.fill("#amount", "10.000")
    page.click("#award")
    page.wait_for_selector("#error:not([hidden])")
    with schema_context("cafe_aroma"):
        member.refresh_from_db()
    first = member.current_points - before
    assert first > 0  # awarded, though the page could not tell

    page.click("#award")  # a retry of the same purchase: nothing more
    page.wait_for_selector("#result:not([hidden])")
    assert f"+{first} points" in page.inner_text("#result")
    page.fill("#amount", "5.000")
    page.click("#award")  # a different purchase: a new key, awarded
    page.wait_for_function("document.querySelector('#result').innerText.includes('5.000')")
    with schema_context("cafe_aroma"):
        member.refresh_from_db()
    assert member.current_points - before > first
    assert page.is_hidden("#error")


def test_a_manager_approves_a_redemption_from_the_queue(demo, live_url, page) -> None:
    with schema_context("cafe_aroma"):
        reward = Reward.objects.filter(stock__isnull=True, min_tier__isnull=True).earliest("pk")
        member = Membership.objects.latest("pk")
        staff = User.objects.get(username="manager@cafe-aroma.demo")

        def pending() -> Redemption:
            points_adjust(
                membership_id=member.pk,
                points=reward.points_cost,
                reason="browser test",
                actor=staff,
            )
            return redemption_create(membership_id=member.pk, reward_id=reward.pk)

        redemption = committed(pending)
    base = sign_in(page, live_url, "manager")

    page.goto(f"{base}/admin/rewards/redemption/?q={redemption.voucher_code}")
    page.check(f"input[name=_selected_action][value='{redemption.pk}']")
    page.select_option("select[name=action]", "approve")
    page.click("button[name=index]")
    page.wait_for_load_state()

    assert "approved" in page.inner_text("body").lower()
    with schema_context("cafe_aroma"):
        redemption.refresh_from_db()
        assert redemption.status == Redemption.Status.APPROVED


def test_a_cashier_is_refused_the_settings_page(demo, live_url, page) -> None:
    base = sign_in(page, live_url, "cashier")
    response = page.goto(f"{base}/admin/points/pointssettings/1/change/")
    assert response.status == 403


def test_the_arabic_dashboard_renders_right_to_left(demo, live_url, browser) -> None:
    context = browser.new_context(locale="ar-JO", extra_http_headers={"Accept-Language": "ar"})
    page = context.new_page()
    base = sign_in(page, live_url, "owner")
    page.goto(f"{base}/admin/")
    assert page.get_attribute("html", "dir") == "rtl"
    assert page.get_attribute("html", "lang") == "ar"
    body = page.inner_text("body")
    assert "لوحة التحكم" in body and "الأعضاء" in body and "أعدّ برنامجك" in body
    context.close()


def test_an_owner_signs_up_and_completes_the_checklist(live_url, page) -> None:
    root = live_url.format(host="localhost")
    page.goto(f"{root}/signup/")
    page.fill("#id_name", "Browser Bakery")
    page.wait_for_function("document.querySelector('#id_slug').value === 'browser-bakery'")
    page.wait_for_selector("#slug-status.ok")
    page.select_option("#id_category", "cafe")
    page.fill("#id_city", "Amman")
    page.fill("#id_email", "owner@browser-bakery.jo")
    page.fill("#id_password", "bakery-pass-2026")
    page.click("button[type=submit]")
    base = live_url.format(host="browser-bakery.localhost")
    page.wait_for_url(f"{base}/admin/")
    assert page.is_visible("[data-testid=checklist]")

    page.click("[data-step=points]")
    page.click("button[name=_save]")
    page.goto(f"{base}/admin/points/tier/add/")
    page.fill("#id_name", "Silver")
    page.fill("#id_threshold", "100")
    page.fill("#id_multiplier", "1.5")
    page.click("button[name=_save]")
    page.goto(f"{base}/admin/rewards/reward/add/")
    page.fill("#id_name", "Free bread")
    page.fill("#id_points_cost", "50")
    page.click("button[name=_save]")
    page.goto(f"{base}/admin/auth/user/add/")
    page.fill("#id_email", "cashier@browser-bakery.jo")
    page.fill("#id_first_name", "Sami")
    page.select_option("#id_role", "cashier")
    page.fill("#id_password", "cashier-pass-2026")
    page.click("button[name=_save]")
    page.wait_for_url(f"{base}/admin/auth/user/")
    page.goto(f"{base}/admin/poster/")
    assert page.is_visible("[data-testid=poster] svg")

    # Every step but the last is done: the checklist waits for the first points.
    page.goto(f"{base}/admin/")
    assert page.is_visible("[data-testid=checklist]")
    assert page.get_attribute("[data-step=first_points]", "href") == "/admin/counter/"

    # The first purchase (the counter's own walk is in test_browser_counter.py), once the
    # owner's address is confirmed: then the checklist has done its work and goes.
    merchant = Merchant.objects.get(slug="browser-bakery")
    committed(
        lambda: Merchant.objects.filter(pk=merchant.pk).update(email_verified_at=timezone.now())
    )
    with schema_context(merchant.schema_name):

        def first_purchase() -> None:
            member = membership_join(customer=customer_make())
            points_earn(membership_id=member.pk, amount="5.000")

        committed(first_purchase)
    page.goto(f"{base}/admin/")
    assert not page.is_visible("[data-testid=checklist]")
    assert page.is_visible("[data-kpi=members]")
