from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DashboardConfig(AppConfig):
    """The merchant dashboard: admin pages, home charts, counter page, join poster."""

    name = "dashboard"
    verbose_name = _("Dashboard")
