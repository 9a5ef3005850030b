"""The relay's guarantees under concurrency (committed data, real threads): two
relays at once send each delivery once; marketing waits out the customer's night;
the provider throttle holds across senders."""

import datetime
import time
from zoneinfo import ZoneInfo

import pytest
from django.test import override_settings
from django.utils import timezone
from django_tenants.utils import schema_context

from customers.models import Device
from messaging.models import Delivery, SentMessage
from messaging.outbox import outbox_add
from messaging.relay import deliveries_send, outbox_fan_out
from tests.threads import committed, run_together

pytestmark = pytest.mark.django_db


def _members_with_devices(programme, count: int, **customer) -> list[int]:
    def make() -> list[int]:
        ids = []
        for _ in range(count):
            member = programme.member(marketing_consent=True, **customer)
            Device.objects.create(
                customer_id=member.customer_id, token=f"g-{member.pk}", platform="ios"
            )
            ids.append(member.pk)
        return ids

    return committed(make)


def test_two_relays_at_once_send_every_delivery_exactly_once(busy_merchant) -> None:
    schema, programme = busy_merchant
    with schema_context(schema):
        members = _members_with_devices(programme, 40)
        from points.models import Membership

        def queue() -> None:
            for member in Membership.objects.filter(pk__in=members):
                outbox_add(event="tier_downgraded", membership=member, tier="Bronze")

        committed(queue)
        # The same work handed to two workers at the same instant, as a task
        # delivered twice would be.
        # (A worker of the session, when one runs, may join in: three at once.)
        run_together(2, schema, lambda i: [outbox_fan_out() for _ in range(3)])
        run_together(2, schema, lambda i: deliveries_send(seconds=20))

        deliveries = Delivery.objects.filter(
            message__membership_id__in=members, message__event="tier_downgraded"
        )
        assert deliveries.count() == 40
        records = SentMessage.objects.filter(delivery_id__in=deliveries.values("pk"))
        deadline = time.monotonic() + 20
        while records.count() < 40 and time.monotonic() < deadline:
            time.sleep(0.1)  # a row another sender still holds
        time.sleep(0.5)
        assert records.count() == 40
        assert set(records.values_list("delivery_id", flat=True)) == set(
            deliveries.values_list("pk", flat=True)
        )


@override_settings(QUIET_HOURS_START=0, QUIET_HOURS_END=23)
def test_marketing_at_night_waits_for_the_morning_of_the_customers_zone(programme) -> None:
    # Night is 00:00-23:00 here, so it is night now in one of these two zones.
    now = timezone.now()
    zone = next(z for z in ("Asia/Amman", "UTC") if now.astimezone(ZoneInfo(z)).hour != 23)
    member = programme.member(marketing_consent=True, time_zone=zone)
    Device.objects.create(customer_id=member.customer_id, token="night-1", platform="ios")
    outbox_add(event="birthday", membership=member, points=100, balance=100)
    outbox_add(event="tier_downgraded", membership=member, tier="Bronze")

    outbox_fan_out()
    deliveries_send(seconds=5)

    birthday = Delivery.objects.get(message__membership_id=member.pk, message__event="birthday")
    assert birthday.status == "pending"
    local_wake = birthday.next_attempt_at.astimezone(ZoneInfo(zone))
    assert (local_wake.hour, local_wake.minute) == (23, 0)
    assert birthday.next_attempt_at - now < datetime.timedelta(hours=24)
    # Transactional messages go at once, night or not.
    downgrade = Delivery.objects.get(
        message__membership_id=member.pk, message__event="tier_downgraded"
    )
    assert downgrade.status == "recorded"


def test_the_throttle_holds_a_provider_to_its_rate(programme) -> None:
    members = [programme.member() for _ in range(7)]
    for member in members:
        Device.objects.create(
            customer_id=member.customer_id, token=f"t-{member.pk}", platform="ios"
        )
        outbox_add(event="tier_downgraded", membership=member, tier="Bronze")
    outbox_fan_out()

    with override_settings(NOTIFY_RATE_PER_SECOND={"push": 3}):
        started = time.monotonic()
        sent = deliveries_send(seconds=30)
        elapsed = time.monotonic() - started
    assert sent == 14  # each member's welcome and tier message
    # 3 a second: 14 messages span 5 one-second windows, the first possibly partial.
    assert elapsed > 3.0
