"""Plans, the monthly text allowance and MRR."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from billing.models import MessageUsage, Plan, Subscription
from billing.selectors import mrr, plan_of, texts_used
from billing.services import texts_count
from tenants.models import Merchant

pytestmark = pytest.mark.django_db


def test_a_merchant_without_a_plan_is_on_the_trial_plan(merchant_a) -> None:
    merchant = Merchant.objects.get(pk=merchant_a.merchant.pk)
    merchant.plan = None
    assert plan_of(merchant).code == "trial"
    assert [p.code for p in Plan.objects.all()] == ["trial", "starter", "growth", "pro"]
    assert Plan.objects.get(code="pro").max_members is None  # unlimited


def test_texts_are_counted_per_merchant_and_month(merchant_a, merchant_b) -> None:
    day = datetime.date(2026, 11, 25)
    counts = [texts_count(merchant_id=merchant_a.merchant.pk, day=day) for _ in range(3)]
    assert counts == [1, 2, 3]
    assert texts_used(merchant_a.merchant, day) == 3
    assert texts_used(merchant_b.merchant, day) == 0
    # A new month starts from nothing.
    assert texts_count(merchant_id=merchant_a.merchant.pk, day=datetime.date(2026, 12, 1)) == 1
    assert MessageUsage.objects.filter(merchant_id=merchant_a.merchant.pk).count() == 2


def test_mrr_adds_what_stripe_bills_the_merchants_paying_per_currency(
    merchant_a, merchant_b
) -> None:
    before = mrr()
    Subscription.objects.create(
        merchant=merchant_a.merchant,
        stripe_subscription_id="sub_mrr_a",
        status="active",
        monthly_amount=35000,
        currency="JOD",
    )
    Subscription.objects.create(
        merchant=merchant_b.merchant,
        stripe_subscription_id="sub_mrr_b",
        status="past_due",
        monthly_amount=2900,
        currency="USD",
    )
    Merchant.objects.filter(pk=merchant_b.merchant.pk).update(
        billing_status=Merchant.Billing.PAST_DUE, past_due_since=timezone.now()
    )

    after = mrr()

    assert after["JOD"] - before.get("JOD", 0) == Decimal("35.000")
    assert after["USD"] - before.get("USD", 0) == Decimal("29.00")
    # A merchant read-only no longer counts, whatever Stripe still says.
    Merchant.objects.filter(pk=merchant_a.merchant.pk).update(
        billing_status=Merchant.Billing.READ_ONLY
    )
    assert mrr().get("JOD", Decimal(0)) == before.get("JOD", Decimal(0))
