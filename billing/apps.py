from django.apps import AppConfig


class BillingConfig(AppConfig):
    """Public schema: plans and merchant subscriptions."""

    name = "billing"
