"""The relay in one merchant's schema: channels chosen by the merchant's settings, the
plan, the customer's preferences and quiet hours; texts in the customer's language."""

import datetime
from zoneinfo import ZoneInfo

from django.test import override_settings
from django.utils import timezone

from billing.models import MessageUsage, Plan
from customers.models import Device, NotificationPreference
from messaging.models import Delivery, EventSetting, Outbox, SentMessage
from messaging.relay import deliveries_send, event_settings, outbox_fan_out, quiet_until
from notifications.models import InboxItem
from points.services import points_earn
from tenants.models import Merchant

AMMAN = ZoneInfo("Asia/Amman")


def relay_now() -> None:
    while outbox_fan_out():
        pass
    deliveries_send(seconds=10)


def channels_on(event: str, *channels: str) -> None:
    setting = event_settings()[event]
    for channel in ("push", "email", "sms", "whatsapp"):
        setattr(setting, channel, channel in channels)
    setting.save()


def earned(member_id: int) -> list[Delivery]:
    return list(
        Delivery.objects.filter(
            message__membership_id=member_id, message__event="points_earned"
        ).order_by("channel")
    )


def test_earning_750_points_gives_one_message_per_enabled_channel_and_one_inbox_item(
    programme,
) -> None:
    channels_on("points_earned", "push", "email", "sms")
    member = programme.member(tier=programme.silver, email="lina@example.jo")
    Device.objects.create(customer_id=member.customer_id, token="tok-1", platform="android")

    points_earn(membership_id=member.pk, amount="50.000", actor=programme.cashier)
    relay_now()

    deliveries = earned(member.pk)
    assert [d.channel for d in deliveries] == ["email", "push", "sms"]
    for delivery in deliveries:
        assert delivery.status == "recorded"
        assert delivery.body.count("You earned 750 points!") == 1
        assert delivery.attempts == 1
    sent = SentMessage.objects.filter(purpose="points_earned").order_by("channel")
    assert [(m.channel, m.status) for m in sent] == [
        ("email", "recorded"),
        ("push", "recorded"),
        ("sms", "recorded"),
    ]
    assert sent.get(channel="sms").body.startswith("Alpha Café: You earned 750 points!")
    inbox = InboxItem.objects.filter(membership=member, event="points_earned")
    assert inbox.count() == 1
    assert "You earned 750 points!" in inbox.get().body

    relay_now()  # a second run finds nothing new
    assert len(earned(member.pk)) == 3
    assert SentMessage.objects.filter(purpose="points_earned").count() == 3


def test_an_arabic_customer_reads_arabic(programme) -> None:
    member = programme.member(tier=programme.silver, language="ar")
    Device.objects.create(customer_id=member.customer_id, token="tok-ar", platform="ios")

    points_earn(membership_id=member.pk, amount="50.000", actor=programme.cashier)
    relay_now()

    (push,) = earned(member.pk)
    assert push.language == "ar"
    assert "ربحت 750 نقطة!" in push.body
    assert "You earned" not in push.body
    assert InboxItem.objects.get(membership=member, event="points_earned").body == push.body


def test_a_merchant_override_is_used_and_filled(programme) -> None:
    setting = event_settings()["points_earned"]
    setting.body_en = "{name}, +{points} at {merchant}!"
    setting.save()
    member = programme.member(name="Omar")
    Device.objects.create(customer_id=member.customer_id, token="tok-o", platform="ios")

    points_earn(membership_id=member.pk, amount="10.000", actor=programme.cashier)
    relay_now()

    assert earned(member.pk)[0].body == "Omar, +100 at Alpha Café!"


