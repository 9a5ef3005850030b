"""Calls to Stripe's API through the official SDK, at STRIPE_API_BASE (the tests point
it at a local stub). Each returns Stripe's object as a plain dict."""

from typing import Any

import stripe
from django.conf import settings


def stripe_client() -> stripe.StripeClient:
    return stripe.StripeClient(
        settings.STRIPE_SECRET_KEY, base_addresses={"api": settings.STRIPE_API_BASE}
    )


def subscription_retrieve(subscription_id: str) -> dict[str, Any]:
    return stripe_client().v1.subscriptions.retrieve(subscription_id).to_dict()
