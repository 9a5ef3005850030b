"""A message is rendered with its own merchant's data, in its own schema only."""

import pytest
from django_tenants.utils import schema_context

from customers.models import Device
from messaging.models import Delivery, Outbox
from messaging.relay import deliveries_send, outbox_fan_out
from messaging.tasks import relay
from points.services import points_earn

pytestmark = pytest.mark.django_db


def test_merchant_a_messages_never_carry_merchant_b(programme, merchant_a, merchant_b) -> None:
    member = programme.member(tier=programme.silver)
    Device.objects.create(customer_id=member.customer_id, token="iso-1", platform="ios")
    points_earn(membership_id=member.pk, amount="50.000", actor=programme.cashier)

    with schema_context(merchant_b.schema):  # B's relay sees none of A's rows
        assert outbox_fan_out() == 0
        assert deliveries_send(seconds=1) == 0
        assert not Outbox.objects.filter(membership_id=member.pk).exists()

    while outbox_fan_out():
        pass
    deliveries_send(seconds=5)
    delivery = Delivery.objects.get(
        message__membership_id=member.pk, message__event="points_earned"
    )
    assert delivery.title == "Alpha Café"
    assert "Beta" not in delivery.title + delivery.body


def test_a_relay_task_refuses_an_unknown_schema() -> None:
    with pytest.raises(ValueError, match="known schema"):
        relay.run("no_such_merchant")
    with pytest.raises(ValueError, match="known schema"):
        relay.run("")