def test_preferences_and_missing_addresses_skip_a_channel_with_a_reason(programme) -> None:
    channels_on("points_earned", "push", "email", "sms")
    member = programme.member(email="")
    NotificationPreference.objects.create(customer_id=member.customer_id, sms_transactional=False)

    points_earn(membership_id=member.pk, amount="10.000", actor=programme.cashier)
    relay_now()

    reasons = {d.channel: (d.status, d.last_error) for d in earned(member.pk)}
    assert reasons["sms"] == (
        "skipped",
        "The customer turned off transactional messages on this channel.",
    )
    assert reasons["email"] == ("skipped", "The customer has no address on this channel.")
    assert reasons["push"] == ("skipped", "The customer has no address on this channel.")
    assert not SentMessage.objects.filter(purpose="points_earned").exists()
    assert InboxItem.objects.filter(membership=member, event="points_earned").count() == 1


def test_whatsapp_needs_the_setting_and_a_plan_that_includes_it(programme, merchant_a) -> None:
    channels_on("points_earned", "whatsapp")
    member = programme.member()
    points_earn(membership_id=member.pk, amount="10.000", actor=programme.cashier)
    relay_now()
    (skipped,) = earned(member.pk)
    assert skipped.last_error == "The merchant's plan does not include this channel."

    Merchant.objects.filter(pk=merchant_a.merchant.pk).update(plan=Plan.objects.get(code="growth"))
    with override_settings(WHATSAPP_ENABLED=True):
        points_earn(membership_id=member.pk, amount="10.000", actor=programme.cashier)
        relay_now()
    latest = Delivery.objects.filter(channel="whatsapp").latest("id")
    assert (latest.status, latest.to) == ("recorded", member.customer.phone)


def test_texts_stop_at_the_plans_monthly_allowance(programme, merchant_a) -> None:
    channels_on("points_earned", "sms")
    member = programme.member()
    Merchant.objects.filter(pk=merchant_a.merchant.pk).update(plan=Plan.objects.get(code="trial"))
    allowance = Plan.objects.get(code="trial").sms_per_month
    MessageUsage.objects.create(
        merchant=merchant_a.merchant,
        month=MessageUsage.month_of(timezone.localdate()),
        texts=allowance - 1,
    )

    points_earn(membership_id=member.pk, amount="10.000", actor=programme.cashier)
    points_earn(membership_id=member.pk, amount="11.000", actor=programme.cashier)
    relay_now()

    statuses = [d.status for d in Delivery.objects.filter(channel="sms").order_by("id")]
    assert statuses.count("recorded") == 1
    assert statuses[-1] == "skipped"
    usage = MessageUsage.objects.get(merchant=merchant_a.merchant)
    assert usage.texts == allowance


@override_settings(QUIET_HOURS_START=21, QUIET_HOURS_END=9)
def test_marketing_waits_for_morning_in_the_customers_time_zone(programme) -> None:
    night = datetime.datetime(2026, 11, 25, 23, 30, tzinfo=AMMAN)
    assert quiet_until(night, "Asia/Amman") == datetime.datetime(2026, 11, 26, 9, 0, tzinfo=AMMAN)
    assert quiet_until(night, "America/New_York") is None  # 16:30 there
    assert quiet_until(night.replace(hour=12), "Asia/Amman") is None


def test_birthday_marketing_needs_consent(programme) -> None:
    from messaging.outbox import outbox_add

    member = programme.member()
    Device.objects.create(customer_id=member.customer_id, token="tok-b", platform="ios")
    outbox_add(event="birthday", membership=member, points=100, balance=100)
    relay_now()
    delivery = Delivery.objects.get(message__membership_id=member.pk, message__event="birthday")
    assert delivery.status == "skipped"
    assert delivery.last_error == "The customer has not agreed to marketing messages."


def test_a_dedupe_key_queues_a_message_once(programme) -> None:
    from messaging.outbox import outbox_add

    member = programme.member()
    first = outbox_add(event="welcome", membership=member, dedupe_key="welcome-again:1")
    second = outbox_add(event="welcome", membership=member, dedupe_key="welcome-again:1")
    assert first is not None and second is None
    assert Outbox.objects.filter(dedupe_key="welcome-again:1").count() == 1


