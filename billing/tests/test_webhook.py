"""Stripe's webhook: signed exactly as Stripe signs, posted to the root domain, processed
by the Celery task (eagerly in this process, and once on a real worker), with Stripe's
API played by a local stub that the official SDK calls to re-read the subscription."""

import datetime
import json
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import stripe
import time_machine
from django.contrib.auth.models import User
from django.test import override_settings
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from billing.events import stripe_event_process
from billing.models import Invoice, Plan, StripeCustomer, StripeEvent, Subscription
from loyalty.celery import app
from tenants.models import Merchant
from tests.fixtures import HostClient, worker_start
from tests.stub_server import Recorded, Stub, stub_server
from tests.threads import committed

pytestmark = pytest.mark.django_db

SECRET = "whsec_test_0123456789abcdef"
KEY = "sk_test_webhook"
NOW = datetime.datetime(2026, 12, 1, 9, 0, tzinfo=datetime.UTC)
T0 = int(NOW.timestamp())
URL = "/stripe/webhook/"


class StripeStub:
    """Stripe's API as far as the webhook needs it: the subscriptions as they are now
    (a missing one answers 404, as Stripe does)."""

    def __init__(self, stub: Stub) -> None:
        self.stub = stub
        self.subscriptions: dict[str, dict[str, Any]] = {}
        self.failing = False

    def respond(self, request: Recorded) -> tuple[int, Any, dict[str, str]]:
        if self.failing:
            error = {"type": "api_error", "message": "Something went wrong on Stripe's end."}
            return 500, {"error": error}, {"Stripe-Should-Retry": "false"}
        found = self.subscriptions.get(request.path.rsplit("/", 1)[-1])
        if request.method == "GET" and found is not None:
            return 200, found, {}
        error = {"type": "invalid_request_error", "code": "resource_missing", "message": "No such"}
        return 404, {"error": error}, {}

    @property
    def gets(self) -> list[str]:
        return [f"{r.method} {r.path}" for r in self.stub.requests]


@pytest.fixture
def stripe_api() -> Iterator[StripeStub]:
    holder: list[StripeStub] = []
    with stub_server(responder=lambda request: holder[0].respond(request)) as stub:
        holder.append(StripeStub(stub))
        with override_settings(
            STRIPE_API_BASE=stub.url, STRIPE_SECRET_KEY=KEY, STRIPE_WEBHOOK_SECRET=SECRET
        ):
            yield holder[0]


@pytest.fixture
def alpha(merchant_a) -> Merchant:
    """Merchant A, paying for Pro, known to Stripe as cus_alpha."""
    merchant = Merchant.objects.get(pk=merchant_a.merchant.pk)
    StripeCustomer.objects.create(customer_id="cus_alpha", merchant=merchant)
    return merchant


def price(plan_code: str = "growth", amount: int = 35000) -> dict[str, Any]:
    return {
        "id": f"price_{plan_code}",
        "object": "price",
        "unit_amount": amount,
        "currency": "jod",
        "recurring": {"interval": "month", "interval_count": 1},
        "metadata": {"plan": plan_code},
    }


def subscription(status: str, *, sid: str = "sub_alpha", customer: str = "cus_alpha") -> dict:
    return {
        "id": sid,
        "object": "subscription",
        "customer": customer,
        "status": status,
        "cancel_at_period_end": False,
        "start_date": T0 - 86400,
        "created": T0 - 86400,
        "ended_at": T0 if status == "canceled" else None,
        "metadata": {},
        "items": {
            "object": "list",
            "data": [
                {
                    "id": "si_1",
                    "object": "subscription_item",
                    "quantity": 1,
                    "current_period_end": T0 + 30 * 86400,
                    "price": price(),
                }
            ],
        },
    }


def invoice(iid: str, status: str, *, created: int, attempts: int = 1) -> dict[str, Any]:
    return {
        "id": iid,
        "object": "invoice",
        "customer": "cus_alpha",
        "number": f"N-{iid}",
        "status": status,
        "currency": "jod",
        "amount_due": 35000,
        "amount_paid": 35000 if status == "paid" else 0,
        "attempt_count": attempts,
        "created": created,
        "period_start": created - 30 * 86400,
        "period_end": created,
        "status_transitions": {"paid_at": created + 60 if status == "paid" else None},
        "hosted_invoice_url": f"https://invoice.stripe.com/i/{iid}",
        "parent": {"subscription_details": {"subscription": "sub_alpha"}},
    }


