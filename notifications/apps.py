from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    """Merchant schema: the notification outbox and delivery log."""

    name = "notifications"
