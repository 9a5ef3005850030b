"""An owner on a free trial pays for a plan in a real browser, in English on a laptop
and in Arabic on a phone: the trial banner, the plans, Stripe Checkout (the fake's
page on the local stub), and back on an active dashboard with the plan bought.

Every page is kept as a screenshot in .local/screenshots/billing/<page>-<lang>-<viewport>.png
for a person to look at."""

import datetime
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.utils import timezone

from billing.models import Plan, StripeCustomer, Subscription
from billing.stripe_prices import plan_prices_sync
from tenants.models import Merchant
from tenants.services import merchant_create
from tests.browser import WALKS_CROSS, Walk
from tests.fixtures import PASSWORD
from tests.stripe_stub import FakeStripe, fake_stripe

pytestmark = pytest.mark.django_db

TEXT = {
    "en": {
        "due": "Your last payment failed. Pay by",
        "lapsed": "Your plan has lapsed: the dashboard is read-only",
        "paused": "The loyalty programme is paused",
        "trial": "Your free trial ends in 10 days",
        "keep": "Choose a plan now and keep your trial days",
        "thanks": "Thank you: you are on the Growth plan.",
        "plan": "Your plan: Growth",
    },
    "ar": {
        "due": "لم تنجح دفعتك الأخيرة",
        "lapsed": "انتهت خطتك",
        "paused": "برنامج الولاء متوقف",
        "trial": "تنتهي فترتك التجريبية المجانية خلال 10 أيام",
        "keep": "اختر خطة الآن واحتفظ بأيام تجربتك",
        "thanks": "شكراً لك: أنت الآن على خطة النمو.",
        "plan": "خطتك: النمو",
    },
}


def owner_of(lang: str) -> str:
    return f"owner@billing-walk-{lang}.test"


def shop(slug: str, owner_email: str) -> Merchant:
    """A new merchant on a free trial, named after its address."""
    name = slug.replace("-", " ").capitalize()
    return merchant_create(
        name=name, slug=slug, owner_email=owner_email, owner_password=PASSWORD
    ).merchant


@pytest.fixture(scope="module")
def stripe(django_db_setup: None, django_db_blocker: Any) -> Iterator[FakeStripe]:
    """The fake Stripe for the served app, with the paid plans' prices made on it, and
    for each language a merchant on a free trial, one whose payment is due and one
    read-only (all committed: the served app reads them)."""
    with django_db_blocker.unblock(), fake_stripe(now=int(timezone.now().timestamp())) as fake:
        plan_prices_sync()
        for lang in ("en", "ar"):
            merchant = shop(f"billing-walk-{lang}", owner_of(lang))
            merchant.trial_ends_at = timezone.now() + datetime.timedelta(days=10)
            merchant.save()
            # A merchant whose payment failed two days ago (grace running), and one
            # whose trial ended unpaid (read-only by the clock alone).
            due = shop(f"billing-due-{lang}", owner_of(f"due-{lang}"))
            due.plan = Plan.objects.get(code="starter")
            due.billing_status = Merchant.Billing.PAST_DUE
            due.past_due_since = timezone.now() - datetime.timedelta(days=2)
            due.save()
            lapsed = shop(f"billing-lapsed-{lang}", owner_of(f"lapsed-{lang}"))
            lapsed.trial_ends_at = timezone.now() - datetime.timedelta(days=1)
            lapsed.save()
        yield fake
        # Other tests meet the plans as the migrations made them.
        Plan.objects.update(
            stripe_product_id="",
            stripe_price_id="",
            stripe_price_amount=None,
            stripe_price_currency="",
        )


@pytest.fixture
def walk(walks: Callable[..., Walk]) -> Callable[[str, str], Walk]:
    return lambda lang, viewport: walks(lang, viewport, "billing", TEXT[lang])


@pytest.mark.parametrize(("lang", "viewport"), WALKS_CROSS)
def test_an_owner_on_a_trial_pays_for_growth_and_comes_back_active(
    stripe, live_url, walk, lang, viewport
) -> None:
    base = live_url.format(host=f"billing-walk-{lang}.localhost")
    person = walk(lang, viewport)
    page, text = person.page, person.text
    person.sign_in(base, owner_of(lang), PASSWORD)
    page.wait_for_url(f"{base}/admin/")
    trial = page.locator("[data-testid=billing-banner][data-state=trialing]")
    assert text["trial"] in trial.inner_text()
    person.shot("trial-banner", full_page=False)

    page.click("[data-testid=billing-banner-action]")
    page.wait_for_url(f"{base}/admin/subscription/#plans")
    assert text["keep"] in person.body()
    person.shot("plans")

    page.click("[data-testid=choose-growth]")
    page.wait_for_url(lambda url: url.startswith(f"{stripe.url}/pay/"))
    assert "Growth: 35000 jod / month" in page.inner_text("[data-testid=product]")
    person.shots.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(person.shots / f"checkout-{lang}-{viewport}.png"))

    page.click("#pay")
    page.wait_for_url(f"{base}/admin/subscription/")
    body = person.body()
    assert text["thanks"] in body
    assert text["plan"] in body
    assert page.locator("[data-testid=billing-banner]").count() == 0
    assert page.get_attribute("[data-testid=billing-state]", "data-state") == "active"
    person.shot("active")

    merchant = Merchant.objects.get(slug=f"billing-walk-{lang}")
    assert merchant.billing_status == Merchant.Billing.ACTIVE
    assert merchant.plan == Plan.objects.get(code="growth")
    assert Subscription.objects.get(merchant=merchant).status == "trialing"  # the trial kept
    assert StripeCustomer.objects.filter(merchant=merchant).count() == 1

    page.goto(f"{base}/admin/")
    assert page.locator("[data-testid=billing-banner]").count() == 0


@pytest.mark.parametrize(("lang", "viewport"), WALKS_CROSS)
def test_a_payment_due_and_a_lapsed_plan_as_the_owner_sees_them(
    stripe, live_url, walk, lang, viewport
) -> None:
    person = walk(lang, viewport)
    page, text = person.page, person.text
    due = live_url.format(host=f"billing-due-{lang}.localhost")
    person.sign_in(due, owner_of(f"due-{lang}"), PASSWORD)
    page.wait_for_url(f"{due}/admin/")
    banner = page.locator("[data-testid=billing-banner][data-state=past_due]")
    assert text["due"] in banner.inner_text()
    person.shot("payment-due", full_page=False)

    lapsed = live_url.format(host=f"billing-lapsed-{lang}.localhost")
    person.sign_in(lapsed, owner_of(f"lapsed-{lang}"), PASSWORD)
    page.wait_for_url(f"{lapsed}/admin/")
    banner = page.locator("[data-testid=billing-banner][data-state=read_only]")
    assert text["lapsed"] in banner.inner_text()
    person.shot("read-only-home", full_page=False)

    page.goto(f"{lapsed}/admin/counter/")
    assert text["paused"] in page.inner_text("[data-testid=counter-read-only]")
    assert not page.locator("#find-card").is_visible()
    person.shot("read-only-counter", full_page=False)

    page.goto(f"{lapsed}/admin/rewards/reward/")
    assert page.locator("a[href$='/admin/rewards/reward/add/']").count() == 0
    person.shot("read-only-rewards", full_page=False)
