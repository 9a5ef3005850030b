"""The billing banner on every dashboard page and the subscription page, per billing
state, in English and Arabic, with the clock frozen: the trial's countdown, a payment
due with its last day, a lapsed plan; the plan, what it costs and when it is paid;
usage near the limits; the plans with their buttons; invoices; demo mode."""

import datetime
import re
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth.models import User
from django.test import override_settings
from django.utils import translation
from django.utils.formats import date_format
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_tenants.utils import schema_context

from billing.models import Invoice, Plan, StripeCustomer, Subscription
from tenants.models import Merchant
from tenants.roles import Role
from tenants.services import staff_create
from tests.fixtures import PASSWORD, HostClient
from tests.stripe_stub import fake_stripe

pytestmark = pytest.mark.django_db
AMMAN = ZoneInfo("Asia/Amman")
NOW = datetime.datetime(2026, 12, 1, 12, 0, tzinfo=AMMAN)
STRIPE = {"STRIPE_SECRET_KEY": "sk_test_page"}


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def billing(merchant_a, state: str, plan: str = "trial", **fields) -> Merchant:
    merchant = Merchant.objects.get(pk=merchant_a.merchant.pk)
    merchant.billing_status = state
    merchant.plan = Plan.objects.get(code=plan)
    for name, value in fields.items():
        setattr(merchant, name, value)
    merchant.save()
    return merchant


def signed_in(merchant_a, email: str | None = None, lang: str = "en") -> HostClient:
    client = HostClient(merchant_a.host, HTTP_ACCEPT_LANGUAGE=lang)
    with schema_context(merchant_a.schema):
        client.force_login(User.objects.get(email=email or merchant_a.owner_email))
    return client


