from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PointsConfig(AppConfig):
    """Merchant schema: points settings, tiers, memberships and the ledger."""

    name = "points"
    verbose_name = _("Points")
