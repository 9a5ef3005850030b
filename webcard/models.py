"""The customer's sign-in on the web card (public schema): one row per browser that
signed in on one host. The browser keeps a random key in a host-only cookie; only the
key's hash is stored, so a copy of the table signs nobody in."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from customers.models import Customer


class CardSession(models.Model):
    key_hash = models.CharField(max_length=64, unique=True)
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="card_sessions")
    # The merchant whose host the browser signed in on; empty on the root domain. A
    # cookie copied to another host signs nobody in there.
    merchant = models.ForeignKey(
        "tenants.Merchant", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    user_agent = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_seen_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("web card sign-in")
        verbose_name_plural = _("web card sign-ins")
        indexes = [models.Index(fields=["customer", "-last_seen_at"])]

    def __str__(self) -> str:
        return f"web card sign-in of {self.customer_id}"
