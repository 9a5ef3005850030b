"""The relay: turns outbox rows into deliveries, and sends deliveries.

Both halves claim their rows with `SELECT ... FOR UPDATE SKIP LOCKED`, so any number
of workers can run them side by side in one schema without taking the same row.

- `outbox_fan_out` claims a batch of pending outbox rows, and in one transaction puts
  each in the member's inbox, writes one `Delivery` per channel (unique per message and
  channel) and marks the rows done. A worker that dies half-way rolls all of it back;
  the rows are still pending for the next run.
- `deliveries_send` claims one due delivery at a time and keeps its row locked while
  the provider is called, then records the outcome in the same transaction. A task
  delivered twice finds the row locked or already sent, so a delivery goes out once;
  a worker that dies mid-send leaves it pending, so it goes out at least once.
"""

import datetime
import logging
import time
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.cache import caches
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext_noop as N_

from billing.models import Plan
from billing.selectors import plan_of, texts_used
from billing.services import texts_count
from customers.models import Customer, Device, NotificationPreference
from loyalty.db import connection
from tenants.models import Merchant
from webpush.selectors import push_subscriptions_of
from webpush.services import push_subscriptions_gone, push_subscriptions_used

from . import channels
from .models import Channel, Delivery, Event, EventSetting, Kind, Outbox, SentMessage
from .secrets import hidden, seal, unseal
from .texts import Text, language_written, render

logger = logging.getLogger(__name__)

PLATFORM_NAME = "Loyalty"

# Channels an event uses until the merchant chooses otherwise.
DEFAULT_CHANNELS: dict[str, tuple[str, ...]] = {
    Event.WELCOME: ("push", "email"),
    Event.POINTS_EARNED: ("push",),
    Event.TIER_UPGRADED: ("push", "email"),
    Event.TIER_AT_RISK: ("push", "email"),
    Event.TIER_DOWNGRADED: ("push",),
    Event.REDEMPTION_APPROVED: ("push", "sms"),
    Event.REDEMPTION_REJECTED: ("push",),
    Event.REDEMPTION_EXPIRED: ("push",),
    Event.POINTS_EXPIRING: ("push", "email"),
    Event.BIRTHDAY: ("push",),
    Event.BROADCAST: ("push",),
}
# Events whose channels and wording merchants set (a broadcast brings its own).
CUSTOMER_EVENTS = tuple(e for e in DEFAULT_CHANNELS if e != Event.BROADCAST)


class Skip(Exception):
    """A channel the message cannot take; the reason is shown in the delivery log
    (stored in English, shown in the reader's language)."""


# --- the merchant's choices ----------------------------------------------------------


def event_settings() -> dict[str, EventSetting]:
    """Every customer event's setting in this schema, creating missing ones with defaults."""
    found = {s.event: s for s in EventSetting.objects.all()}
    missing = [
        EventSetting(event=event, **{c: c in DEFAULT_CHANNELS[event] for c in Channel.values})
        for event in CUSTOMER_EVENTS
        if event not in found
    ]
    if missing:
        EventSetting.objects.bulk_create(missing, ignore_conflicts=True)
        found = {s.event: s for s in EventSetting.objects.all()}
    return found


def override_of(setting: EventSetting | None, language: str) -> tuple[str, str]:
    if setting is None or setting.event == Event.BROADCAST:
        return ("", "")
    return (getattr(setting, f"title_{language}"), getattr(setting, f"body_{language}"))


@dataclass
class Sender:
    """Who the messages of this schema come from."""

    merchant: Merchant | None
    plan: Plan | None

    @property
    def name(self) -> str:
        return self.merchant.name if self.merchant else PLATFORM_NAME

    def name_in(self, language: str) -> str:
        if self.merchant and language == "ar" and self.merchant.name_ar:
            return self.merchant.name_ar
        return self.name

    def logo_url(self) -> str:
        if not (self.merchant and self.merchant.logo):
            return ""
        from tenants.selectors import merchant_host

        return f"{settings.PUBLIC_SCHEME}://{merchant_host(self.merchant)}{self.merchant.logo.url}"

    def card_url(self) -> str:
        """The web card on the merchant's host: where a tap on a push opens."""
        if not self.merchant:
            return ""
        from tenants.selectors import merchant_card_url

        return merchant_card_url(self.merchant)

    def offers(self, channel: str) -> bool:
        """Whether the merchant's plan (and the platform) offers this channel."""
        if channel == Channel.WHATSAPP:
            return bool(settings.WHATSAPP_ENABLED and self.plan and self.plan.whatsapp)
        if channel == Channel.SMS:
            return bool(self.plan is None or self.plan.sms_per_month > 0)
        return True


