"""Paying online: the owner chooses a plan, Stripe Checkout is opened with the right
price, customer and addresses, and the return page makes the dashboard active at once;
plan changes, card and invoices through the Customer Portal. Stripe is the official
SDK against the local fake (tests/stripe_stub.py); the clock is frozen."""

import datetime
from collections.abc import Iterator
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth.models import User
from django_tenants.utils import schema_context

from billing.models import Plan, StripeCustomer, Subscription
from billing.stripe_prices import plan_prices_sync
from tenants.models import Merchant
from tenants.roles import Role
from tenants.services import staff_create
from tests.api import api, customer_sign_in, staff_sign_in
from tests.fixtures import PASSWORD, HostClient
from tests.stripe_stub import FakeStripe, fake_stripe

pytestmark = pytest.mark.django_db
AMMAN = ZoneInfo("Asia/Amman")
NOW = datetime.datetime(2026, 12, 1, 12, 0, tzinfo=AMMAN)
TRIAL_END = NOW + datetime.timedelta(days=10)
ATTEMPT = "0123456789abcdef0123456789abcdef"
BASE = "http://alpha-cafe.localhost:8000"


@pytest.fixture
def stripe() -> Iterator[FakeStripe]:
    with time_machine.travel(NOW, tick=False), fake_stripe(now=int(NOW.timestamp())) as fake:
        plan_prices_sync()
        fake.requests.clear()
        yield fake


def trialing(merchant_a, ends: datetime.datetime = TRIAL_END) -> Merchant:
    merchant = Merchant.objects.get(pk=merchant_a.merchant.pk)
    merchant.plan = Plan.objects.get(code="trial")
    merchant.billing_status = Merchant.Billing.TRIALING
    merchant.trial_ends_at = ends
    merchant.save()
    return merchant


def owner(merchant_a, language: str = "en") -> HostClient:
    client = HostClient(merchant_a.host, HTTP_ACCEPT_LANGUAGE=language)
    with schema_context(merchant_a.schema):
        client.force_login(User.objects.get(email=merchant_a.owner_email))
    return client


def choose(client: HostClient, plan: str, attempt: str = ATTEMPT):
    return client.post("/admin/subscription/choose/", {"plan": plan, "attempt": attempt})


def test_choosing_a_plan_opens_checkout_with_the_price_customer_and_trial(
    merchant_a, stripe
) -> None:
    merchant = trialing(merchant_a)
    response = choose(owner(merchant_a), "growth")

    [session_id] = stripe.sessions
    assert response.status_code == 303
    assert response["Location"] == f"{stripe.url}/pay/{session_id}"
    [customer] = stripe.sent("POST", "/v1/customers")
    assert customer == {
        "email": "owner@alpha-cafe.test",
        "name": "Alpha Café",
        "preferred_locales": ["en"],
        "metadata": {
            "merchant_id": str(merchant.pk),
            "merchant_slug": "alpha-cafe",
            "schema": merchant.schema_name,
        },
    }
    [customer_request, session_request] = stripe.requests
    assert customer_request.headers["Idempotency-Key"] == (
        f"customer-{merchant.schema_name}-{merchant.pk}-{int(merchant.created_at.timestamp())}"
    )
    growth = Plan.objects.get(code="growth")
    [customer_id] = stripe.customers
    assert stripe.sent("POST", "/v1/checkout/sessions") == [
        {
            "mode": "subscription",
            "customer": customer_id,
            "line_items": [{"price": growth.stripe_price_id, "quantity": "1"}],
            "client_reference_id": str(merchant.pk),
            "metadata": {"merchant_id": str(merchant.pk), "plan": "growth"},
            "subscription_data": {
                "metadata": {"merchant_id": str(merchant.pk), "plan": "growth"},
                # The trial's end: paying early costs no trial day.
                "trial_end": str(int(TRIAL_END.timestamp())),
            },
            "locale": "en",
            "success_url": f"{BASE}/admin/subscription/done/?session_id={{CHECKOUT_SESSION_ID}}",
            "cancel_url": f"{BASE}/admin/subscription/",
        }
    ]
    assert session_request.headers["Idempotency-Key"] == (
        f"checkout-{merchant.pk}-growth-{growth.stripe_price_id}-{ATTEMPT}"
    )
    assert StripeCustomer.objects.get(merchant=merchant).customer_id == customer_id


