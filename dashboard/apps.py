from django.apps import AppConfig, apps
from django.utils.translation import gettext_lazy as _


class DashboardConfig(AppConfig):
    """The merchant dashboard: admin pages, home charts, counter page, join poster."""

    name = "dashboard"
    verbose_name = _("Dashboard")

    def ready(self) -> None:
        # Django's accounts app holds the staff here, and its name heads the staff
        # pages: "Staff", not "Authentication and Authorization". Named at start-up
        # rather than by a custom AppConfig in INSTALLED_APPS, which tools that look
        # for "django.contrib.auth" there (django-stubs) would no longer find.
        apps.get_app_config("auth").verbose_name = _("Staff")