def sender_current() -> Sender:
    if connection.schema_name == settings.PUBLIC_SCHEMA_NAME:
        return Sender(None, None)
    merchant = Merchant.objects.select_related("plan").get(schema_name=connection.schema_name)
    return Sender(merchant, plan_of(merchant))


# --- fan-out ------------------------------------------------------------------------


def quiet_until(now: datetime.datetime, zone: str) -> datetime.datetime | None:
    """The end of the customer's night, if it is night where they are."""
    try:
        tz = ZoneInfo(zone)
    except (KeyError, ValueError):
        tz = ZoneInfo(settings.TIME_ZONE)
    local = now.astimezone(tz)
    start, end = settings.QUIET_HOURS_START, settings.QUIET_HOURS_END
    night = local.hour >= start or local.hour < end if start > end else start <= local.hour < end
    if not night:
        return None
    wake = local.replace(hour=end, minute=0, second=0, microsecond=0)
    if wake <= local:
        wake += datetime.timedelta(days=1)
    return wake


def _address(channel: str, customer: Customer, tokens: list[str]) -> str:
    if channel == Channel.PUSH:
        return f"{len(tokens)} device(s)" if tokens else ""
    if channel == Channel.EMAIL:
        return customer.email
    return customer.phone


def _check(
    channel: str,
    kind: str,
    customer: Customer,
    preference: NotificationPreference,
    tokens: list[str],
    sender: Sender,
) -> str:
    """The channel's address for this customer, or Skip with the reason."""
    if not sender.offers(channel):
        raise Skip(N_("The merchant's plan does not include this channel."))
    if not customer.is_active:
        raise Skip(N_("The customer's account is closed."))
    if not preference.allows(channel, kind):
        raise Skip(
            N_("The customer turned off marketing messages on this channel.")
            if kind == Kind.MARKETING
            else N_("The customer turned off transactional messages on this channel.")
        )
    if kind == Kind.MARKETING and not customer.marketing_consent:
        raise Skip(N_("The customer has not agreed to marketing messages."))
    address = _address(channel, customer, tokens)
    if not address:
        raise Skip(N_("The customer has no address on this channel."))
    return address


def _channels_for(row: Outbox, settings_by_event: dict[str, EventSetting]) -> list[str]:
    if row.event == Event.BROADCAST:
        return [c for c in row.context.get("channels", []) if c in Channel.values]
    setting = settings_by_event.get(row.event)
    return setting.channels() if setting else list(DEFAULT_CHANNELS.get(row.event, ()))


