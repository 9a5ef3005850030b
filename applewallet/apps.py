from django.apps import AppConfig


class AppleWalletConfig(AppConfig):
    name = "applewallet"
    verbose_name = "Apple Wallet"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from customers.signals import customer_closed
        from points.signals import balance_changed, tier_changed

        from .receivers import pass_refresh_queue, passes_erase

        balance_changed.connect(pass_refresh_queue, dispatch_uid="applewallet.balance")
        tier_changed.connect(pass_refresh_queue, dispatch_uid="applewallet.tier")
        customer_closed.connect(passes_erase, dispatch_uid="applewallet.closed")
