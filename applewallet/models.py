"""Apple Wallet passes of a merchant's members (merchant schema).

A member has at most one pass. Its serial number is random; its authentication token
(what Apple's devices send back as `ApplePass <token>`) is derived from the secret key
and stored here only as a hash. `changed_at` is when what the pass shows last changed:
the web service's Last-Modified and its "updated since" tag.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class WalletPass(models.Model):
    membership = models.OneToOneField(
        "points.Membership",
        on_delete=models.CASCADE,
        related_name="apple_pass",
        verbose_name=_("member"),
    )
    serial_number = models.CharField(_("serial number"), max_length=64, unique=True)
    token_hash = models.CharField(_("authentication token (SHA-256)"), max_length=64)
    changed_at = models.DateTimeField(_("changed"))
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("Apple Wallet pass")
        verbose_name_plural = _("Apple Wallet passes")

    def __str__(self) -> str:
        return self.serial_number


DEVICE_ID_MAX = 128


class Registration(models.Model):
    """A device that keeps the pass and wants a push when it changes."""

    wallet_pass = models.ForeignKey(
        WalletPass, on_delete=models.CASCADE, related_name="registrations"
    )
    device_library_id = models.CharField(_("device library identifier"), max_length=DEVICE_ID_MAX)
    push_token = models.CharField(_("push token"), max_length=200)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("Apple Wallet registration")
        verbose_name_plural = _("Apple Wallet registrations")
        constraints = [
            models.UniqueConstraint(
                fields=["device_library_id", "wallet_pass"], name="applewallet_one_per_device"
            )
        ]
        # Lookups by device use applewallet_one_per_device, which starts with it.

    def __str__(self) -> str:
        return self.device_library_id