def test_event_settings_start_with_defaults(programme) -> None:
    settings = event_settings()
    assert settings["points_earned"].channels() == ["push"]
    assert EventSetting.objects.count() == len(settings)


def test_a_new_merchants_owner_gets_a_welcome_mail_from_the_public_outbox(db, merchant_a) -> None:
    from django_tenants.utils import schema_context

    with schema_context("public"):
        message = Outbox.objects.get(dedupe_key=f"merchant-welcome:{merchant_a.merchant.pk}")
        assert (message.to_email, message.customer_id) == ("owner@alpha-cafe.test", None)
        relay_now()  # a worker may have done it already: either way, one mail
        (mail,) = Delivery.objects.filter(message=message)
    assert (mail.channel, mail.to, mail.status) == ("email", "owner@alpha-cafe.test", "recorded")
    assert mail.title == "Welcome to Loyalty, Alpha Café"
    assert "http://alpha-cafe.localhost/admin/" in mail.body


def test_a_long_broadcast_title_is_cut_not_lost(programme) -> None:
    from notifications.models import Broadcast, InboxItem
    from notifications.services import broadcast_send

    member = programme.member(name="N" * 120, marketing_consent=True)
    Device.objects.create(customer_id=member.customer_id, token="long-1", platform="ios")
    event_settings()["points_earned"]  # rows exist; a broadcast ignores them
    broadcast = Broadcast.objects.create(
        title_en="T" * 190 + " {name}", body_en="Hi", title_ar="ع", body_ar="مرحبا"
    )
    broadcast_send(broadcast_id=broadcast.pk)
    relay_now()

    item = InboxItem.objects.get(membership=member, event="broadcast")
    assert len(item.title) == 200 and item.title.endswith("…")
    delivery = Delivery.objects.get(message__membership_id=member.pk, message__event="broadcast")
    assert delivery.status == "recorded" and delivery.body == "Hi"


def test_a_broadcast_keeps_its_own_words_even_if_a_template_row_exists(programme) -> None:
    from notifications.models import Broadcast
    from notifications.services import broadcast_send

    EventSetting.objects.create(event="broadcast", body_en="Template text")
    member = programme.member(marketing_consent=True)
    Device.objects.create(customer_id=member.customer_id, token="own-1", platform="ios")
    broadcast = Broadcast.objects.create(
        title_en="Sale", body_en="Half price today", title_ar="تخفيضات", body_ar="نصف السعر"
    )
    broadcast_send(broadcast_id=broadcast.pk)
    relay_now()
    delivery = Delivery.objects.get(message__membership_id=member.pk, message__event="broadcast")
    assert delivery.body == "Half price today"


def test_old_finished_messages_are_pruned_and_waiting_ones_kept(programme) -> None:
    from messaging.outbox import outbox_add
    from messaging.retention import messages_prune
    from notifications.models import InboxItem

    member = programme.member()
    Device.objects.create(customer_id=member.customer_id, token="old-1", platform="ios")
    old = outbox_add(event="tier_downgraded", membership=member, tier="Bronze")
    waiting = outbox_add(event="birthday", membership=member, points=1, balance=1)
    relay_now()
    assert old is not None and waiting is not None
    Delivery.objects.filter(message=waiting).update(status="pending")
    long_ago = timezone.now() - datetime.timedelta(days=400)
    Outbox.objects.filter(pk__in=[old.pk, waiting.pk]).update(processed_at=long_ago)
    SentMessage.objects.filter(purpose="tier_downgraded").update(created_at=long_ago)

    assert messages_prune() >= 1
    assert not Outbox.objects.filter(pk=old.pk).exists()
    assert not Delivery.objects.filter(message_id=old.pk).exists()
    assert not SentMessage.objects.filter(purpose="tier_downgraded").exists()
    assert Outbox.objects.filter(pk=waiting.pk).exists()  # a delivery still waits
    assert InboxItem.objects.filter(membership=member, event="tier_downgraded").exists()
