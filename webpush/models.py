"""A browser's Web Push subscription (public schema): where the push service of the
customer's browser takes messages for them, and the keys that encrypt each one.

A subscription is made on one merchant's host (its service worker's origin): only that
merchant's messages go to it, so a browser never shows one shop's news under another
shop's address."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from customers.models import Customer


class PushSubscription(models.Model):
    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="push_subscriptions"
    )
    merchant = models.ForeignKey("tenants.Merchant", on_delete=models.CASCADE, related_name="+")
    # The push service's URL for this browser (PushSubscription.endpoint).
    endpoint = models.URLField(max_length=1024, unique=True)
    # The browser's P-256 public key and its 16-byte auth secret, base64url.
    p256dh = models.CharField(max_length=100)
    auth = models.CharField(max_length=30)
    created_at = models.DateTimeField(auto_now_add=True)
    # The last time the browser subscribed again or the push service took a message.
    last_used_at = models.DateTimeField()

    class Meta:
        verbose_name = _("web push subscription")
        verbose_name_plural = _("web push subscriptions")
        indexes = [models.Index(fields=["customer", "merchant"])]

    def __str__(self) -> str:
        return f"web push subscription of {self.customer_id}"
