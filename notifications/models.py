"""The in-app inbox and merchant broadcasts (merchant schema).

Every message to a member is written to `messaging.Outbox` first; the relay puts it
in the member's inbox and hands it to the channels.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from messaging.models import Event, Kind


class InboxItem(models.Model):
    # inbox_by_member (membership, -id) serves every lookup by member.
    membership = models.ForeignKey(
        "points.Membership", on_delete=models.CASCADE, related_name="inbox", db_index=False
    )
    message_id = models.BigIntegerField(unique=True, help_text=_("The outbox row it came from."))
    event = models.CharField(_("event"), max_length=30, choices=Event.choices)
    kind = models.CharField(_("kind"), max_length=15, choices=Kind.choices)
    title = models.CharField(_("title"), max_length=200, blank=True)
    body = models.TextField(_("text"))
    data = models.JSONField(default=dict, blank=True)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("inbox message")
        verbose_name_plural = _("inbox messages")
        indexes = [
            models.Index(fields=["membership", "-id"], name="inbox_by_member"),
            models.Index(
                fields=["membership"],
                name="inbox_unread",
                condition=models.Q(read_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return self.title or self.body[:40]


class Broadcast(models.Model):
    """A message from the merchant to a segment of its members."""

    class Segment(models.TextChoices):
        ALL = "all", _("All members")
        TIER = "tier", _("Members of a tier")
        INACTIVE_30 = "inactive_30", _("Members inactive for 30 days or more")
        BIRTHDAY_MONTH = "birthday_month", _("Members with a birthday this month")

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")

    title_en = models.CharField(_("title (English)"), max_length=200)
    body_en = models.TextField(_("text (English)"))
    # Optional: members who chose Arabic get the English text when there is none.
    title_ar = models.CharField(_("title (Arabic)"), max_length=200, blank=True)
    body_ar = models.TextField(_("text (Arabic)"), blank=True)
    segment = models.CharField(
        _("segment"), max_length=20, choices=Segment.choices, default=Segment.ALL
    )
    tier = models.ForeignKey(
        "points.Tier",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        # A merchant has tens of broadcasts: no index (a relation in every schema)
        # for the check that a deleted tier has none.
        db_index=False,
        verbose_name=_("tier"),
    )
    push = models.BooleanField(_("push"), default=True)
    email = models.BooleanField(_("email"), default=False)
    sms = models.BooleanField("SMS", default=False)
    whatsapp = models.BooleanField("WhatsApp", default=False)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    audience_size = models.PositiveIntegerField(_("audience"), default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,  # as `tier`: only a deleted staff user looks broadcasts up by it
        verbose_name=_("written by"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("broadcast")
        verbose_name_plural = _("broadcasts")

    def __str__(self) -> str:
        return self.title_en

    def channels(self) -> list[str]:
        return [c for c in ("push", "email", "sms", "whatsapp") if getattr(self, c)]
