from django.db import models
from django.db.models import Q


class SetupProgress(models.Model):
    """Steps of the setup checklist that leave no other trace (one row per merchant)."""

    points_at = models.DateTimeField(null=True, blank=True)
    poster_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(pk=1), name="setup_single_row")]

    def __str__(self) -> str:
        return "setup progress"
