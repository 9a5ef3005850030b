"""The notification outbox (merchant schema).

Rows are written in the same transaction as the change that causes them; the relay
(Notifications) delivers them. Until it runs they wait as `pending`.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class OutboxMessage(models.Model):
    class Event(models.TextChoices):
        WELCOME = "welcome", _("Welcome")
        POINTS_EARNED = "points_earned", _("Points earned")
        TIER_UPGRADED = "tier_upgraded", _("Tier upgrade")
        TIER_AT_RISK = "tier_at_risk", _("Tier at risk")
        TIER_DOWNGRADED = "tier_downgraded", _("Tier downgrade")
        REDEMPTION_APPROVED = "redemption_approved", _("Redemption approved")
        REDEMPTION_REJECTED = "redemption_rejected", _("Redemption rejected")
        REDEMPTION_EXPIRED = "redemption_expired", _("Redemption expired")
        POINTS_EXPIRING = "points_expiring", _("Points expiring")
        BIRTHDAY = "birthday", _("Birthday")

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    event = models.CharField(max_length=30, choices=Event.choices)
    membership = models.ForeignKey(
        "points.Membership", on_delete=models.PROTECT, related_name="outbox"
    )
    customer_id = models.BigIntegerField()
    context = models.JSONField(default=dict)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["status", "id"])]

    def __str__(self) -> str:
        return f"{self.event} to customer {self.customer_id}"
