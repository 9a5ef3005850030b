from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    """Merchant schema: the members' inbox and broadcasts."""

    name = "notifications"
    verbose_name = _("Notifications")
