from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CustomersConfig(AppConfig):
    """Public schema: the customer identity shared by every merchant."""

    name = "customers"
    verbose_name = _("Customers")