def text(html: str) -> str:
    """The page's text: tags dropped, spaces collapsed."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).replace("\xa0", " ")


def banner(client: HostClient, url: str = "/admin/") -> str:
    page = client.get(url).content.decode()
    found = re.search(r'<div[^>]*data-testid="billing-banner".*?</div>', page, re.S)
    return text(found.group(0)).strip() if found else ""


def day(moment: datetime.datetime, lang: str) -> str:
    with translation.override(lang):
        return date_format(moment.astimezone(AMMAN), "j F Y")


# --- the banner ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        ("en", "Your free trial ends in 10 days (11 December 2026). Choose a plan"),
        ("ar", "تنتهي فترتك التجريبية المجانية خلال 10 أيام ({day}). اختر خطة"),
    ],
)
def test_a_trial_shows_its_countdown_on_every_page(merchant_a, lang, words) -> None:
    billing(merchant_a, "trialing", trial_ends_at=NOW + datetime.timedelta(days=10))
    client = signed_in(merchant_a, lang=lang)
    expected = words.format(day=day(NOW + datetime.timedelta(days=10), lang))
    assert banner(client) == expected
    assert banner(client, "/admin/rewards/reward/") == expected
    assert 'href="/admin/subscription/#plans"' in client.get("/admin/").content.decode()


def test_the_last_day_of_a_trial_says_one_day(merchant_a) -> None:
    billing(merchant_a, "trialing", trial_ends_at=NOW + datetime.timedelta(hours=5))
    assert banner(signed_in(merchant_a)) == (
        "Your free trial ends in 1 day (1 December 2026). Choose a plan"
    )


def test_a_trial_over_by_the_clock_shows_the_lapsed_banner(merchant_a) -> None:
    billing(merchant_a, "trialing", trial_ends_at=NOW - datetime.timedelta(hours=1))
    assert banner(signed_in(merchant_a)) == (
        "Your plan has lapsed: the dashboard is read-only; customers keep their points."
        " Choose a plan"
    )


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        (
            "en",
            "Your last payment failed. Pay by 6 December 2026 to keep the dashboard working."
            " Pay now",
        ),
        ("ar", "لم تنجح دفعتك الأخيرة. ادفع في موعد أقصاه {day} لتبقى لوحة التحكم تعمل. ادفع الآن"),
    ],
)
def test_a_payment_due_says_by_when_and_links_the_open_invoice(merchant_a, lang, words) -> None:
    merchant = billing(
        merchant_a, "past_due", plan="growth", past_due_since=NOW - datetime.timedelta(days=2)
    )
    Invoice.objects.create(
        merchant=merchant,
        stripe_invoice_id="in_due",
        status=Invoice.Status.OPEN,
        currency="JOD",
        amount_due=35000,
        created=NOW - datetime.timedelta(days=2),
        hosted_invoice_url="https://invoice.stripe.com/i/in_due",
    )
    client = signed_in(merchant_a, lang=lang)
    assert banner(client) == words.format(day=day(NOW + datetime.timedelta(days=5), lang))
    assert 'href="https://invoice.stripe.com/i/in_due"' in client.get("/admin/").content.decode()


@override_settings(**STRIPE)
def test_without_an_invoice_page_pay_now_opens_the_portal(merchant_a) -> None:
    merchant = billing(
        merchant_a, "past_due", plan="growth", past_due_since=NOW - datetime.timedelta(days=2)
    )
    StripeCustomer.objects.create(merchant=merchant, customer_id="cus_due")
    page = signed_in(merchant_a).get("/admin/").content.decode()
    assert re.search(
        r'<form method="post" action="/admin/subscription/portal/">\s*'
        r'<input type="hidden" name="csrfmiddlewaretoken"[^>]*>\s*'
        r'<button type="submit"[^>]*data-testid="billing-banner-action">Pay now</button>',
        page,
    )


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        (
            "en",
            "Your plan has lapsed: the dashboard is read-only; customers keep their points."
            " Choose a plan",
        ),
        ("ar", "انتهت خطتك: لوحة التحكم للقراءة فقط، ويحتفظ العملاء بنقاطهم. اختر خطة"),
    ],
)
def test_a_lapsed_plan_says_the_dashboard_is_read_only(merchant_a, lang, words) -> None:
    billing(
        merchant_a,
        "read_only",
        plan="growth",
        read_only_since=NOW - datetime.timedelta(days=1),
        read_only_reason="canceled",
    )
    assert banner(signed_in(merchant_a, lang=lang)) == words


def test_a_paying_merchant_has_no_banner(merchant_a) -> None:
    assert banner(signed_in(merchant_a)) == ""


def test_other_staff_are_told_who_can_act(merchant_a) -> None:
    billing(merchant_a, "read_only", read_only_since=NOW, read_only_reason="trial_ended")
    with schema_context(merchant_a.schema):
        staff_create(email="till@alpha-cafe.test", role=Role.CASHIER, password=PASSWORD)
    client = signed_in(merchant_a, "till@alpha-cafe.test")
    assert banner(client) == (
        "Your plan has lapsed: the dashboard is read-only; customers keep their points."
        " The owner can choose a plan on the subscription page."
    )
    assert "billing-banner-action" not in client.get("/admin/").content.decode()


# --- the subscription page ----------------------------------------------------------


def priced() -> None:
    for code in ("starter", "growth", "pro"):
        Plan.objects.filter(code=code).update(stripe_price_id=f"price_{code}")


def section(page: str, testid: str) -> str:
    found = re.search(rf'<section[^>]*data-testid="{testid}".*?</section>', page, re.S)
    return text(found.group(0)).strip() if found else ""


def buttons(page: str) -> dict[str, str]:
    return {
        code: text(label).strip()
        for code, label in re.findall(r'data-testid="choose-(\w+)">(.*?)</button>', page, re.S)
    }


def test_without_a_stripe_key_the_page_says_the_platform_sets_the_plan(merchant_a) -> None:
    billing(merchant_a, "trialing", trial_ends_at=NOW + datetime.timedelta(days=10))
    priced()
    page = signed_in(merchant_a).get("/admin/subscription/").content.decode()
    assert (
        "Online billing is not configured on this platform; the platform team sets your plan."
        in page
    )
    assert buttons(page) == {}
    assert 'data-testid="portal"' not in page
    assert "To change plan, write to the platform team." in page


@override_settings(**STRIPE)
def test_a_trial_offers_every_plan_and_keeps_its_days(merchant_a) -> None:
    billing(merchant_a, "trialing", trial_ends_at=NOW + datetime.timedelta(days=10))
    priced()
    page = signed_in(merchant_a).get("/admin/subscription/").content.decode()
    assert section(page, "billing-state") == (
        "Free trial 10 days left: your trial ends on 11 December 2026."
        " Choose a plan now and keep your trial days: the first payment is taken on"
        " 11 December 2026."
    )
    assert buttons(page) == {"starter": "Choose", "growth": "Choose", "pro": "Choose"}
    assert re.search(r'data-plan="trial".*?data-testid="current"', page, re.S)
    assert '<p class="mb-2"><bdi>35.000\xa0JOD</bdi> a month</p>' in page
    assert "Your trial days are kept: nothing is charged before 11 December 2026." in page
    assert 'name="attempt" value="' in page


@override_settings(**STRIPE)
def test_a_paying_merchant_sees_what_it_pays_and_when(merchant_a) -> None:
    merchant = billing(merchant_a, "active", plan="growth")
    priced()
    StripeCustomer.objects.create(merchant=merchant, customer_id="cus_paying")
    Subscription.objects.create(
        merchant=merchant,
        stripe_subscription_id="sub_paying",
        status="active",
        plan=Plan.objects.get(code="growth"),
        monthly_amount=35000,
        currency="JOD",
        current_period_end=datetime.datetime(2026, 12, 20, 9, 0, tzinfo=AMMAN),
        cancel_at_period_end=True,
    )
    Invoice.objects.create(
        merchant=merchant,
        stripe_invoice_id="in_paid",
        status=Invoice.Status.PAID,
        currency="JOD",
        amount_due=35000,
        amount_paid=35000,
        created=datetime.datetime(2026, 11, 20, 9, 0, tzinfo=AMMAN),
        hosted_invoice_url="https://invoice.stripe.com/i/in_paid",
    )
    page = signed_in(merchant_a).get("/admin/subscription/").content.decode()
    assert section(page, "billing-state") == (
        "Your plan: Growth 35.000 JOD a month. Cancels on 20 December 2026: it will not renew."
        " Manage card and invoices"
    )
    assert buttons(page) == {"starter": "Switch to this plan", "pro": "Upgrade"}
    assert re.search(r'data-plan="growth".*?data-testid="current"', page, re.S)
    assert section(page, "invoices") == "Invoices 20 Nov 2026 35.000 JOD Paid View invoice"
    assert 'href="https://invoice.stripe.com/i/in_paid"' in page


@override_settings(**STRIPE)
def test_a_payment_due_says_since_when_and_until_when(merchant_a) -> None:
    merchant = billing(
        merchant_a, "past_due", plan="growth", past_due_since=NOW - datetime.timedelta(days=2)
    )
    StripeCustomer.objects.create(merchant=merchant, customer_id="cus_due")
    page = signed_in(merchant_a).get("/admin/subscription/").content.decode()
    found = re.search(r'data-testid="past-due".*?</div>', page, re.S)
    assert found is not None
    assert text(found.group(0)).split('">', 1)[1].strip() == (
        "A payment has been due since 29 November 2026. Pay by 6 December 2026: after that"
        " the dashboard turns read-only until it is paid. Pay now"
    )


@override_settings(**STRIPE)
def test_a_lapsed_merchant_is_told_a_plan_restores_everything(merchant_a) -> None:
    billing(
        merchant_a,
        "read_only",
        plan="growth",
        read_only_since=NOW - datetime.timedelta(days=3),
        read_only_reason="canceled",
    )
    priced()
    page = signed_in(merchant_a).get("/admin/subscription/").content.decode()
    assert section(page, "billing-state") == (
        "Your dashboard is read-only Your subscription was canceled. Your customers keep their"
        " points and can still see them; nothing is deleted."
        " Choose a plan to restore everything at once."
    )
    assert buttons(page) == {"starter": "Choose", "growth": "Choose", "pro": "Choose"}


@override_settings(**STRIPE)
def test_a_limit_reached_or_near_offers_an_upgrade(merchant_a) -> None:
    Plan.objects.filter(code="trial").update(max_staff=1, max_members=250)
    billing(merchant_a, "trialing", trial_ends_at=NOW + datetime.timedelta(days=10))
    page = signed_in(merchant_a).get("/admin/subscription/").content.decode()
    rows = re.findall(r'<tr[^>]*data-near="(\w+)">(.*?)</tr>', page, re.S)
    shown = {text(cells).split(" ")[1]: (near, "Upgrade" in cells) for near, cells in rows}
    # The owner is the one staff member allowed: reached. No member of 250: far.
    assert shown["Staff"] == ("true", True)
    assert shown["Members"] == ("false", False)


def test_only_the_owner_opens_the_subscription_page(merchant_a) -> None:
    with schema_context(merchant_a.schema):
        staff_create(email="mgr@alpha-cafe.test", role=Role.MANAGER, password=PASSWORD)
    client = signed_in(merchant_a, "mgr@alpha-cafe.test")
    assert client.get("/admin/subscription/").status_code == 403


# --- the platform's Plan admin ------------------------------------------------------


def test_the_plan_admin_action_syncs_the_stripe_prices_and_says_what_changed() -> None:
    admin = User.objects.create_superuser("ops@platform.jo", "ops@platform.jo", "ops-pass-2026")
    device = TOTPDevice.objects.create(user=admin, name="phone", confirmed=True)
    code = f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"
    client = HostClient("localhost", HTTP_ACCEPT_LANGUAGE="en")
    client.post(
        "/admin/login/?next=/admin/",
        {"username": "ops@platform.jo", "password": "ops-pass-2026", "otp_token": code},
    )
    growth = Plan.objects.get(code="growth")
    with fake_stripe() as stripe:
        response = client.post(
            "/admin/billing/plan/",
            {"action": "stripe_prices_sync", "_selected_action": [growth.pk]},
            follow=True,
        )
    assert [(r.method, r.path) for r in stripe.requests] == [
        ("POST", "/v1/products"),
        ("POST", "/v1/prices"),
    ]
    assert "New Stripe price: Growth: 35.000\xa0JOD" in response.content.decode()
    growth.refresh_from_db()
    assert growth.stripe_price_amount == 35000