def event(kind: str, obj: dict[str, Any], *, created: int = T0, eid: str = "") -> dict[str, Any]:
    return {
        "id": eid or f"evt_{uuid.uuid4().hex[:16]}",
        "object": "event",
        "api_version": "2025-03-31.basil",
        "created": created,
        "type": kind,
        "livemode": False,
        "pending_webhooks": 1,
        "data": {"object": obj},
    }


def signed(payload: str, *, secret: str = SECRET, at: int | None = None) -> str:
    """The Stripe-Signature header as Stripe writes it: t=<ts>,v1=<HMAC-SHA256 of
    "<ts>.<payload>">."""
    at = int(time.time()) if at is None else at
    signature = stripe.WebhookSignature._compute_signature(f"{at}.{payload}", secret)
    return f"t={at},v1={signature}"


def send(data: dict[str, Any], *, header: str | None = None) -> Any:
    """POST the event to the root domain, signed unless `header` is given."""
    payload = json.dumps(data)
    return HostClient("localhost").post(
        URL,
        payload,
        content_type="application/json",
        headers={"Stripe-Signature": signed(payload) if header is None else header},
    )


def post(
    captured: Callable[..., Any],
    data: dict[str, Any],
    *,
    header: str | None = None,
    queued: int | None = None,
) -> Any:
    """POST the event to the root domain and run what it queued on commit; `queued`
    asserts how many tasks it queued."""
    with captured(execute=True) as callbacks:
        response = send(data, header=header)
    if queued is not None:
        assert len(queueing(callbacks)) == queued
    return response


def queueing(callbacks: list[Callable[[], Any]]) -> list[Callable[[], Any]]:
    """The on-commit hooks that queue the task (saving a merchant adds its own)."""
    return [c for c in callbacks if c.__qualname__.startswith("stripe_event_receive.")]


def billing(merchant: Merchant) -> tuple[str, Any, Any, str, str]:
    """The merchant's billing state as stored: status, the two dates, reason, plan."""
    merchant.refresh_from_db()
    return (
        merchant.billing_status,
        merchant.past_due_since,
        merchant.read_only_since,
        merchant.read_only_reason,
        merchant.plan.code if merchant.plan else "",
    )


@time_machine.travel(NOW, tick=False)
def test_a_past_due_subscription_puts_the_merchant_in_its_grace_period(
    alpha, stripe_api, eager, django_capture_on_commit_callbacks
) -> None:
    stripe_api.subscriptions["sub_alpha"] = subscription("past_due")
    data = event("customer.subscription.updated", subscription("past_due"))

    response = post(django_capture_on_commit_callbacks, data, queued=1)

    assert response.status_code == 200
    assert response.json() == {"received": True}
    assert billing(alpha) == ("past_due", NOW, None, "", "growth")
    assert stripe_api.gets == ["GET /v1/subscriptions/sub_alpha"]
    assert stripe_api.stub.requests[0].headers["Authorization"] == f"Bearer {KEY}"
    stored = StripeEvent.objects.get()
    assert (stored.event_id, stored.type, stored.merchant_id) == (
        data["id"],
        "customer.subscription.updated",
        alpha.pk,
    )
    assert (stored.processed_at, stored.error, stored.payload) == (NOW, "", data)
    mirror = Subscription.objects.get(merchant=alpha)
    assert (mirror.status, mirror.plan_id, mirror.monthly_amount, mirror.currency) == (
        "past_due",
        Plan.objects.get(code="growth").pk,
        35000,
        "JOD",
    )


@time_machine.travel(NOW, tick=False)
def test_a_deleted_subscription_stripe_no_longer_has_makes_the_merchant_read_only(
    alpha, stripe_api, eager, django_capture_on_commit_callbacks
) -> None:
    created = T0 - 120
    data = event("customer.subscription.deleted", subscription("canceled"), created=created)

    assert post(django_capture_on_commit_callbacks, data).status_code == 200

    # Stripe answered 404: the event's own copy, as of the event.
    assert stripe_api.gets == ["GET /v1/subscriptions/sub_alpha"]
    at = datetime.datetime.fromtimestamp(created, tz=datetime.UTC)
    assert billing(alpha) == ("read_only", None, at, "canceled", "pro")
    assert Subscription.objects.get(merchant=alpha).stripe_seen_at == at