def outbox_fan_out(*, batch: int = 200) -> int:
    """Fan out up to `batch` due outbox rows; returns how many."""
    from notifications.models import InboxItem
    from points.models import Membership

    now = timezone.now()
    with transaction.atomic():
        rows = list(
            Outbox.objects.select_for_update(skip_locked=True)
            .filter(status=Outbox.Status.PENDING, available_at__lte=now)
            .order_by("available_at", "id")[:batch]
        )
        if not rows:
            return 0
        sender = sender_current()
        by_event = event_settings() if sender.merchant else {}
        customer_ids = {r.customer_id for r in rows if r.customer_id}
        customers = Customer.objects.in_bulk(customer_ids)
        preferences = {
            p.customer_id: p
            for p in NotificationPreference.objects.filter(customer_id__in=customer_ids)
        }
        tokens: dict[int, list[str]] = {}
        for customer_id, token in Device.objects.filter(customer_id__in=customer_ids).values_list(
            "customer_id", "token"
        ):
            tokens.setdefault(customer_id, []).append(token)
        if sender.merchant:
            # Browsers subscribed on this merchant's host count as devices too.
            for subscription in push_subscriptions_of(
                customer_ids=list(customer_ids), merchant_id=sender.merchant.pk
            ):
                tokens.setdefault(subscription.customer_id, []).append(subscription.endpoint)
        members: set[int] = set()
        if sender.merchant:
            members = set(
                Membership.objects.filter(
                    pk__in={r.membership_id for r in rows if r.membership_id}
                ).values_list("pk", flat=True)
            )
        inbox: list[InboxItem] = []
        deliveries: list[Delivery] = []
        for row in rows:
            customer = customers.get(row.customer_id) if row.customer_id else None
            language = language_written(
                row.event,
                row.language or (customer.language if customer else "") or "ar",
                row.context,
            )
            setting = by_event.get(row.event)
            values = {"name": customer.name if customer else "", **row.context}
            secrets = unseal(row.secrets)
            text = render(
                row.event,
                language,
                {**values, **{k: hidden(v, language) for k, v in secrets.items()}},
                sender.name_in(language),
                override_of(setting, language),
            )
            sealed = ""
            if secrets:
                real = render(
                    row.event,
                    language,
                    {**values, **secrets},
                    sender.name_in(language),
                    override_of(setting, language),
                )
                if real != text:
                    sealed = seal({"title": real.title, "body": real.body})
            if row.membership_id in members:
                inbox.append(
                    InboxItem(
                        membership_id=row.membership_id,
                        message_id=row.pk,
                        event=row.event,
                        kind=row.kind,
                        title=clip(InboxItem, "title", text.title),
                        body=text.body,
                        data={
                            k: v
                            for k, v in row.context.items()
                            if not k.startswith(("title_", "body_", "channels"))
                        },
                    )
                )
            if customer is None:
                if row.to_email:
                    deliveries.append(
                        _delivery(row, Channel.EMAIL, row.to_email, language, text, now, sealed)
                    )
                continue
            preference = preferences.get(customer.pk) or NotificationPreference(customer=customer)
            wait = quiet_until(now, customer.time_zone) if row.kind == Kind.MARKETING else None
            for channel in _channels_for(row, by_event):
                delivery = _delivery(row, channel, "", language, text, wait or now, sealed)
                try:
                    delivery.to = _check(
                        channel, row.kind, customer, preference, tokens.get(customer.pk, []), sender
                    )
                except Skip as skip:
                    delivery.status = Delivery.Status.SKIPPED
                    delivery.last_error = str(skip)
                deliveries.append(delivery)
            row.status = Outbox.Status.DONE
        InboxItem.objects.bulk_create(inbox, ignore_conflicts=True)
        Delivery.objects.bulk_create(deliveries, ignore_conflicts=True)
        # The secrets now travel sealed in the deliveries: none stays on the row.
        Outbox.objects.filter(pk__in=[r.pk for r in rows]).update(
            status=Outbox.Status.DONE, processed_at=now, secrets=""
        )
    return len(rows)


def _delivery(
    row: Outbox,
    channel: str,
    to: str,
    language: str,
    text: Text,
    at: datetime.datetime,
    sealed: str = "",
) -> Delivery:
    return Delivery(
        message=row,
        channel=channel,
        to=to,
        language=language,
        title=clip(Delivery, "title", text.title),
        body=text.body,
        sealed=sealed,
        next_attempt_at=at,
    )


# --- sending ------------------------------------------------------------------------


def _throttle(channel: str) -> None:
    """Hold until this second's budget for the provider has room (shared by workers)."""
    limit = settings.NOTIFY_RATE_PER_SECOND.get(channel, 0)
    if limit <= 0:
        return
    while True:
        second = int(time.time())
        key = f"notify:rate:{channel}:{second}"
        counters = caches["platform"]
        counters.add(key, 0, timeout=5)
        used = counters.incr(key)
        if used <= limit:
            return
        time.sleep(max(0.0, second + 1 - time.time()))


