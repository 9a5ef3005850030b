"""Broadcasts: the audience and who agreed to each channel before sending, progress
counts that add up to the audience, the status reaching "sent", English-only texts."""

import datetime
import re

import pytest
import time_machine
from django.contrib.auth.models import User
from django.test import override_settings

from customers.models import Device, NotificationPreference
from loyalty.db import connection
from messaging.models import Delivery
from messaging.relay import deliveries_send, outbox_fan_out
from messaging.tasks import relay, schemas_with_work
from notifications.models import Broadcast, InboxItem
from notifications.selectors import broadcast_reach
from notifications.services import broadcast_progress, broadcast_send, broadcasts_finish
from tests.fixtures import HostClient

pytestmark = pytest.mark.django_db
NOON_UTC = datetime.datetime(2026, 6, 15, 12, 0, tzinfo=datetime.UTC)


def _gold_members(programme) -> dict[str, int]:
    """Five Gold members: two take marketing push (one of them also email), one
    agreed to marketing but has no phone app, one never agreed, one closed account."""
    made = {}
    for key, consent, device, email in (
        ("push_and_email", True, True, "lina@example.com"),
        ("push", True, True, ""),
        ("no_app", True, False, ""),
        ("no_consent", False, True, ""),
        ("closed", True, True, ""),
    ):
        member = programme.member(tier=programme.gold, marketing_consent=consent, email=email)
        if device:
            Device.objects.create(customer_id=member.customer_id, token=f"d-{key}", platform="ios")
        made[key] = member.pk
        if key == "push_and_email":
            NotificationPreference.objects.create(
                customer_id=member.customer_id, email_marketing=True
            )
        if key == "closed":
            member.customer.is_active = False
            member.customer.save(update_fields=["is_active"])
    return made


def test_the_reach_counts_who_agreed_to_each_channel(programme) -> None:
    _gold_members(programme)
    reach = broadcast_reach(segment="tier", tier_id=programme.gold.pk, channels=["push", "email"])
    assert reach.members == 5
    assert reach.by_channel == {"push": 2, "email": 1, "sms": 0, "whatsapp": 0}
    assert reach.reachable == 2
    silver = broadcast_reach(segment="tier", tier_id=programme.silver.pk, channels=["push"])
    assert (silver.members, silver.reachable) == (0, 0)


def _owner_client(merchant_a) -> HostClient:
    client = HostClient(merchant_a.host)
    client.force_login(User.objects.get(email=merchant_a.owner_email))
    return client


def test_the_form_shows_the_audience_and_updates_it_as_it_is_chosen(merchant_a, programme) -> None:
    _gold_members(programme)
    client = _owner_client(merchant_a)
    form = client.get("/admin/notifications/broadcast/add/", HTTP_ACCEPT_LANGUAGE="en")
    page = form.content.decode()
    assert 'id="broadcast-reach"' in page
    assert 'data-url="/admin/notifications/broadcast/audience/"' in page
    answer = client.get(
        "/admin/notifications/broadcast/audience/",
        {"segment": "tier", "tier": programme.gold.pk, "push": "on", "email": "on"},
        HTTP_ACCEPT_LANGUAGE="en",
    ).content.decode()
    assert "The audience: 5 members." in answer
    assert "Push: 2 of them agreed to offers on this channel." in answer
    assert "Email: 1 of them agreed to offers on this channel." in answer
    assert "2 members get it on at least one channel." in answer
    none = client.get(
        "/admin/notifications/broadcast/audience/",
        {"segment": "tier", "tier": programme.gold.pk},
        HTTP_ACCEPT_LANGUAGE="ar",
    ).content.decode()
    assert "اختر قناة واحدة على الأقل." in none
    cashier = HostClient(merchant_a.host)
    cashier.force_login(programme.cashier)
    assert cashier.get("/admin/notifications/broadcast/audience/").status_code == 403