@time_machine.travel(NOW, tick=False)
def test_a_finished_checkout_records_the_customer_and_the_paid_plan(
    merchant_b, stripe_api, eager, django_capture_on_commit_callbacks
) -> None:
    merchant = Merchant.objects.get(pk=merchant_b.merchant.pk)
    merchant.plan = Plan.objects.get(code="trial")
    merchant.billing_status = Merchant.Billing.READ_ONLY
    merchant.read_only_since = NOW - datetime.timedelta(days=2)
    merchant.read_only_reason = "trial_ended"
    merchant.save()
    Plan.objects.filter(code="growth").update(stripe_price_id="price_growth")
    stripe_api.subscriptions["sub_beta"] = subscription("active", sid="sub_beta", customer="cus_b")
    session = {
        "id": "cs_test_1",
        "object": "checkout.session",
        "mode": "subscription",
        "client_reference_id": str(merchant.pk),
        "customer": "cus_b",
        "subscription": "sub_beta",
        "metadata": {"merchant_id": str(merchant.pk)},
    }

    post(django_capture_on_commit_callbacks, event("checkout.session.completed", session))

    assert StripeCustomer.objects.get(merchant=merchant).customer_id == "cus_b"
    assert billing(merchant) == ("active", None, None, "", "growth")
    assert stripe_api.gets == ["GET /v1/subscriptions/sub_beta"]
    assert Subscription.objects.get(merchant=merchant).status == "active"


@pytest.mark.parametrize(
    "header",
    [
        "",
        "t=1,v1=nonsense",
        "wrong secret",
        "tampered body",
    ],
)
def test_a_bad_signature_is_refused_and_nothing_is_stored(
    alpha, stripe_api, eager, django_capture_on_commit_callbacks, header
) -> None:
    data = event("customer.subscription.deleted", subscription("canceled"))
    payload = json.dumps(data)
    if header == "wrong secret":
        header = signed(payload, secret="whsec_someone_else")
    elif header == "tampered body":
        header = signed(payload.replace("canceled", "active"))

    response = post(django_capture_on_commit_callbacks, data, header=header, queued=0)

    assert response.status_code == 400
    assert response.json() == {
        "error": {
            "code": "webhook_signature_invalid",
            "message": "The Stripe-Signature header is missing or does not match the body.",
        }
    }
    assert StripeEvent.objects.count() == 0
    assert stripe_api.gets == []
    assert billing(alpha) == ("active", None, None, "", "pro")


@time_machine.travel(NOW, tick=False)
def test_a_signature_older_than_the_tolerance_is_refused(
    alpha, stripe_api, eager, django_capture_on_commit_callbacks
) -> None:
    data = event("customer.subscription.deleted", subscription("canceled"))
    header = signed(json.dumps(data), at=T0 - 301)

    response = post(django_capture_on_commit_callbacks, data, header=header, queued=0)

    assert response.status_code == 400
    assert response.json()["error"] == {
        "code": "webhook_signature_invalid",
        "message": "The signature is too old (STRIPE_WEBHOOK_TOLERANCE).",
    }
    assert StripeEvent.objects.count() == 0
    assert billing(alpha) == ("active", None, None, "", "pro")
    # Within the tolerance, the same event is taken.
    within = post(
        django_capture_on_commit_callbacks, data, header=signed(json.dumps(data), at=T0 - 299)
    )
    assert within.status_code == 200


def test_a_signed_body_that_is_no_event_is_refused(
    stripe_api, django_capture_on_commit_callbacks
) -> None:
    for body in ('{"id": "evt_1", "object": "charge"}', "[1, 2]"):
        with django_capture_on_commit_callbacks(execute=True):
            response = HostClient("localhost").post(
                URL,
                body,
                content_type="application/json",
                headers={"Stripe-Signature": signed(body)},
            )
        assert response.status_code == 400
        assert response.json()["error"]["code"] == "webhook_event_invalid"
    assert StripeEvent.objects.count() == 0


@pytest.mark.parametrize("missing", ["STRIPE_WEBHOOK_SECRET", "STRIPE_SECRET_KEY"])
def test_without_a_webhook_secret_or_api_key_billing_is_not_configured(stripe_api, missing) -> None:
    data = json.dumps(event("invoice.paid", invoice("in_1", "paid", created=T0)))
    with override_settings(**{missing: ""}):
        response = HostClient("localhost").post(
            URL, data, content_type="application/json", headers={"Stripe-Signature": signed(data)}
        )
    assert response.status_code == 503
    assert response.json() == {
        "error": {
            "code": "billing_not_configured",
            "message": "Online billing is not set up on this platform.",
        }
    }
    assert StripeEvent.objects.count() == 0


