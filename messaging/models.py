import re

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext


class SentMessage(models.Model):
    """One message handed to a channel: sent by its provider, or recorded when the
    channel has no credentials (development, demo, tests)."""

    class Channel(models.TextChoices):
        SMS = "sms", "SMS"
        WHATSAPP = "whatsapp", "WhatsApp"
        EMAIL = "email", _("Email")
        PUSH = "push", _("Push")

    class Status(models.TextChoices):
        RECORDED = "recorded", _("Recorded (no credentials)")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    channel = models.CharField(max_length=10, choices=Channel.choices)
    to = models.CharField(max_length=255)
    subject = models.CharField(max_length=255, blank=True)
    body = models.TextField()
    purpose = models.CharField(max_length=40, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices)
    provider_id = models.CharField(max_length=100, blank=True)
    error = models.TextField(blank=True)
    delivery_id = models.BigIntegerField(
        null=True, blank=True, help_text=_("The delivery it was sent for, if any.")
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("sent message")
        verbose_name_plural = _("sent messages")
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.channel} → {self.to} ({self.status})"


class Event(models.TextChoices):
    WELCOME = "welcome", _("Welcome")
    POINTS_EARNED = "points_earned", _("Points earned")
    TIER_UPGRADED = "tier_upgraded", _("Tier upgrade")
    TIER_AT_RISK = "tier_at_risk", _("Tier at risk")
    TIER_DOWNGRADED = "tier_downgraded", _("Tier downgrade")
    REDEMPTION_APPROVED = "redemption_approved", _("Reward ready (redemption approved)")
    REDEMPTION_REJECTED = "redemption_rejected", _("Redemption rejected")
    REDEMPTION_EXPIRED = "redemption_expired", _("Redemption expired")
    POINTS_EXPIRING = "points_expiring", _("Points expiring")
    BIRTHDAY = "birthday", _("Birthday")
    BROADCAST = "broadcast", _("Merchant broadcast")
    MERCHANT_WELCOME = "merchant_welcome", _("New merchant welcome (to the owner)")
    STAFF_INVITE = "staff_invite", _("Staff invitation")
    OWNER_EMAIL_CHECK = "owner_email_check", _("Owner's email address check")
    STAFF_PASSWORD_RESET = "staff_password_reset", _("Staff password reset")
    TRIAL_ENDING = "trial_ending", _("Trial ending soon (to the owner)")
    MERCHANT_READ_ONLY = "merchant_read_only", _("Dashboard read-only (to the owner)")


class Kind(models.TextChoices):
    TRANSACTIONAL = "transactional", _("Transactional")
    MARKETING = "marketing", _("Marketing")


# Marketing waits for the day in the customer's time zone and needs their consent.
MARKETING_EVENTS = frozenset({Event.BIRTHDAY, Event.BROADCAST})


class Channel(models.TextChoices):
    PUSH = "push", _("Push")
    EMAIL = "email", _("Email")
    SMS = "sms", "SMS"
    WHATSAPP = "whatsapp", "WhatsApp"


class Outbox(models.Model):
    """Something to tell someone, written in the same transaction as the change that
    causes it (in a merchant's schema, or in the public schema for platform mail).

    The relay claims pending rows, decides the channels and writes one `Delivery` per
    channel; then the row is done. `dedupe_key` makes a repeated write a no-op.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        DONE = "done", _("Fanned out")

    event = models.CharField(max_length=30, choices=Event.choices)
    kind = models.CharField(max_length=15, choices=Kind.choices, default=Kind.TRANSACTIONAL)
    customer_id = models.BigIntegerField(null=True, blank=True)
    membership_id = models.BigIntegerField(null=True, blank=True)
    broadcast_id = models.BigIntegerField(null=True, blank=True)
    to_email = models.EmailField(
        blank=True, help_text=_("For mail to someone who is not a customer.")
    )
    language = models.CharField(max_length=2, blank=True)
    context = models.JSONField(default=dict, blank=True)
    # The `secret_*` values of the context, encrypted (messaging.secrets); wiped at fan-out.
    secrets = models.TextField(blank=True, default="", db_default="")
    dedupe_key = models.CharField(max_length=100, null=True, blank=True, unique=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    available_at = models.DateTimeField(default=timezone.now)
    created_at = models.DateTimeField(default=timezone.now)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("outgoing message")
        verbose_name_plural = _("outgoing messages")
        indexes = [
            models.Index(
                fields=["available_at", "id"],
                name="outbox_pending",
                condition=models.Q(status="pending"),
            ),
            models.Index(fields=["membership_id", "event"], name="outbox_membership"),
            models.Index(fields=["broadcast_id"], name="outbox_broadcast"),
        ]

    def __str__(self) -> str:
        return f"{self.get_event_display()} #{self.pk}"


class Delivery(models.Model):
    """One outbox message on one channel: at most one per (message, channel)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting")
        SENT = "sent", _("Sent")
        RECORDED = "recorded", _("Recorded (no credentials)")
        SKIPPED = "skipped", _("Skipped")
        DEAD = "dead", _("Failed (dead letter)")

    # delivery_once_per_channel (message, channel) serves every lookup by message.
    message = models.ForeignKey(
        Outbox,
        on_delete=models.CASCADE,
        related_name="deliveries",
        db_index=False,
        verbose_name=_("message"),
    )
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    to = models.CharField(_("to"), max_length=255, blank=True)
    language = models.CharField(_("language"), max_length=2, default="ar")
    title = models.CharField(_("title"), max_length=200, blank=True)
    body = models.TextField(_("text"))
    # The text as sent when it holds a secret (the stored title and body show it
    # hidden), encrypted; kept until the provider has it, so a retry can send it.
    sealed = models.TextField(blank=True, default="", db_default="")
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), default=timezone.now)
    provider_id = models.CharField(_("provider's id"), max_length=255, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        constraints = [
            models.UniqueConstraint(fields=["message", "channel"], name="delivery_once_per_channel")
        ]
        indexes = [
            models.Index(
                fields=["next_attempt_at", "id"],
                name="delivery_due",
                condition=models.Q(status="pending"),
            ),
            models.Index(fields=["status", "-id"], name="delivery_status"),
        ]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} → {self.recipient()} ({self.get_status_display()})"

    def recipient(self) -> str:
        """Who the message went to, for people: a push names its devices by number in
        the reader's language (`to` keeps the relay's "N device(s)")."""
        if self.channel == Channel.PUSH:
            match = re.match(r"(\d+) device", self.to)
            if match:
                count = int(match.group(1))
                return ngettext("%(count)d device", "%(count)d devices", count) % {"count": count}
        return self.to or "-"


class EventSetting(models.Model):
    """A merchant's choice of channels for one event, and its own wording if any.
    Empty texts fall back to the product's defaults (see `messaging.texts`)."""

    event = models.CharField(_("event"), max_length=30, choices=Event.choices, unique=True)
    push = models.BooleanField(_("push"), default=True)
    email = models.BooleanField(_("email"), default=False)
    sms = models.BooleanField("SMS", default=False)
    whatsapp = models.BooleanField("WhatsApp", default=False)
    title_en = models.CharField(_("title (English)"), max_length=200, blank=True)
    body_en = models.TextField(_("text (English)"), blank=True)
    title_ar = models.CharField(_("title (Arabic)"), max_length=200, blank=True)
    body_ar = models.TextField(_("text (Arabic)"), blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("notification template")
        verbose_name_plural = _("notification templates")

    def __str__(self) -> str:
        return self.get_event_display()

    def channels(self) -> list[str]:
        return [c for c in Channel.values if getattr(self, c)]
