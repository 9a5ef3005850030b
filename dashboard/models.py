from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class SetupProgress(models.Model):
    """Steps of the setup checklist that leave no other trace (one row per merchant)."""

    points_at = models.DateTimeField(null=True, blank=True)
    poster_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("setup progress")
        verbose_name_plural = _("setup progress")
        constraints = [models.CheckConstraint(condition=Q(pk=1), name="setup_single_row")]

    def __str__(self) -> str:
        return "setup progress"