def test_the_confirmation_shows_the_reach_and_can_be_cancelled(merchant_a, programme) -> None:
    _gold_members(programme)
    client = _owner_client(merchant_a)
    saved = client.post(
        "/admin/notifications/broadcast/add/",
        {
            "title_en": "Gold weekend",
            "body_en": "Double points for Gold members, {name}!",
            "title_ar": "",
            "body_ar": "",
            "segment": "tier",
            "tier": programme.gold.pk,
            "push": "on",
        },
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert saved.status_code == 302, saved.content.decode()[-3000:]
    broadcast = Broadcast.objects.get(title_en="Gold weekend")
    assert (broadcast.title_ar, broadcast.body_ar) == ("", "")
    confirm = client.get(
        f"/admin/notifications/broadcast/{broadcast.pk}/send/", HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    assert "The audience: 5 members." in confirm
    assert "Push: 2 of them agreed to offers on this channel." in confirm
    assert "No Arabic text: members who chose Arabic get the English." in confirm
    cancel = re.search(r'href="([^"]+)"[^>]*data-testid="cancel"', confirm)
    assert cancel is not None
    assert cancel.group(1) == f"/admin/notifications/broadcast/{broadcast.pk}/change/"
    broadcast.refresh_from_db()
    assert broadcast.status == "draft"  # looking at the confirmation sends nothing


def test_half_an_arabic_text_is_refused(merchant_a, programme) -> None:
    client = _owner_client(merchant_a)
    refused = client.post(
        "/admin/notifications/broadcast/add/",
        {"title_en": "Hi", "body_en": "Hello", "title_ar": "مرحبا", "body_ar": "", "push": "on"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert refused.status_code == 200
    assert "Write both the Arabic title and text, or leave both empty" in refused.content.decode()
    assert not Broadcast.objects.filter(title_en="Hi").exists()


@override_settings(QUIET_HOURS_START=21, QUIET_HOURS_END=9)
def test_progress_counts_add_up_to_the_audience_and_the_status_reaches_sent(programme) -> None:
    with time_machine.travel(NOON_UTC, tick=False):
        made = {}
        for key, zone, consent in (
            ("reached", "Asia/Amman", True),  # 15:00 there
            ("night", "Pacific/Auckland", True),  # midnight there: held for the morning
            ("skipped", "Asia/Amman", False),
            ("failed", "Asia/Amman", True),
        ):
            member = programme.member(
                tier=programme.gold, marketing_consent=consent, time_zone=zone, language="ar"
            )
            Device.objects.create(customer_id=member.customer_id, token=f"p-{key}", platform="ios")
            made[key] = member.pk
        broadcast = Broadcast.objects.create(
            title_en="Gold weekend",
            body_en="Double points, {name}!",
            segment="tier",
            tier=programme.gold,
            push=True,
        )
        broadcast = broadcast_send(broadcast_id=broadcast.pk)
        assert broadcast.audience_size == 4
        before = broadcast_progress(broadcast)
        assert (before.audience, before.reached, before.waiting, before.skipped, before.failed) == (
            4,
            0,
            4,
            0,
            0,
        )
        while outbox_fan_out():
            pass
        # A provider refused this one for good.
        Delivery.objects.filter(message__membership_id=made["failed"]).update(status="dead")
        deliveries_send(seconds=5)
        broadcasts_finish()
        middle = broadcast_progress(broadcast)
        assert (middle.reached, middle.waiting, middle.skipped, middle.failed) == (1, 1, 1, 1)
        assert middle.reached + middle.waiting + middle.skipped + middle.failed == 4
        broadcast.refresh_from_db()
        assert broadcast.status == "sending"
    # 9:30 in Auckland: the held message goes, and nothing is left waiting.
    with time_machine.travel(NOON_UTC + datetime.timedelta(hours=9, minutes=30), tick=False):
        deliveries_send(seconds=5)
        broadcasts_finish()
    done = broadcast_progress(broadcast)
    assert (done.audience, done.reached, done.waiting, done.skipped, done.failed) == (4, 2, 0, 1, 1)
    broadcast.refresh_from_db()
    assert broadcast.status == "sent"
    # Written in English only: the members who chose Arabic read the English.
    item = InboxItem.objects.get(membership_id=made["reached"], event="broadcast")
    assert (item.title, item.body) == (
        "Gold weekend",
        f"Double points, {item.membership.customer.name}!",
    )
    delivery = Delivery.objects.get(
        message__membership_id=made["reached"], message__event="broadcast"
    )
    assert (delivery.language, delivery.status) == ("en", "recorded")


def test_a_broadcast_whose_last_message_went_without_the_relay_is_finished_by_the_sweep(
    programme,
) -> None:
    member = programme.member(marketing_consent=True)
    Device.objects.create(customer_id=member.customer_id, token="sweep-1", platform="ios")
    broadcast = Broadcast.objects.create(title_en="Hi", body_en="Hello", push=True)
    broadcast_send(broadcast_id=broadcast.pk)
    # What the demo seed does, or a relay run cut short after its last send.
    while outbox_fan_out():
        pass
    deliveries_send(seconds=5)
    broadcast.refresh_from_db()
    assert broadcast.status == "sending"
    schema = connection.schema_name
    assert schemas_with_work([schema]) == [schema]  # the sweep queues a relay for it
    relay(schema)
    broadcast.refresh_from_db()
    assert broadcast.status == "sent"
    assert schemas_with_work([schema]) == []  # and then leaves the schema alone
