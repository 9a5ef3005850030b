"""What the webhook re-fetches from Stripe comes back as plain dicts; no key is demo mode."""

import pytest
from django.test import override_settings

from billing import stripe_api
from loyalty.errors import DomainError
from tests.stripe_stub import fake_stripe

INVOICE = {
    "id": "in_test1",
    "object": "invoice",
    "status": "open",
    "currency": "jod",
    "amount_due": 35000,
    "lines": {"object": "list", "data": [{"id": "il_1", "object": "line_item", "amount": 35000}]},
}


def test_an_invoice_and_a_subscription_come_back_as_plain_dicts() -> None:
    with fake_stripe() as stripe:
        stripe.invoices["in_test1"] = INVOICE
        stripe.subscriptions["sub_test1"] = {"id": "sub_test1", "object": "subscription"}
        invoice = stripe_api.invoice_retrieve("in_test1")
        subscription = stripe_api.subscription_retrieve("sub_test1")
    assert invoice == INVOICE
    assert type(invoice) is dict and type(invoice["lines"]["data"][0]) is dict
    assert subscription == {"id": "sub_test1", "object": "subscription"}
    assert [(r.method, r.path) for r in stripe.requests] == [
        ("GET", "/v1/invoices/in_test1"),
        ("GET", "/v1/subscriptions/sub_test1"),
    ]


def test_an_unknown_object_is_billing_failed() -> None:
    with fake_stripe(), pytest.raises(DomainError) as refused:
        stripe_api.invoice_retrieve("in_missing")
    assert refused.value.code == "billing_failed"


@override_settings(STRIPE_SECRET_KEY="")
def test_without_a_key_billing_is_not_configured() -> None:
    assert stripe_api.billing_configured() is False
    with pytest.raises(DomainError) as refused:
        stripe_api.subscription_retrieve("sub_test1")
    assert (refused.value.code, refused.value.status) == ("billing_not_configured", 503)