def test_the_return_page_makes_the_dashboard_active_at_once(merchant_a, stripe) -> None:
    trialing(merchant_a)
    client = owner(merchant_a)
    choose(client, "growth")
    [session_id] = stripe.sessions
    success_url = stripe.pay(session_id)
    assert success_url == f"{BASE}/admin/subscription/done/?session_id={session_id}"

    response = client.get(success_url.removeprefix(BASE))

    assert response.status_code == 302
    assert response["Location"] == "/admin/subscription/"
    assert stripe.requests[-1].path == (
        f"/v1/checkout/sessions/{session_id}?expand%5B0%5D=subscription"
    )
    merchant = Merchant.objects.get(pk=merchant_a.merchant.pk)
    assert merchant.billing_status == Merchant.Billing.ACTIVE
    assert merchant.plan == Plan.objects.get(code="growth")
    stored = Subscription.objects.get(merchant=merchant)
    assert (stored.status, stored.plan, stored.monthly_amount, stored.currency) == (
        "trialing",
        merchant.plan,
        35000,
        "JOD",
    )
    assert stored.current_period_end == TRIAL_END
    page = client.get("/admin/subscription/").content.decode()
    assert "Thank you: you are on the Growth plan." in page
    assert 'data-testid="billing-banner"' not in page
    assert "<bdi>35.000\xa0JOD</bdi> a month." in page
    assert "Next payment on 11 December 2026." in page


def test_a_double_click_makes_one_checkout_session(merchant_a, stripe) -> None:
    trialing(merchant_a)
    client = owner(merchant_a)
    first, second = choose(client, "growth"), choose(client, "growth")
    assert first["Location"] == second["Location"]
    assert len(stripe.sessions) == 1
    assert len(stripe.customers) == 1
    # The customer is known after the first: the second click asks only for a session.
    assert [r.path for r in stripe.requests] == [
        "/v1/customers",
        "/v1/checkout/sessions",
        "/v1/checkout/sessions",
    ]


def test_a_trial_ending_within_two_days_is_not_carried(merchant_a, stripe) -> None:
    trialing(merchant_a, ends=NOW + datetime.timedelta(days=1, hours=20))
    choose(owner(merchant_a), "starter")
    [session] = stripe.sent("POST", "/v1/checkout/sessions")
    assert "trial_end" not in session["subscription_data"]


def test_an_arabic_owner_gets_stripes_own_language_choice(merchant_a, stripe) -> None:
    trialing(merchant_a)
    choose(owner(merchant_a, "ar"), "growth")
    [customer] = stripe.sent("POST", "/v1/customers")
    assert customer["preferred_locales"] == ["ar", "en"]
    # Checkout has no Arabic: the browser's language among those Stripe has.
    assert stripe.sent("POST", "/v1/checkout/sessions")[0]["locale"] == "auto"


def test_an_unpaid_session_changes_nothing(merchant_a, stripe) -> None:
    trialing(merchant_a)
    client = owner(merchant_a)
    choose(client, "growth")
    [session_id] = stripe.sessions
    client.get(f"/admin/subscription/done/?session_id={session_id}")
    merchant = Merchant.objects.get(pk=merchant_a.merchant.pk)
    assert (merchant.billing_status, merchant.plan.code) == ("trialing", "trial")
    assert not Subscription.objects.filter(merchant=merchant).exists()
    page = client.get("/admin/subscription/").content.decode()
    assert "Stripe is still confirming your payment" in page


def test_another_merchants_session_is_refused(merchant_a, merchant_b, stripe) -> None:
    trialing(merchant_a)
    choose(owner(merchant_a), "growth")
    [session_id] = stripe.sessions
    stripe.pay(session_id)
    client = owner(merchant_b)
    response = client.get(f"/admin/subscription/done/?session_id={session_id}")
    assert response["Location"] == "/admin/subscription/"
    assert not Subscription.objects.filter(
        merchant__in=[merchant_a.merchant.pk, merchant_b.merchant.pk]
    ).exists()
    assert (
        "This payment is not this shop&#x27;s." in client.get(response["Location"]).content.decode()
    )