def _outgoing(delivery: Delivery, sender: Sender, text: Text) -> channels.Outgoing:
    language = delivery.language
    if delivery.channel == Channel.SMS or delivery.channel == Channel.WHATSAPP:
        body = f"{sender.name_in(language)}: {text.body}"
        return channels.Outgoing(to=delivery.to, title="", body=body)
    if delivery.channel == Channel.EMAIL:
        name = sender.name_in(language)
        subject = text.title if name in text.title else f"{name}: {text.title}"
        html = render_to_string(
            "messaging/email.html",
            {
                "merchant": name,
                "logo_url": sender.logo_url(),
                "title": text.title,
                "body": text.body,
                "language": language,
                "rtl": language == "ar",
            },
        )
        return channels.Outgoing(
            to=delivery.to,
            title=subject,
            body=f"{text.title}\n\n{text.body}\n\n{name}",
            html=html,
            sender_name=name,
        )
    message = delivery.message
    tokens = list(
        Device.objects.filter(customer_id=message.customer_id or 0).values_list("token", flat=True)
    )
    subscriptions = (
        push_subscriptions_of(customer_ids=[message.customer_id], merchant_id=sender.merchant.pk)
        if sender.merchant and message.customer_id
        else []
    )
    return channels.Outgoing(
        to=delivery.to,
        title=text.title,
        body=text.body,
        tokens=tokens,
        data={
            "event": message.event,
            "message_id": str(message.pk),
            "merchant": sender.merchant.slug if sender.merchant else "",
        },
        subscriptions=[
            {"endpoint": s.endpoint, "keys": {"p256dh": s.p256dh, "auth": s.auth}}
            for s in subscriptions
        ],
        url=sender.card_url(),
        language=language,
        urgency="normal" if message.kind == Kind.MARKETING else "high",
    )


def clip(model: Any, field: str, value: str) -> str:
    """`value` cut to the column's length: a long name never fails a write."""
    limit = model._meta.get_field(field).max_length
    return value if len(value) <= limit else value[: limit - 1] + "…"


def _is_text(delivery: Delivery, sender: Sender) -> bool:
    return delivery.channel in (Channel.SMS, Channel.WHATSAPP) and sender.merchant is not None


def _texts_left(sender: Sender) -> bool:
    """Whether the plan's monthly text allowance has room (read, no lock held)."""
    assert sender.merchant is not None
    allowance = sender.plan.sms_per_month if sender.plan else 0
    return texts_used(sender.merchant) < allowance


def _deliver(delivery: Delivery, sender: Sender) -> None:
    """Send one claimed delivery and record the outcome on it (caller saves)."""
    now = timezone.now()
    delivery.attempts += 1
    if _is_text(delivery, sender) and not _texts_left(sender):
        delivery.status = Delivery.Status.SKIPPED
        delivery.last_error = N_("The plan's text messages for this month are used up.")
        delivery.sealed = ""
        return
    shown = Text(delivery.title, delivery.body)
    real = unseal(delivery.sealed)
    if delivery.sealed and not real:
        _failed(
            delivery,
            Exception(N_("The link in this message can no longer be read.")),
            permanent=True,
            now=now,
        )
        return
    try:
        outgoing = _outgoing(delivery, sender, Text(real["title"], real["body"]) if real else shown)
        result = channels.SENDERS[delivery.channel](outgoing)
    except (channels.Transient, channels.Permanent) as error:
        _dead_tokens(getattr(error, "dead_tokens", []))
        _dead_endpoints(getattr(error, "dead_endpoints", []))
        _failed(delivery, error, permanent=isinstance(error, channels.Permanent), now=now)
        return
    except Exception as error:  # a fault of ours: retried, and logged with its trace
        logger.exception("Delivery %s on %s failed", delivery.pk, delivery.channel)
        _failed(delivery, error, permanent=False, now=now)
        return
    # Sent: from here on nothing may fail the transaction, or the message would go
    # out again. Every value is cut to its column.
    _dead_tokens(result.dead_tokens)
    _dead_endpoints(result.dead_endpoints)
    push_subscriptions_used(endpoints=result.sent_endpoints)
    if _is_text(delivery, sender) and sender.merchant is not None:
        # Every text sent is counted. The allowance was checked before the send
        # without a lock, so two workers sending at the same moment may each send
        # the last one: the count can pass the allowance by one per worker, never
        # silently.
        texts_count(merchant_id=sender.merchant.pk)
    delivery.status = Delivery.Status.RECORDED if result.recorded else Delivery.Status.SENT
    delivery.provider_id = clip(Delivery, "provider_id", result.provider_id)
    delivery.sent_at = now
    delivery.last_error = ""
    delivery.sealed = ""
    # The record keeps a secret only when nothing was sent: then it is the way to read
    # it, from a shell (`manage.py sent_messages`). Once a provider has it, it is gone.
    visible = _outgoing(delivery, sender, shown) if real else outgoing
    kept = outgoing if result.recorded else visible
    SentMessage.objects.create(
        channel=delivery.channel,
        to=clip(SentMessage, "to", delivery.to),
        subject=clip(SentMessage, "subject", kept.title),
        body=kept.body,
        purpose=clip(SentMessage, "purpose", delivery.message.event),
        status=SentMessage.Status.RECORDED if result.recorded else SentMessage.Status.SENT,
        provider_id=clip(SentMessage, "provider_id", result.provider_id),
        delivery_id=delivery.pk,
    )
    if result.recorded:
        logger.info(
            "%s to %s recorded, not sent (no credentials): %s %s",
            delivery.channel,
            delivery.to,
            visible.title,
            visible.body,
        )


