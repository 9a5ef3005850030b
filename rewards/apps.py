from django.apps import AppConfig


class RewardsConfig(AppConfig):
    """Merchant schema: rewards and redemptions."""

    name = "rewards"
