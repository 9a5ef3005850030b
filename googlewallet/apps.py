from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GooglewalletConfig(AppConfig):
    """Merchant schema: each member's Google Wallet loyalty object."""

    name = "googlewallet"
    verbose_name = _("Google Wallet")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from customers.signals import customer_closed
        from points.signals import balance_changed

        from .receivers import balance_changed_sync, customer_closed_erase

        balance_changed.connect(balance_changed_sync, dispatch_uid="googlewallet-balance")
        customer_closed.connect(customer_closed_erase, dispatch_uid="googlewallet-closed")
