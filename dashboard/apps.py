from django.apps import AppConfig


class DashboardConfig(AppConfig):
    """The merchant dashboard: admin pages, home charts, counter page, join poster."""

    name = "dashboard"
