"""Notifications: how fast a broadcast fans out and goes out.

    make bench-notify

In a database of its own: one merchant with 5,000 members who accept marketing push
(each with a device). A broadcast to all of them is queued, then the relay runs in
this process with every channel recording (no provider), as one worker does:
* queue: the single INSERT ... SELECT of `broadcast_send`;
* fan-out: inbox items and deliveries, 200 outbox rows per transaction;
* send: one locked transaction per delivery.
Prints the time of each and messages per second.
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


def main() -> None:
    bench_database()
    import django

    django.setup()
    from django.core.management import call_command
    from django.utils import timezone
    from django_tenants.utils import tenant_context

    from customers.models import Customer, Device
    from messaging.relay import deliveries_send, outbox_fan_out
    from notifications.models import Broadcast
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

        started = time.perf_counter()
        sent = 0
        profile = None
        if os.environ.get("BENCH_PROFILE"):
            import cProfile

            profile = cProfile.Profile()
            profile.enable()
        while batch := deliveries_send(seconds=60):
            sent += batch
        sending = time.perf_counter() - started
        if profile is not None:
            import pstats

            profile.disable()
            pstats.Stats(profile).sort_stats("cumulative").print_stats(30)

    print(f"Broadcast to {MEMBERS} members (push, recorded), embedded PostgreSQL 16:")
    print(f"  queue       {queued * 1000:8.0f} ms  (one INSERT ... SELECT)")
    print(f"  fan-out     {fanned * 1000:8.0f} ms  ({MEMBERS / fanned:,.0f} members/s)")
    print(f"  send        {sending * 1000:8.0f} ms  ({sent / sending:,.0f} messages/s)")
    assert sent == MEMBERS, sent


if __name__ == "__main__":
    main()
