"""The platform dashboard's billing figures (billing.selectors.billing_overview), the
"Billing" filter of the merchant list and each merchant's billing history, from rows
made here, with the clock frozen."""

import datetime
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.conf import settings
from django_otp.plugins.otp_totp.models import TOTPDevice

from billing.models import Invoice, Plan, StripeEvent, Subscription
from billing.selectors import billing_overview
from tenants.models import Merchant
from tenants.tests.test_platform_admin import current_code, sign_in

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2031, 3, 1, 10, 0, tzinfo=datetime.UTC)
DAY = datetime.timedelta(days=1)
GRACE = datetime.timedelta(days=settings.PAST_DUE_GRACE_DAYS)


def merchant(slug: str, plan: str, state: str, **fields: object) -> Merchant:
    return Merchant.objects.create(
        schema_name=slug.replace("-", "_"),
        slug=slug,
        name=slug.replace("-", " ").title(),
        contact_email=f"owner@{slug}.jo",
        plan=Plan.objects.get(code=plan),
        billing_status=state,
        **fields,
    )


def subscribe(shop: Merchant, status: str, amount: int, started: datetime.datetime, **more):  # type: ignore[no-untyped-def]
    return Subscription.objects.create(
        merchant=shop,
        stripe_subscription_id=f"sub_{shop.slug}",
        status=status,
        plan=shop.plan,
        monthly_amount=amount,
        currency=more.pop("currency", "JOD"),
        started_at=started,
        **more,
    )


@pytest.fixture
def shops() -> dict[str, Merchant]:
    """Nine merchants, one per case the figures tell apart."""
    trialing, active, past_due, read_only = (s.value for s in Merchant.Billing)
    made = {
        # Paying through Stripe since two months.
        "paying": merchant("anise-cafe", "growth", active, trial_ends_at=NOW - 70 * DAY),
        # A payment failed two days ago: in its grace period.
        "due": merchant("basil-gym", "starter", past_due, past_due_since=NOW - 2 * DAY),
        # A payment failed ten days ago: the grace ran out (the job has not run yet).
        "lapsed": merchant("cumin-spa", "starter", past_due, past_due_since=NOW - 10 * DAY),
        "trial": merchant("dill-shop", "trial", trialing, trial_ends_at=NOW + 5 * DAY),
        # The trial ended two days ago; the job has not run yet.
        "trial_over": merchant("fennel-cafe", "trial", trialing, trial_ends_at=NOW - 2 * DAY),
        # Subscribed during the trial that ended ten days ago (a Stripe trial still).
        "converted": merchant("ginger-bar", "starter", active, trial_ends_at=NOW - 10 * DAY),
        # Paid for months, canceled five days ago.
        "canceled": merchant(
            "hyssop-gym",
            "growth",
            read_only,
            read_only_reason="canceled",
            read_only_since=NOW - 5 * DAY,
        ),
        # The trial ended twenty days ago and the job recorded it.
        "trial_ended": merchant(
            "iris-salon",
            "trial",
            read_only,
            trial_ends_at=NOW - 20 * DAY,
            read_only_reason="trial_ended",
            read_only_since=NOW - 20 * DAY,
        ),
        "dollars": merchant("juniper-cafe", "pro", active),
    }
    subscribe(made["paying"], "active", 35000, NOW - 60 * DAY)
    subscribe(made["due"], "past_due", 15000, NOW - 90 * DAY)
    subscribe(made["lapsed"], "past_due", 15000, NOW - 90 * DAY)
    subscribe(made["converted"], "trialing", 15000, NOW - 12 * DAY)
    subscribe(made["canceled"], "canceled", 35000, NOW - 100 * DAY)
    subscribe(made["dollars"], "active", 2900, NOW - 40 * DAY, currency="USD")
    return made


@pytest.fixture
def baseline() -> dict[str, Any]:
    """The figures of the merchants other tests committed, at NOW, before these rows."""
    overview = billing_overview(now=NOW)
    return {
        "mrr": overview.mrr,
        "states": overview.states,
        "plans": {plan.code: n for plan, n in overview.plans},
        "figures": (
            overview.trials_ended,
            overview.trials_converted,
            overview.paying_at_start,
            overview.churned,
        ),
    }


def added(after: dict[str, Any], before: dict[str, Any]) -> dict[str, Any]:
    return {k: v - before.get(k, 0) for k, v in after.items() if v != before.get(k, 0)}


def test_the_billing_figures_count_the_rows_made_here(baseline, shops) -> None:
    overview = billing_overview(now=NOW)

    # What Stripe bills: Growth 35, Starter 15 (payment due, in grace) and Starter 15
    # (a Stripe trial) in JOD, Pro 29 in USD; not the lapsed one, nor the canceled one.
    assert added(overview.mrr, baseline["mrr"]) == {
        "JOD": Decimal("65.000"),
        "USD": Decimal("29.00"),
    }
    assert added(overview.states, baseline["states"]) == {
        "trialing": 1,
        "active": 3,
        "past_due": 1,
        "read_only": 4,
    }
    plans = {plan.code: n for plan, n in overview.plans}
    assert added(plans, baseline["plans"]) == {"trial": 1, "starter": 1, "growth": 1, "pro": 1}
    # Trials that ended in the 30 days: fennel (not paying), ginger (paying), iris (not):
    # 1 of 3. Paying 30 days ago through Stripe: anise, basil, cumin, hyssop, juniper;
    # cumin's grace ran out and hyssop canceled in the window: 2 of 5.
    figures = (
        overview.trials_ended,
        overview.trials_converted,
        overview.paying_at_start,
        overview.churned,
    )
    assert tuple(a - b for a, b in zip(figures, baseline["figures"], strict=True)) == (3, 1, 5, 2)
    if baseline["figures"] == (0, 0, 0, 0):
        assert (overview.conversion, overview.churn) == (Decimal("33.3"), Decimal("40.0"))


