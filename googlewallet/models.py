from django.db import models
from django.utils.translation import gettext_lazy as _


class WalletObject(models.Model):
    """A member's loyalty object at Google Wallet: made when the member first asks to
    save the card, then patched after each balance change. `synced_*` are what Google
    shows now; `last_error` the last refusal or failure of a call (empty once one works).
    """

    membership = models.OneToOneField(
        "points.Membership",
        on_delete=models.PROTECT,
        related_name="google_wallet",
        verbose_name=_("member"),
    )
    object_id = models.CharField(_("object id"), max_length=200, unique=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    synced_points = models.BigIntegerField(_("points shown"))
    synced_tier = models.CharField(_("tier shown"), max_length=120, blank=True)
    synced_at = models.DateTimeField(_("last synced"))
    last_error = models.TextField(_("last error"), blank=True)
    last_error_at = models.DateTimeField(_("last error at"), null=True, blank=True)

    class Meta:
        verbose_name = _("Google Wallet card")
        verbose_name_plural = _("Google Wallet cards")

    def __str__(self) -> str:
        return self.object_id
