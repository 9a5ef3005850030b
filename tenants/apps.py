from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TenantsConfig(AppConfig):
    name = "tenants"
    verbose_name = _("Merchants")

    def ready(self) -> None:
        from . import signals  # noqa: F401  (host-lookup cache invalidation)