def test_a_paying_merchant_changes_plan_in_the_portal(merchant_a, stripe) -> None:
    trialing(merchant_a)
    client = owner(merchant_a)
    choose(client, "growth")
    [session_id] = stripe.sessions
    client.get(stripe.pay(session_id).removeprefix(BASE))
    [subscription_id] = stripe.subscriptions
    item_id = stripe.subscriptions[subscription_id]["items"]["data"][0]["id"]
    pro = Plan.objects.get(code="pro")

    response = choose(client, "pro", attempt="f" * 32)

    [portal_id] = stripe.portals
    assert response.status_code == 303
    assert response["Location"] == f"{stripe.url}/portal/{portal_id}"
    [portal] = stripe.sent("POST", "/v1/billing_portal/sessions")
    assert portal == {
        "customer": next(iter(stripe.customers)),
        "return_url": f"{BASE}/admin/subscription/",
        "locale": "en",
        "flow_data": {
            "type": "subscription_update_confirm",
            "subscription_update_confirm": {
                "subscription": subscription_id,
                "items": [{"id": item_id, "price": pro.stripe_price_id, "quantity": "1"}],
            },
            "after_completion": {
                "type": "redirect",
                "redirect": {"return_url": f"{BASE}/admin/subscription/changed/"},
            },
        },
    }
    assert (
        stripe.requests[-1]
        .headers["Idempotency-Key"]
        .startswith(f"plan-change-{merchant_a.merchant.pk}-pro-")
    )
    assert len(stripe.sessions) == 1  # no second Checkout, no second subscription

    # The owner confirms on Stripe's page and comes back.
    item = stripe.subscriptions[subscription_id]["items"]["data"][0]
    item["price"] = stripe.prices[pro.stripe_price_id]
    client.get("/admin/subscription/changed/")
    merchant = Merchant.objects.get(pk=merchant_a.merchant.pk)
    assert merchant.plan.code == "pro"
    assert Subscription.objects.get(merchant=merchant).monthly_amount == 75000


def test_manage_card_and_invoices_opens_the_portal(merchant_a, stripe) -> None:
    StripeCustomer.objects.create(merchant_id=merchant_a.merchant.pk, customer_id="cus_known")
    response = owner(merchant_a).post("/admin/subscription/portal/")
    [portal_id] = stripe.portals
    assert (response.status_code, response["Location"]) == (303, f"{stripe.url}/portal/{portal_id}")
    assert stripe.sent("POST", "/v1/billing_portal/sessions") == [
        {"customer": "cus_known", "return_url": f"{BASE}/admin/subscription/", "locale": "en"}
    ]
    assert stripe.requests[0].headers["Idempotency-Key"].startswith("portal-")


def test_only_the_owner_pays(merchant_a, stripe) -> None:
    trialing(merchant_a)
    with schema_context(merchant_a.schema):
        staff_create(email="boss@alpha-cafe.test", role=Role.MANAGER, password=PASSWORD)
        client = HostClient(merchant_a.host)
        client.force_login(User.objects.get(email="boss@alpha-cafe.test"))
    assert choose(client, "growth").status_code == 403
    assert client.post("/admin/subscription/portal/").status_code == 403
    assert client.get("/admin/subscription/done/?session_id=cs_x").status_code == 403
    assert stripe.requests == []


def test_choosing_needs_a_post(merchant_a, stripe) -> None:
    assert owner(merchant_a).get("/admin/subscription/choose/?plan=growth").status_code == 405
    assert stripe.requests == []


def test_a_stripe_refusal_is_shown_and_nothing_is_stored(merchant_a, stripe) -> None:
    trialing(merchant_a)
    Plan.objects.filter(code="growth").update(stripe_price_id="price_gone")
    client = owner(merchant_a)
    response = choose(client, "growth")
    assert response["Location"] == "/admin/subscription/"
    page = client.get("/admin/subscription/").content.decode()
    assert "The payment provider refused the request" in page
    merchant = Merchant.objects.get(pk=merchant_a.merchant.pk)
    assert merchant.billing_status == Merchant.Billing.TRIALING


def test_a_lapsed_trial_pays_through_checkout_and_earns_again_at_once(
    merchant_a, programme, stripe
) -> None:
    customer = api(merchant_a.host, customer_sign_in("+962799992101")["access"])
    cashier = api(
        merchant_a.host, staff_sign_in(merchant_a.host, programme.cashier.email, "x")["access"]
    )
    member_id = customer.post("/api/v1/join", {}, format="json").json()["id"]
    earn = {"member_id": member_id, "amount": "30.000"}
    assert cashier.post("/api/v1/staff/earn", earn, format="json").status_code == 201
    merchant = trialing(merchant_a, ends=NOW - datetime.timedelta(days=3))
    assert merchant.is_read_only
    refused = cashier.post("/api/v1/staff/earn", earn, format="json")
    assert refused.json()["error"]["code"] == "merchant_inactive"

    client = owner(merchant_a)
    assert choose(client, "starter").status_code == 303
    [session] = stripe.sent("POST", "/v1/checkout/sessions")
    assert "trial_end" not in session["subscription_data"]  # the trial is over
    [session_id] = stripe.sessions
    client.get(stripe.pay(session_id).removeprefix(BASE))

    merchant.refresh_from_db()
    assert merchant.plan is not None
    assert (merchant.billing_state(), merchant.plan.code) == ("active", "starter")
    again = cashier.post("/api/v1/staff/earn", earn, format="json")
    assert again.status_code == 201
    assert again.json()["entry"]["balance_after"] == 600
    assert customer.get("/api/v1/membership").json()["current_points"] == 600