def test_failed_payments_are_listed_newest_first(shops) -> None:
    def invoice(shop: Merchant, number: str, **fields: object) -> Invoice:
        return Invoice.objects.create(
            merchant=shop,
            stripe_invoice_id=f"in_{number}",
            number=number,
            currency="JOD",
            amount_due=15000,
            created=NOW - 12 * DAY,
            **fields,
        )

    invoice(
        shops["lapsed"], "LAPSED-1", status="open", payment_failed_at=NOW - 9 * DAY, attempt_count=4
    )
    invoice(shops["due"], "DUE-1", status="open", payment_failed_at=NOW - 2 * DAY, attempt_count=1)
    # Paid after a failure, and paid at once: nothing to follow up.
    invoice(
        shops["due"],
        "DUE-0",
        status="paid",
        payment_failed_at=NOW - 40 * DAY,
        paid_at=NOW - 39 * DAY,
    )
    invoice(shops["paying"], "PAYING-1", status="paid", paid_at=NOW - 30 * DAY)

    failed = billing_overview(now=NOW).failed_invoices

    mine = {m.pk for m in shops.values()}
    assert [
        (i.number, i.attempt_count, amount) for i, amount in failed if i.merchant_id in mine
    ] == [
        ("DUE-1", 1, Decimal("15.000")),
        ("LAPSED-1", 4, Decimal("15.000")),
    ]


@pytest.fixture
def platform() -> Iterator[Any]:
    """A platform admin signed in, at NOW (the clock stays there for the test)."""
    from django.contrib.auth.models import User

    admin = User.objects.create_superuser("ops@platform.jo", "ops@platform.jo", "ops-pass-2026")
    device = TOTPDevice.objects.create(user=admin, name="phone", confirmed=True)
    with time_machine.travel(NOW, tick=False):
        yield sign_in(current_code(device))


def test_the_platform_home_shows_the_billing_figures_in_both_languages(platform, shops) -> None:
    Invoice.objects.create(
        merchant=shops["due"],
        stripe_invoice_id="in_home",
        number="HOME-1",
        status="open",
        currency="JOD",
        amount_due=15000,
        created=NOW - 3 * DAY,
        payment_failed_at=NOW - 2 * DAY,
        attempt_count=2,
    )
    overview = billing_overview()

    english = platform.get("/admin/").content.decode()
    platform.cookies[settings.LANGUAGE_COOKIE_NAME] = "ar"
    arabic = platform.get("/admin/").content.decode()

    for state, count in overview.states.items():
        assert f'data-billing-state="{state}">{count}<' in english
        assert f'href="/admin/tenants/merchant/?billing={state}"' in english
    assert "Basil Gym" in english and "HOME-1" in english
    assert "15.000\xa0JOD" in english
    assert "Trial conversion" in english and "Failed payments to follow up" in english
    assert "15.000\xa0دينار" in arabic
    assert "Failed payments to follow up" not in arabic


def test_the_billing_filter_applies_the_clock(platform, shops) -> None:
    page = platform.get("/admin/tenants/merchant/?billing=read_only").content.decode()

    for key in ("lapsed", "trial_over", "canceled", "trial_ended"):
        assert shops[key].name in page, key
    for key in ("paying", "due", "trial", "converted", "dollars"):
        assert shops[key].name not in page, key


def test_a_merchants_page_shows_its_billing_history(platform, shops) -> None:
    shop = shops["due"]
    Subscription.objects.filter(merchant=shop).update(
        current_period_end=datetime.datetime(2031, 3, 20, tzinfo=datetime.UTC)
    )
    Invoice.objects.create(
        merchant=shop,
        stripe_invoice_id="in_hist_1",
        number="BASIL-0001",
        status="paid",
        currency="JOD",
        amount_due=15000,
        amount_paid=15000,
        created=datetime.datetime(2031, 1, 20, tzinfo=datetime.UTC),
        paid_at=datetime.datetime(2031, 1, 20, tzinfo=datetime.UTC),
    )
    Invoice.objects.create(
        merchant=shop,
        stripe_invoice_id="in_hist_2",
        number="BASIL-0002",
        status="open",
        currency="JOD",
        amount_due=15000,
        created=datetime.datetime(2031, 2, 20, tzinfo=datetime.UTC),
        payment_failed_at=datetime.datetime(2031, 2, 27, tzinfo=datetime.UTC),
        attempt_count=2,
    )
    StripeEvent.objects.create(
        event_id="evt_hist_1",
        type="invoice.payment_failed",
        created=datetime.datetime(2031, 2, 27, tzinfo=datetime.UTC),
        processed_at=datetime.datetime(2031, 2, 27, tzinfo=datetime.UTC),
        merchant=shop,
        payload={},
    )

    page = platform.get(f"/admin/tenants/merchant/{shop.pk}/change/").content.decode()

    history = page[page.index('data-testid="billing-history"') :]
    assert 'data-testid="billing-state">Payment due<' in history
    assert "<code>past_due</code>" in history
    assert "15.000\xa0JOD" in history
    assert "March 20, 2031" in history or "20 Mar 2031" in history
    assert history.index("BASIL-0002") < history.index("BASIL-0001")
    assert "Failed on 27 Feb 2031 (2 attempts)" in history
    assert "Paid on 20 Jan 2031" in history
    assert "invoice.payment_failed" in history and "evt_hist_1" in history
