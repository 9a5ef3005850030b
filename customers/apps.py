from django.apps import AppConfig


class CustomersConfig(AppConfig):
    """Public schema: the customer identity shared by every merchant."""

    name = "customers"
