"""The paid plans' Stripe Prices kept in step with the plans, through the official SDK
against the local fake Stripe: amounts in fils, a new Price and the old one archived
when a price changes, and nothing sent when nothing changed."""

from decimal import Decimal

import pytest
from django.core.management import call_command
from django.test import override_settings

from billing.models import Plan
from billing.stripe_prices import plan_prices_sync
from loyalty.errors import DomainError
from tests.stripe_stub import fake_stripe
from tests.stub_server import stub_server

pytestmark = pytest.mark.django_db


def test_each_paid_plan_gets_a_product_and_a_monthly_price_in_fils() -> None:
    with fake_stripe() as stripe:
        report = plan_prices_sync()

    products = stripe.sent("POST", "/v1/products")
    assert products == [
        {"name": "Starter", "metadata": {"plan": "starter"}},
        {"name": "Growth", "metadata": {"plan": "growth"}},
        {"name": "Pro", "metadata": {"plan": "pro"}},
    ]
    prices = stripe.sent("POST", "/v1/prices")
    growth = Plan.objects.get(code="growth")
    assert prices[1] == {
        "product": growth.stripe_product_id,
        "unit_amount": "35000",  # 35.000 JOD in fils
        "currency": "jod",
        "recurring": {"interval": "month", "interval_count": "1"},
        "lookup_key": "plan_growth_monthly",
        "transfer_lookup_key": "true",
        "nickname": "Growth",
        "metadata": {"plan": "growth"},
    }
    assert [p["unit_amount"] for p in prices] == ["15000", "35000", "75000"]
    # Every create carries an idempotency key made of the plan, product, amount, currency.
    creates = [r for r in stripe.requests if r.method == "POST"]
    assert [r.headers.get("Idempotency-Key") for r in creates] == [
        "plan-product-starter",
        f"plan-price-starter-{Plan.objects.get(code='starter').stripe_product_id}-15000-jod",
        "plan-product-growth",
        f"plan-price-growth-{growth.stripe_product_id}-35000-jod",
        "plan-product-pro",
        f"plan-price-pro-{Plan.objects.get(code='pro').stripe_product_id}-75000-jod",
    ]
    assert creates[0].headers["Authorization"] == "Bearer sk_test_stub"
    assert (growth.stripe_price_id, growth.stripe_price_amount, growth.stripe_price_currency) == (
        list(stripe.prices)[1],
        35000,
        "JOD",
    )
    assert report.created == [
        "Starter: 15.000\xa0JOD",
        "Growth: 35.000\xa0JOD",
        "Pro: 75.000\xa0JOD",
    ]
    # The trial plan is never sold.
    assert Plan.objects.get(code="trial").stripe_price_id == ""


def test_a_second_run_sends_nothing() -> None:
    with fake_stripe() as stripe:
        plan_prices_sync()
        sent = len(stripe.requests)
        report = plan_prices_sync()
        assert len(stripe.requests) == sent == 6
    assert report.changed is False
    assert len(report.unchanged) == 3


def test_a_changed_price_gets_a_new_price_and_the_old_one_is_archived() -> None:
    with fake_stripe() as stripe:
        plan_prices_sync()
        growth = Plan.objects.get(code="growth")
        old_price = growth.stripe_price_id
        growth.price = Decimal("39.500")
        growth.save()
        before = len(stripe.requests)
        report = plan_prices_sync()
        new = stripe.requests[before:]

    growth.refresh_from_db()
    assert [(r.method, r.path) for r in new] == [
        ("POST", "/v1/prices"),
        ("POST", f"/v1/prices/{old_price}"),
    ]
    assert stripe.sent("POST", "/v1/prices")[-1]["unit_amount"] == "39500"
    assert stripe.sent("POST", f"/v1/prices/{old_price}") == [{"active": "false"}]
    assert growth.stripe_price_id != old_price
    assert (growth.stripe_price_amount, growth.stripe_price_currency) == (39500, "JOD")
    assert stripe.prices[old_price]["active"] is False
    assert report.replaced == ["Growth: 39.500\xa0JOD"]


def test_a_retried_sync_reuses_the_price_stripe_made() -> None:
    """The Price was made but the answer was lost: the same key gets the same Price."""
    with fake_stripe() as stripe:
        plan_prices_sync()
        Plan.objects.filter(code="growth").update(stripe_price_id="", stripe_price_amount=None)
        plan_prices_sync()
    assert len(stripe.prices) == 3


@override_settings(BILLING_CURRENCY="USD")
def test_usd_billing_uses_the_usd_price_and_skips_a_plan_without_one() -> None:
    Plan.objects.filter(code="growth").update(price_usd=Decimal("49.00"))
    with fake_stripe() as stripe:
        report = plan_prices_sync()
    [price] = stripe.sent("POST", "/v1/prices")
    assert (price["unit_amount"], price["currency"]) == ("4900", "usd")
    assert report.skipped == ["Starter: no price in USD", "Pro: no price in USD"]


def test_stripe_refusing_is_a_billing_failed_error() -> None:
    refusal = {"error": {"type": "invalid_request_error", "message": "Invalid currency: jod"}}
    with (
        stub_server(responder=lambda r: (400, refusal, {})) as stub,
        override_settings(STRIPE_SECRET_KEY="sk_test_stub", STRIPE_API_BASE=stub.url),
        pytest.raises(DomainError) as refused,
    ):
        plan_prices_sync()
    assert refused.value.code == "billing_failed"
    assert refused.value.status == 502
    assert "Invalid currency: jod" in refused.value.message


def test_the_command_reports_what_changed(capsys) -> None:
    with fake_stripe():
        call_command("billing_prices_sync")
        call_command("billing_prices_sync")
    out = capsys.readouterr().out.splitlines()
    assert out[:3] == [
        "created   Starter: 15.000\xa0JOD",
        "created   Growth: 35.000\xa0JOD",
        "created   Pro: 75.000\xa0JOD",
    ]
    assert "unchanged Growth: 35.000\xa0JOD" in out
