from django.apps import AppConfig


class TenantsConfig(AppConfig):
    name = "tenants"
    verbose_name = "Merchants"

    def ready(self) -> None:
        from . import signals  # noqa: F401  (host-lookup cache invalidation)
