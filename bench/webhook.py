"""Stripe's webhook: receiving (verify + store + queue) and processing (the task's body).

    make bench-webhook

In a database of its own, with one merchant known to Stripe as a customer and a local
stub standing in for Stripe's API (tests/stub_server.py):
* receive: BENCH_EVENTS (500) distinct `customer.subscription.updated` events, each
  signed as Stripe signs it, POSTed to /stripe/webhook/ on the root domain through
  Django's test client (the whole middleware stack, the signature check with the
  `stripe` library, the insert, the task sent to Redis after the commit);
* process: the task's body for each stored event, one after another, as one worker
  runs them: the subscription re-read from the stub through the SDK over HTTP, then
  applied to the merchant;
* replay: the same events again once processed (found by id, nothing stored, nothing
  queued);
* the re-read alone: `stripe_api.subscription_fetch` against the stub, the part of
  processing that is Stripe's (on the real API add its round trip).
Prints events per second, the median and p95 of each step.
"""

import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "loyalty.settings.test")

from provisioning import bench_database  # noqa: E402

EVENTS = int(os.environ.get("BENCH_EVENTS", "500"))
SECRET = "whsec_bench"
QUEUE = f"bench-webhook-{os.getpid()}"


def subscription(status: str, at: int) -> dict:
    price = {
        "id": "price_growth",
        "unit_amount": 35000,
        "currency": "jod",
        "recurring": {"interval": "month", "interval_count": 1},
        "metadata": {"plan": "growth"},
    }
    item = {"id": "si_1", "quantity": 1, "current_period_end": at + 30 * 86400, "price": price}
    return {
        "id": "sub_bench",
        "object": "subscription",
        "customer": "cus_bench",
        "status": status,
        "start_date": at,
        "created": at,
        "metadata": {},
        "items": {"object": "list", "data": [item]},
    }


def row(name: str, timings: list[float]) -> str:
    ordered = sorted(timings)
    rate = len(ordered) / sum(ordered)
    median = statistics.median(ordered) * 1000
    p95 = ordered[int(len(ordered) * 0.95)] * 1000
    return f"| {name} | {len(ordered)} | {rate:,.0f} events/s | {median:.2f} ms | {p95:.2f} ms |"


def main() -> None:
    bench_database()
    from tests.stub_server import stub_server

    now = int(time.time())
    with stub_server(status=200, reply=subscription("active", now)) as stub:
        os.environ.update(
            STRIPE_WEBHOOK_SECRET=SECRET,
            STRIPE_SECRET_KEY="sk_test_bench",
            STRIPE_API_BASE=stub.url,
            CELERY_TASK_DEFAULT_QUEUE=QUEUE,
        )
        import django

        django.setup()
        import stripe
        from django.conf import settings
        from django.core.management import call_command
        from django.test import Client

        from billing.models import StripeCustomer, StripeEvent
        from billing.stripe_api import subscription_fetch
        from billing.tasks import stripe_event_process
        from loyalty.celery import app
        from tenants.services import merchant_create

        call_command("migrate_schemas", shared=True, verbosity=0)
        merchant = merchant_create(
            name="Bench", slug="bench-webhook", owner_email="o@bench.jo"
        ).merchant
        StripeCustomer.objects.create(customer_id="cus_bench", merchant=merchant)
        client = Client(HTTP_HOST=settings.BASE_DOMAIN)
        bodies = [
            json.dumps(
                {
                    "id": f"evt_bench_{i:06d}",
                    "object": "event",
                    "created": now,
                    "type": "customer.subscription.updated",
                    "data": {"object": subscription("past_due" if i % 2 else "active", now)},
                }
            )
            for i in range(EVENTS)
        ]

        def post_all() -> list[float]:
            timings = []
            for body in bodies:
                header = stripe.WebhookSignature.generate_signature_header(body, SECRET)
                started = time.perf_counter()
                response = client.post(
                    "/stripe/webhook/",
                    body,
                    content_type="application/json",
                    headers={"Stripe-Signature": header},
                )
                timings.append(time.perf_counter() - started)
                assert response.status_code == 200, response.content
            return timings

        try:
            received = post_all()
            processed = []
            for pk in StripeEvent.objects.order_by("pk").values_list("pk", flat=True):
                started = time.perf_counter()
                assert stripe_event_process.run(pk) == "ok"
                processed.append(time.perf_counter() - started)
            replayed = post_all()
            fetched = []
            for _ in range(EVENTS):
                started = time.perf_counter()
                subscription_fetch("sub_bench")
                fetched.append(time.perf_counter() - started)
        finally:
            with app.connection_for_write() as connection:
                connection.default_channel.queue_purge(QUEUE)
        assert len(stub.requests) == 2 * EVENTS

    print("Stripe webhook, embedded PostgreSQL 16 and Redis, Stripe's API on a local stub:")
    print("| step | events | rate | median | p95 |")
    print("| --- | --- | --- | --- | --- |")
    print(row("receive (verify, store, queue)", received))
    print(row("process (re-read from Stripe, apply)", processed))
    print(row("replay (found, nothing stored)", replayed))
    print(row("of processing: the re-read alone (SDK to the stub)", fetched))


if __name__ == "__main__":
    main()
