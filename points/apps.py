from django.apps import AppConfig


class PointsConfig(AppConfig):
    """Merchant schema: points settings, tiers, memberships and the ledger."""

    name = "points"