def test_only_posts_of_bounded_size_are_served(stripe_api) -> None:
    client = HostClient("localhost")
    got = client.get(URL)
    assert (got.status_code, got["Allow"], got.json()["error"]["code"]) == (
        405,
        "POST",
        "method_not_allowed",
    )
    big = json.dumps(event("invoice.paid", {"id": "in_big", "padding": "x" * 300_000}))
    refused = client.post(
        URL, big, content_type="application/json", headers={"Stripe-Signature": signed(big)}
    )
    assert (refused.status_code, refused.json()["error"]["code"]) == (413, "request_too_large")
    assert StripeEvent.objects.count() == 0


@time_machine.travel(NOW, tick=False)
def test_the_same_event_twice_has_one_effect(
    alpha, stripe_api, eager, django_capture_on_commit_callbacks
) -> None:
    stripe_api.subscriptions["sub_alpha"] = subscription("past_due")
    data = event("customer.subscription.updated", subscription("past_due"))

    first = post(django_capture_on_commit_callbacks, data, queued=1)
    with time_machine.travel(NOW + datetime.timedelta(minutes=1), tick=False):
        again = post(django_capture_on_commit_callbacks, data, queued=0)

    assert (first.status_code, again.status_code) == (200, 200)
    assert again.json() == {"received": True}
    assert StripeEvent.objects.filter(event_id=data["id"]).count() == 1
    assert StripeEvent.objects.get().processed_at == NOW
    assert stripe_api.gets == ["GET /v1/subscriptions/sub_alpha"]
    assert billing(alpha) == ("past_due", NOW, None, "", "growth")
    assert Subscription.objects.get(merchant=alpha).stripe_seen_at == NOW


def test_an_update_delivered_before_the_creation_leaves_stripes_latest_state(
    alpha, stripe_api, eager, django_capture_on_commit_callbacks
) -> None:
    alpha.billing_status = Merchant.Billing.TRIALING
    alpha.plan = Plan.objects.get(code="trial")
    alpha.save()
    # Stripe now: active on Growth. The creation said "incomplete" (first payment
    # under way), the update "active".
    stripe_api.subscriptions["sub_alpha"] = subscription("active")
    created = event("customer.subscription.created", subscription("incomplete"), created=T0)
    updated = event("customer.subscription.updated", subscription("active"), created=T0 + 5)

    with time_machine.travel(NOW + datetime.timedelta(seconds=10), tick=False):
        post(django_capture_on_commit_callbacks, updated, queued=1)
    with time_machine.travel(NOW + datetime.timedelta(seconds=20), tick=False):
        post(django_capture_on_commit_callbacks, created, queued=1)

    assert billing(alpha) == ("active", None, None, "", "growth")
    mirror = Subscription.objects.get(merchant=alpha)
    assert (mirror.status, mirror.stripe_seen_at) == (
        "active",
        NOW + datetime.timedelta(seconds=20),
    )
    assert stripe_api.gets == ["GET /v1/subscriptions/sub_alpha"] * 2
    assert StripeEvent.objects.filter(processed_at__isnull=False, error="").count() == 2


def test_a_late_failure_of_an_older_invoice_leaves_the_merchant_paying(
    alpha, stripe_api, eager, django_capture_on_commit_callbacks
) -> None:
    stripe_api.subscriptions["sub_alpha"] = subscription("active")
    older, newer = T0 - 30 * 86400, T0
    paid = event("invoice.paid", invoice("in_new", "paid", created=newer), created=newer + 60)
    failed = event(
        "invoice.payment_failed",
        invoice("in_old", "open", created=older, attempts=2),
        created=older + 3600,
    )

    with time_machine.travel(NOW + datetime.timedelta(minutes=2), tick=False):
        post(django_capture_on_commit_callbacks, paid, queued=1)
        post(django_capture_on_commit_callbacks, failed, queued=1)

    assert billing(alpha) == ("active", None, None, "", "growth")
    assert stripe_api.gets == ["GET /v1/subscriptions/sub_alpha"] * 2
    rows = {
        i.stripe_invoice_id: (
            i.status,
            i.amount_paid,
            i.paid_at,
            i.payment_failed_at,
            i.attempt_count,
        )
        for i in Invoice.objects.filter(merchant=alpha)
    }
    when = datetime.datetime.fromtimestamp
    assert rows == {
        "in_new": ("paid", 35000, when(newer + 60, tz=datetime.UTC), None, 1),
        "in_old": ("open", 0, None, when(older + 3600, tz=datetime.UTC), 2),
    }


