"""Reads about rewards and redemptions shared by the API and the dashboards."""

import datetime

from django.db.models import Q, QuerySet

from points.models import Membership

from .codes import voucher_code_normalize
from .models import Redemption, Reward, RewardCategory


def rewards_available(*, at: datetime.datetime) -> QuerySet[Reward]:
    """Active rewards within their dates (stock may be zero: shown as sold out)."""
    return (
        Reward.objects.filter(is_active=True)
        .filter(Q(valid_from__isnull=True) | Q(valid_from__lte=at))
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=at))
        .select_related("category", "min_tier")
    )


def reward_eligible(reward: Reward, membership: Membership | None) -> bool:
    if reward.min_tier is None:
        return True
    return (
        membership is not None
        and membership.tier is not None
        and membership.tier.rank >= reward.min_tier.rank
    )


def redemptions_of_member(membership: Membership) -> QuerySet[Redemption]:
    return Redemption.objects.filter(membership=membership).select_related("reward")


def redemptions_queue(*, status: str | None = None) -> QuerySet[Redemption]:
    """Staff's queue: pending first (oldest first), then the rest, newest first."""
    redemptions = Redemption.objects.select_related(
        "reward", "membership__customer", "membership__tier"
    )
    if status:
        return redemptions.filter(status=status).order_by("created_at")
    return redemptions.order_by("-created_at")


def redemption_by_code(code: str) -> Redemption | None:
    return (
        Redemption.objects.select_related("reward", "membership__customer", "membership__tier")
        .filter(voucher_code=voucher_code_normalize(code))
        .first()
    )


def category_exists(category_id: int) -> bool:
    return RewardCategory.objects.filter(pk=category_id).exists()