def _failed(
    delivery: Delivery, error: Exception, *, permanent: bool, now: datetime.datetime
) -> None:
    delivery.last_error = str(error)[:2000] or error.__class__.__name__
    if permanent or delivery.attempts >= settings.NOTIFY_MAX_ATTEMPTS:
        delivery.status = Delivery.Status.DEAD
        logger.warning("Delivery %s dead-lettered: %s", delivery.pk, delivery.last_error)
        return
    wait = settings.NOTIFY_RETRY_BASE_SECONDS * 2 ** (delivery.attempts - 1)
    delivery.next_attempt_at = not_at_night(
        delivery.message, now + datetime.timedelta(seconds=wait)
    )


def not_at_night(message: Outbox, at: datetime.datetime) -> datetime.datetime:
    """`at`, or the customer's next morning when `at` falls in their night and the
    message is marketing. Retries and "send again" follow the same rule."""
    if message.kind != Kind.MARKETING or not message.customer_id:
        return at
    zone = (
        Customer.objects.filter(pk=message.customer_id).values_list("time_zone", flat=True).first()
    )
    return quiet_until(at, zone or settings.TIME_ZONE) or at


def _dead_tokens(tokens: list[str]) -> None:
    if tokens:
        removed, _ = Device.objects.filter(token__in=tokens).delete()
        logger.info("Removed %s push token(s) FCM reports unregistered", removed)


def _dead_endpoints(endpoints: list[str]) -> None:
    if endpoints:
        removed = push_subscriptions_gone(endpoints=endpoints)
        logger.info("Removed %s web push subscription(s) the push service reports gone", removed)


def deliveries_send(*, seconds: float = 20.0) -> int:
    """Send due deliveries, one transaction each, for about `seconds`; returns how many."""
    deadline = time.monotonic() + seconds
    sender: Sender | None = None
    done = 0
    while time.monotonic() < deadline:
        with transaction.atomic():
            delivery = (
                Delivery.objects.select_for_update(skip_locked=True, of=("self",))
                .select_related("message")
                .filter(status=Delivery.Status.PENDING, next_attempt_at__lte=timezone.now())
                .order_by("next_attempt_at", "id")
                .first()
            )
            if delivery is None:
                break
            sender = sender or sender_current()
            _throttle(delivery.channel)
            _deliver(delivery, sender)
            delivery.save()
        done += 1
    return done


def work_due() -> bool:
    now = timezone.now()
    return (
        Outbox.objects.filter(status=Outbox.Status.PENDING, available_at__lte=now).exists()
        or Delivery.objects.filter(
            status=Delivery.Status.PENDING, next_attempt_at__lte=now
        ).exists()
    )


def deliveries_retry(ids: list[int]) -> int:
    """Put dead-lettered deliveries back in the queue (dashboard action)."""
    from .outbox import relay_kick_on_commit

    now = timezone.now()
    count = 0
    for delivery in Delivery.objects.filter(pk__in=ids, status=Delivery.Status.DEAD).select_related(
        "message"
    ):
        delivery.status = Delivery.Status.PENDING
        delivery.attempts = 0
        delivery.last_error = ""
        delivery.next_attempt_at = not_at_night(delivery.message, now)
        delivery.save(update_fields=["status", "attempts", "last_error", "next_attempt_at"])
        count += 1
    if count:
        relay_kick_on_commit()
    return count