def test_a_paid_invoice_stays_paid_when_its_failure_arrives_late(
    alpha, stripe_api, eager, django_capture_on_commit_callbacks
) -> None:
    stripe_api.subscriptions["sub_alpha"] = subscription("active")
    failed = event("invoice.payment_failed", invoice("in_1", "open", created=T0), created=T0 + 10)
    paid = event("invoice.paid", invoice("in_1", "paid", created=T0, attempts=2), created=T0 + 90)
    same_second = event(
        "invoice.payment_failed", invoice("in_1", "open", created=T0), created=T0 + 90
    )

    with time_machine.travel(NOW + datetime.timedelta(minutes=5), tick=False):
        for data in (paid, failed, same_second):
            post(django_capture_on_commit_callbacks, data, queued=1)

    stored = Invoice.objects.get(stripe_invoice_id="in_1")
    assert (stored.status, stored.amount_paid, stored.payment_failed_at, stored.attempt_count) == (
        "paid",
        35000,
        None,
        2,
    )
    assert stored.stripe_seen_at == datetime.datetime.fromtimestamp(T0 + 90, tz=datetime.UTC)
    assert billing(alpha) == ("active", None, None, "", "growth")


@time_machine.travel(NOW, tick=False)
def test_an_event_of_an_unknown_customer_is_kept_with_its_error_and_not_retried(
    alpha, stripe_api, eager, django_capture_on_commit_callbacks
) -> None:
    stray = subscription("canceled", sid="sub_stray", customer="cus_nobody")
    data = event("customer.subscription.deleted", stray)

    assert post(django_capture_on_commit_callbacks, data, queued=1).status_code == 200
    assert post(django_capture_on_commit_callbacks, data, queued=0).status_code == 200

    stored = StripeEvent.objects.get()
    assert (stored.processed_at, stored.merchant_id, stored.error) == (
        NOW,
        None,
        "unknown customer",
    )
    assert stripe_api.gets == []
    assert billing(alpha) == ("active", None, None, "", "pro")


@time_machine.travel(NOW, tick=False)
def test_trial_will_end_is_recorded_for_the_merchant(
    alpha, stripe_api, eager, django_capture_on_commit_callbacks
) -> None:
    data = event("customer.subscription.trial_will_end", subscription("trialing"))

    post(django_capture_on_commit_callbacks, data, queued=1)

    stored = StripeEvent.objects.get()
    assert (stored.processed_at, stored.merchant_id, stored.error) == (NOW, alpha.pk, "")
    assert stripe_api.gets == []
    assert billing(alpha) == ("active", None, None, "", "pro")


@time_machine.travel(NOW, tick=False)
def test_a_stripe_failure_is_noted_raised_for_a_retry_and_a_redelivery_queues_it_again(
    alpha, stripe_api, django_capture_on_commit_callbacks
) -> None:
    stripe_api.failing = True
    data = event("customer.subscription.updated", subscription("past_due"))
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        send(data)
    assert len(queueing(callbacks)) == 1
    stored = StripeEvent.objects.get()

    with pytest.raises(stripe.APIError):
        stripe_event_process(event_pk=stored.pk)

    stored.refresh_from_db()
    assert stored.processed_at is None
    assert stored.error.startswith("APIError: ")
    assert billing(alpha) == ("active", None, None, "", "pro")
    # Stripe sends the event again: unfinished, it is queued again and now succeeds.
    stripe_api.failing = False
    stripe_api.subscriptions["sub_alpha"] = subscription("past_due")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        send(data)
    assert len(queueing(callbacks)) == 1
    stored = stripe_event_process(event_pk=stored.pk)
    assert (stored.processed_at, stored.error) == (NOW, "")
    assert billing(alpha) == ("past_due", NOW, None, "", "growth")


