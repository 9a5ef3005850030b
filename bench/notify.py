"""Notifications: how fast a broadcast fans out and goes out.

    make bench-notify

In a database of its own: one merchant with 5,000 members who accept marketing push
(each with a device). A broadcast to all of them is queued, then the relay runs in
this process with every channel recording (no provider), as one worker does:
* queue: the single INSERT ... SELECT of `broadcast_send`;
* fan-out: inbox items and deliveries, 200 outbox rows per transaction;
* send: one locked transaction per delivery, by BENCH_WORKERS (2) worker processes
  side by side (each its own connection; `skip_locked` shares the work out).
Prints the time of each, the fan-out's rows written per second (inbox items and
deliveries), and messages sent per second in all and per worker process, with each
worker's CPU time per message.
"""

import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "loyalty.settings.test")
# The provider throttle is not what is measured here.
os.environ.setdefault("NOTIFY_RATE_PUSH", "0")

from provisioning import bench_database  # noqa: E402

MEMBERS = int(os.environ.get("BENCH_MEMBERS", "5000"))
WORKERS = int(os.environ.get("BENCH_WORKERS", "2"))


def send_worker(schema: str, results: "multiprocessing.Queue[tuple[int, float]]") -> None:  # noqa: F821
    """One worker process: send due deliveries until none is left."""
    import resource

    from django.db import connections
    from django_tenants.utils import schema_context

    from messaging.relay import deliveries_send

    connections.close_all()  # never share the parent's connection
    sent = 0
    with schema_context(schema):
        while batch := deliveries_send(seconds=60):
            sent += batch
    usage = resource.getrusage(resource.RUSAGE_SELF)
    results.put((sent, usage.ru_utime + usage.ru_stime))


def main() -> None:
    bench_database()
    import django

    django.setup()
    from django.core.management import call_command
    from django.utils import timezone
    from django_tenants.utils import tenant_context

    from customers.models import Customer, Device
    from messaging.models import Delivery
    from messaging.relay import outbox_fan_out
    from notifications.models import Broadcast, InboxItem
    from notifications.services import broadcast_send
    from points.models import Membership
    from tenants.services import merchant_create

    call_command("migrate_schemas", shared=True, verbosity=0)
    merchant = merchant_create(name="Bench", slug="bench-notify", owner_email="o@bench.jo").merchant
    customers = Customer.objects.bulk_create(
        Customer(phone=f"+96279{i:07d}", name=f"Member {i}", marketing_consent=True)
        for i in range(MEMBERS)
    )
    Device.objects.bulk_create(
        Device(customer=c, token=f"bench-{c.pk}", platform="android") for c in customers
    )
    with tenant_context(merchant):
        Membership.objects.bulk_create(
            Membership(
                customer=c,
                member_number=f"B{i:07d}",
                referral_code=f"R{i:07d}",
                joined_at=timezone.now(),
            )
            for i, c in enumerate(customers)
        )
        broadcast = Broadcast.objects.create(
            title_en="Bench", body_en="Hello {name}", title_ar="تجربة", body_ar="مرحباً", push=True
        )
        started = time.perf_counter()
        broadcast_send(broadcast_id=broadcast.pk)
        queued = time.perf_counter() - started

        started = time.perf_counter()
        while outbox_fan_out():
            pass
        fanned = time.perf_counter() - started

        fan_rows = InboxItem.objects.count() + Delivery.objects.count()

    if os.environ.get("BENCH_PROFILE"):
        import cProfile
        import pstats

        from messaging.relay import deliveries_send

        profile = cProfile.Profile()
        with tenant_context(merchant):
            profile.enable()
            deliveries_send(seconds=5)
            profile.disable()
        pstats.Stats(profile).sort_stats("cumulative").print_stats(30)

    import multiprocessing

    from django.db import connections

    connections.close_all()
    results: multiprocessing.Queue[tuple[int, float]] = multiprocessing.Queue()
    workers = [
        multiprocessing.get_context("fork").Process(
            target=send_worker, args=(merchant.schema_name, results)
        )
        for _ in range(WORKERS)
    ]
    started = time.perf_counter()
    for worker in workers:
        worker.start()
    done = [results.get() for _ in workers]
    sending = time.perf_counter() - started
    for worker in workers:
        worker.join()
    sent = sum(n for n, _ in done)
    with tenant_context(merchant):
        delivered = Delivery.objects.exclude(status=Delivery.Status.PENDING).count()
    cpu = sum(c for _, c in done)

    print(f"Broadcast to {MEMBERS} members (push, recorded), embedded PostgreSQL 16:")
    print(f"  queue       {queued * 1000:8.0f} ms  (one INSERT ... SELECT)")
    print(
        f"  fan-out     {fanned * 1000:8.0f} ms  ({MEMBERS / fanned:,.0f} members/s,"
        f" {fan_rows / fanned:,.0f} rows/s: {fan_rows:,} inbox items and deliveries)"
    )
    print(
        f"  send        {sending * 1000:8.0f} ms  ({sent / sending:,.0f} messages/s by {WORKERS}"
        f" worker processes: {sent / sending / WORKERS:,.0f} per worker;"
        f" {cpu * 1000 / max(sent, 1):.1f} ms worker CPU per message)"
    )
    assert delivered == MEMBERS, delivered


if __name__ == "__main__":
    main()
