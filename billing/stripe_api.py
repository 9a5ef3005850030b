"""Every call this platform makes to Stripe, through the official SDK.

One client from settings (STRIPE_SECRET_KEY, STRIPE_API_BASE: the tests point it at a
local stub), Stripe's refusals turned into DomainError("billing_failed") with a
message a person can read, an idempotency key on every create (a retry, by the SDK or
by a person clicking twice, never makes two of anything), and plain dicts out, so that
callers and `billing.services.subscription_apply` never handle SDK objects.

No call here is made inside a database transaction: callers call Stripe first, then
store what it answered.
"""

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import stripe
from django.conf import settings
from django.utils.translation import gettext as _

from loyalty.errors import DomainError

log = logging.getLogger(__name__)

# Network failures and Stripe's 409/5xx answers are retried by the SDK with the same
# idempotency key.
NETWORK_RETRIES = 2


def billing_configured() -> bool:
    """Online billing runs when the platform has a Stripe secret key; without one the
    platform team sets each merchant's plan (demo mode)."""
    return bool(settings.STRIPE_SECRET_KEY)


def not_configured() -> DomainError:
    return DomainError(
        "billing_not_configured",
        _("Online billing is not configured on this platform; the platform team sets your plan."),
    )


def _client() -> stripe.StripeClient:
    if not billing_configured():
        raise not_configured()
    return stripe.StripeClient(
        settings.STRIPE_SECRET_KEY,
        base_addresses={"api": settings.STRIPE_API_BASE},
        max_network_retries=NETWORK_RETRIES,
    )


@contextmanager
def _calling(what: str) -> Iterator[None]:
    try:
        yield
    except stripe.APIConnectionError as error:
        log.warning("Stripe %s: no connection: %s", what, error)
        raise DomainError(
            "billing_failed",
            _("The payment provider could not be reached. Try again in a moment."),
        ) from error
    except stripe.StripeError as error:
        log.warning(
            "Stripe %s refused (%s, %s): %s",
            *(what, error.http_status, error.code, error.user_message),
        )
        reason = error.user_message or error.code or str(error.http_status or "")
        raise DomainError(
            "billing_failed",
            _("The payment provider refused the request (%(reason)s). Try again in a moment.")
            % {"reason": reason},
            fields={"stripe_code": error.code or ""},
        ) from error


def _create_options(idempotency_key: str) -> Any:
    return {"idempotency_key": idempotency_key}


def _params(params: dict[str, Any]) -> Any:
    """The SDK types each call's parameters as a TypedDict; ours are plain dicts."""
    return params


def product_create(*, params: dict[str, Any], idempotency_key: str) -> dict[str, Any]:
    with _calling("product create"):
        return (
            _client()
            .v1.products.create(_params(params), _create_options(idempotency_key))
            .to_dict()
        )


def price_create(*, params: dict[str, Any], idempotency_key: str) -> dict[str, Any]:
    with _calling("price create"):
        return (
            _client().v1.prices.create(_params(params), _create_options(idempotency_key)).to_dict()
        )


def price_update(price_id: str, *, params: dict[str, Any]) -> dict[str, Any]:
    with _calling("price update"):
        return _client().v1.prices.update(price_id, _params(params)).to_dict()


def customer_create(*, params: dict[str, Any], idempotency_key: str) -> dict[str, Any]:
    with _calling("customer create"):
        return (
            _client()
            .v1.customers.create(_params(params), _create_options(idempotency_key))
            .to_dict()
        )


def checkout_session_create(*, params: dict[str, Any], idempotency_key: str) -> dict[str, Any]:
    with _calling("checkout session create"):
        return (
            _client()
            .v1.checkout.sessions.create(_params(params), _create_options(idempotency_key))
            .to_dict()
        )


def checkout_session_retrieve(session_id: str) -> dict[str, Any]:
    """The Checkout Session with its subscription expanded (a dict, or None when the
    session made none)."""
    with _calling("checkout session retrieve"):
        return (
            _client()
            .v1.checkout.sessions.retrieve(session_id, {"expand": ["subscription"]})
            .to_dict()
        )


def portal_session_create(*, params: dict[str, Any], idempotency_key: str) -> dict[str, Any]:
    with _calling("portal session create"):
        return (
            _client()
            .v1.billing_portal.sessions.create(_params(params), _create_options(idempotency_key))
            .to_dict()
        )


def subscription_retrieve(subscription_id: str) -> dict[str, Any]:
    with _calling("subscription retrieve"):
        return _client().v1.subscriptions.retrieve(subscription_id).to_dict()


def invoice_retrieve(invoice_id: str) -> dict[str, Any]:
    with _calling("invoice retrieve"):
        return _client().v1.invoices.retrieve(invoice_id).to_dict()


def subscription_fetch(subscription_id: str) -> dict[str, Any]:
    """The subscription for the webhook worker: Stripe's errors are raised as they
    are, so the task retries on them and a 404 says the subscription is gone."""
    return _client().v1.subscriptions.retrieve(subscription_id).to_dict()