def test_the_platform_lists_stripe_events_read_only_and_finds_one_by_id(alpha) -> None:
    admin = User.objects.create_superuser("ops@platform.jo", "ops@platform.jo", "ops-pass-2026")
    device = TOTPDevice.objects.create(user=admin, name="phone", confirmed=True)
    code = f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"
    for eid, kind in (("evt_one", "invoice.paid"), ("evt_two", "customer.subscription.updated")):
        StripeEvent.objects.create(
            event_id=eid, type=kind, created=NOW, payload={}, merchant=alpha, error=""
        )
    client = HostClient("localhost")
    client.post(
        "/admin/login/?next=/admin/",
        {"username": "ops@platform.jo", "password": "ops-pass-2026", "otp_token": code},
    )

    listing = client.get("/admin/billing/stripeevent/").content.decode()
    found = client.get("/admin/billing/stripeevent/?q=evt_two").content.decode()

    assert "evt_one" in listing and "evt_two" in listing and "Alpha Café" in listing
    assert "evt_two" in found and "evt_one" not in found
    assert client.get("/admin/billing/stripeevent/add/").status_code == 403
    pk = StripeEvent.objects.get(event_id="evt_one").pk
    page = client.get(f"/admin/billing/stripeevent/{pk}/change/")
    assert page.status_code == 200 and 'name="_save"' not in page.content.decode()


def test_a_real_worker_processes_what_the_endpoint_stored(busy_merchant) -> None:
    """The endpoint commits, the on-commit hook queues the task, a Celery worker
    process re-reads the subscription from the stub and applies it."""
    merchant = Merchant.objects.get(schema_name=busy_merchant[0])
    before = (merchant.billing_status, merchant.plan_id)
    with stub_server() as stub:
        api = StripeStub(stub)
        stub.responder = api.respond
        api.subscriptions["sub_busy"] = subscription(
            "past_due", sid="sub_busy", customer="cus_busy"
        )
        queue = f"billing-{uuid.uuid4().hex[:8]}"
        worker = worker_start(queue, STRIPE_API_BASE=stub.url, STRIPE_SECRET_KEY=KEY)
        default_queue = app.conf.task_default_queue
        app.conf.task_default_queue = queue
        data = event(
            "customer.subscription.updated",
            subscription("past_due", sid="sub_busy", customer="cus_busy"),
        )
        try:
            committed(
                lambda: StripeCustomer.objects.create(customer_id="cus_busy", merchant=merchant)
            )
            with override_settings(STRIPE_WEBHOOK_SECRET=SECRET, STRIPE_SECRET_KEY=KEY):
                response = committed(lambda: send(data))
            assert response.status_code == 200
            deadline = time.monotonic() + 60
            while not StripeEvent.objects.filter(
                event_id=data["id"], processed_at__isnull=False
            ).exists():
                assert time.monotonic() < deadline, "the worker did not process the event"
                time.sleep(0.1)
            merchant.refresh_from_db()
            assert merchant.billing_status == "past_due"
            assert api.gets == ["GET /v1/subscriptions/sub_busy"]
            assert StripeEvent.objects.get(event_id=data["id"]).merchant_id == merchant.pk
        finally:
            app.conf.task_default_queue = default_queue
            worker.terminate()
            worker.wait(10)

            def restore() -> None:
                StripeEvent.objects.filter(event_id=data["id"]).delete()
                Subscription.objects.filter(merchant=merchant).delete()
                StripeCustomer.objects.filter(merchant=merchant).delete()
                fresh = Merchant.objects.get(pk=merchant.pk)
                fresh.billing_status, fresh.plan_id = before
                fresh.past_due_since = None
                fresh.save()

            committed(restore)


@time_machine.travel(NOW, tick=False)
def test_a_subscription_of_a_new_customer_finds_its_merchant_by_metadata(
    merchant_b, stripe_api, eager, django_capture_on_commit_callbacks
) -> None:
    merchant = Merchant.objects.get(pk=merchant_b.merchant.pk)
    made = subscription("active", sid="sub_beta", customer="cus_beta")
    made["metadata"] = {"merchant_id": str(merchant.pk)}
    stripe_api.subscriptions["sub_beta"] = made
    stranger = subscription("active", sid="sub_x", customer="cus_x")
    stranger["metadata"] = {"merchant_id": "999999"}

    post(django_capture_on_commit_callbacks, event("customer.subscription.created", made))
    post(django_capture_on_commit_callbacks, event("customer.subscription.created", stranger))

    assert StripeCustomer.objects.get(merchant=merchant).customer_id == "cus_beta"
    assert billing(merchant) == ("active", None, None, "", "growth")
    assert list(
        StripeEvent.objects.order_by("received_at", "pk").values_list("merchant", "error")
    ) == [
        (merchant.pk, ""),
        (None, "unknown customer"),
    ]
    assert stripe_api.gets == ["GET /v1/subscriptions/sub_beta"]
