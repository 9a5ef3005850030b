from django.db import models
from django.utils.translation import gettext_lazy as _


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
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.channel} to {self.to} ({self.status})"
