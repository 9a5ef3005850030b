from django.utils import timezone

from .models import SetupProgress


def setup_step_done(*, step: str) -> None:
    """Record a checklist step (`points` or `poster`) the first time it is done."""
    field = {"points": "points_at", "poster": "poster_at"}[step]
    progress, _ = SetupProgress.objects.get_or_create(pk=1)
    if getattr(progress, field) is None:
        setattr(progress, field, timezone.now())
        progress.save(update_fields=[field])
