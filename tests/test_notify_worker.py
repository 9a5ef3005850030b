"""Notifications on a real Celery worker process, real Redis and PostgreSQL: the
on-commit kick, and a worker killed with SIGKILL in the middle of a broadcast."""

import collections
import os
import signal
import time
from collections.abc import Callable

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from customers.models import Customer, Device
from messaging.models import Delivery, Outbox, SentMessage
from messaging.tasks import relay_sweep
from notifications.models import Broadcast, InboxItem
from notifications.services import broadcast_progress, broadcast_send
from points.models import Membership
from points.services import points_earn
from tests.fixtures import worker_drained, worker_start
from tests.threads import committed

pytestmark = pytest.mark.django_db(transaction=False)


def wait_for(check: Callable[[], bool], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        time.sleep(0.1)


def test_earning_on_the_counter_reaches_the_member_through_the_worker(
    busy_merchant, celery_worker_process
) -> None:
    schema, programme = busy_merchant
    with schema_context(schema):

        def earn() -> Membership:
            member = programme.member(tier=programme.silver, language="ar")
            Device.objects.create(
                customer_id=member.customer_id, token=f"w-{member.pk}", platform="ios"
            )
            points_earn(membership_id=member.pk, amount="50.000", actor=programme.cashier)
            return member

        member = committed(earn)  # commits: the kick queues the relay for this schema

        def delivered() -> bool:
            return Delivery.objects.filter(
                message__membership_id=member.pk, message__event="points_earned", status="recorded"
            ).exists()

        wait_for(delivered)
        (push,) = Delivery.objects.filter(
            message__membership_id=member.pk, message__event="points_earned"
        )
        assert "ربحت 750 نقطة!" in push.body
        assert SentMessage.objects.filter(delivery_id=push.pk).count() == 1
        assert InboxItem.objects.filter(membership_id=member.pk, event="points_earned").count() == 1


def _audience(count: int) -> list[int]:
    """`count` members who accept marketing push, each with a device (bulk, committed)."""
    stamp = time.time_ns() % 10**9
    customers = Customer.objects.bulk_create(
        Customer(
            phone=f"+9627{stamp % 10**4:04d}{i:04d}",
            name=f"Member {i}",
            language="en",
            marketing_consent=True,
        )
        for i in range(count)
    )
    Device.objects.bulk_create(
        Device(customer=c, token=f"kill-{stamp}-{c.pk}", platform="android") for c in customers
    )
    members = Membership.objects.bulk_create(
        Membership(
            customer=c,
            member_number=f"K{stamp % 10**5:05d}{i:04d}"[-12:],
            referral_code=f"R{stamp % 10**5:05d}{i:04d}"[-12:],
            joined_at=timezone.now(),
        )
        for i, c in enumerate(customers)
    )
    return [m.pk for m in members]


def test_a_worker_killed_mid_broadcast_leaves_every_member_one_message(busy_merchant) -> None:
    from loyalty.celery import app

    schema, _programme = busy_merchant
    queue = f"kill-{os.getpid()}"
    previous_queue = app.conf.task_default_queue
    app.conf.task_default_queue = queue
    # 200 pushes a second: the broadcast takes about five seconds, long enough to kill.
    worker = worker_start(queue, NOTIFY_RATE_PUSH="200")
    try:
        with schema_context(schema):
            committed(lambda: _audience(1000))

            def create_and_send() -> Broadcast:
                broadcast = Broadcast.objects.create(
                    title_en="Double points",
                    body_en="Double points this weekend, {name}!",
                    title_ar="نقاط مضاعفة",
                    body_ar="نقاط مضاعفة هذا الأسبوع!",
                    push=True,
                )
                return broadcast_send(broadcast_id=broadcast.pk)

            broadcast = committed(create_and_send)
            audience = broadcast.audience_size
            assert audience >= 1000

            def sent_for_broadcast() -> list[int | None]:
                deliveries = Delivery.objects.filter(message__broadcast_id=broadcast.pk)
                return list(
                    SentMessage.objects.filter(delivery_id__in=deliveries.values("pk")).values_list(
                        "delivery_id", flat=True
                    )
                )

            wait_for(lambda: len(sent_for_broadcast()) >= 150)
            os.kill(worker.pid, signal.SIGKILL)
            worker.wait(10)
            halfway = len(sent_for_broadcast())
            assert halfway < audience, "the broadcast finished before the worker was killed"

            worker = worker_start(queue, NOTIFY_RATE_PUSH="200")
            relay_sweep.apply_async(queue=queue)  # what beat does every 30 seconds

            def finished() -> bool:
                return (
                    not Delivery.objects.filter(
                        message__broadcast_id=broadcast.pk, status="pending"
                    ).exists()
                    and not Outbox.objects.filter(
                        broadcast_id=broadcast.pk, status="pending"
                    ).exists()
                )

            wait_for(finished, seconds=120)
            time.sleep(1)  # anything sent twice would show up now
            deliveries = Delivery.objects.filter(message__broadcast_id=broadcast.pk)
            # One delivery per member; members of earlier tests without marketing
            # consent are skipped, the 1,000 of this one are sent.
            assert deliveries.count() == audience
            assert set(deliveries.values_list("status", flat=True)) <= {"recorded", "skipped"}
            recorded = set(deliveries.filter(status="recorded").values_list("pk", flat=True))
            assert len(recorded) >= 1000
            sent = sent_for_broadcast()
            assert collections.Counter(sent) == collections.Counter(recorded)  # once each
            assert (
                InboxItem.objects.filter(
                    event="broadcast", message_id__in=deliveries.values("message_id")
                ).count()
                == audience
            )
            body = deliveries.filter(status="recorded").latest("id").body
            assert body.startswith("Double points this weekend, Member ")
    finally:
        worker.terminate()
        worker.wait(10)
        app.conf.task_default_queue = previous_queue


def test_a_broadcast_whose_relay_was_lost_is_marked_sent_by_the_sweep(
    busy_merchant, celery_worker_process
) -> None:
    """The relay task queued by the send never reaches a worker (a worker that took it
    and died, a broker that lost it) and the messages go out some other way: beat's
    sweep finds the broadcast left at "sending" and the worker marks it sent."""
    from loyalty.celery import app
    from messaging.relay import deliveries_send, outbox_fan_out

    schema, programme = busy_merchant
    working_queue = app.conf.task_default_queue
    # Relays queued before (the worker's start-up sweep, earlier tests' kicks) would
    # deliver this broadcast and mark it sent before the sweep is put to the test.
    worker_drained(working_queue)
    with schema_context(schema):

        def send() -> Broadcast:
            member = programme.member(marketing_consent=True)
            Device.objects.create(
                customer_id=member.customer_id, token=f"lost-{member.pk}", platform="ios"
            )
            broadcast = Broadcast.objects.create(title_en="Hi", body_en="Hello", push=True)
            return broadcast_send(broadcast_id=broadcast.pk)

        app.conf.task_default_queue = f"nobody-{os.getpid()}"  # no worker reads it
        try:
            broadcast = committed(send)

            def send_the_rest() -> None:
                while outbox_fan_out():
                    pass
                # The shared merchant may hold other tests' members: send until done.
                while deliveries_send(seconds=5):
                    pass

            committed(send_the_rest)
        finally:
            app.conf.task_default_queue = working_queue
        assert not Delivery.objects.filter(
            message__broadcast_id=broadcast.pk, status="pending"
        ).exists()
        broadcast.refresh_from_db()
        assert broadcast.status == "sending"

        # What beat does every 30 seconds; the lost task's "queued" marker holds new
        # relays back for QUEUED_SECONDS, so the sweep is repeated as beat would.
        deadline = time.monotonic() + 60
        while broadcast.status != "sent" and time.monotonic() < deadline:
            relay_sweep.apply_async(queue=working_queue)
            time.sleep(3)
            broadcast.refresh_from_db()
        assert broadcast.status == "sent"
        progress = broadcast_progress(broadcast)
        assert progress.audience == broadcast.audience_size
        assert progress.waiting == 0
        assert progress.reached + progress.skipped + progress.failed == broadcast.audience_size
