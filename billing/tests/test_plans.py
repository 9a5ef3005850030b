"""Plans, the monthly text allowance and MRR."""

import datetime
from decimal import Decimal

import pytest

from billing.models import MessageUsage, Plan
from billing.selectors import mrr, plan_of, texts_used
from billing.services import texts_allowance_take
from tenants.models import Merchant

pytestmark = pytest.mark.django_db


def test_new_merchants_start_on_the_trial_plan(merchant_a) -> None:
    merchant = Merchant.objects.get(pk=merchant_a.merchant.pk)
    assert plan_of(merchant).code == "trial"
    assert [p.code for p in Plan.objects.all()] == ["trial", "starter", "growth", "pro"]
    assert Plan.objects.get(code="pro").max_members is None  # unlimited


def test_the_allowance_is_taken_one_by_one_and_never_beyond(merchant_a) -> None:
    day = datetime.date(2026, 11, 25)
    merchant_id = merchant_a.merchant.pk
    taken = [texts_allowance_take(merchant_id=merchant_id, allowance=3, day=day) for _ in range(5)]
    assert taken == [True, True, True, False, False]
    assert texts_used(merchant_a.merchant, day) == 3
    # A new month starts from nothing.
    assert texts_allowance_take(
        merchant_id=merchant_id, allowance=3, day=datetime.date(2026, 12, 1)
    )
    assert MessageUsage.objects.filter(merchant_id=merchant_id).count() == 2
    assert not texts_allowance_take(merchant_id=merchant_id, allowance=0, day=day)


def test_mrr_adds_the_plans_of_active_paying_merchants(merchant_a, merchant_b) -> None:
    before = mrr()
    Merchant.objects.filter(pk=merchant_a.merchant.pk).update(plan=Plan.objects.get(code="growth"))
    Merchant.objects.filter(pk=merchant_b.merchant.pk).update(
        plan=Plan.objects.get(code="starter"), status=Merchant.Status.SUSPENDED
    )
    a_was = Plan.objects.get(code="trial").price
    assert mrr() == before - a_was + Decimal("35.000")
