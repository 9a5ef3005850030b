from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BillingConfig(AppConfig):
    """Public schema: plans and merchant subscriptions."""

    name = "billing"
    verbose_name = _("Billing")
