"""Reads about rewards and redemptions shared by the API and the dashboards."""

import datetime
import functools

from django.db.models import QuerySet

from loyalty import rows
from loyalty.db import connection
from points.models import Membership, Tier

from .codes import voucher_code_normalize
from .models import Redemption, Reward, RewardCategory


def rewards_available(
    *, at: datetime.datetime, category_id: int | None = None, pk: int | None = None
) -> list[Reward]:
    """Active rewards within their dates (stock may be zero: shown as sold out), the
    cheapest first (then by name), each with its category and minimum tier; only those of
    `category_id`, or only the reward `pk`, when given.

    Every member's rewards list starts here: one statement built once for each kind of
    filter, rather than a queryset compiled on each request (about 40% of the list's
    CPU)."""
    params = {"at": at, "category": category_id, "pk": pk}
    with connection.cursor() as cursor:
        cursor.execute(_rewards_sql(category_id is not None, pk is not None), params)
        found = cursor.fetchall()
    reward_end = rows.width(Reward)
    category_end = reward_end + rows.width(RewardCategory)
    rewards = []
    for row in found:
        reward = rows.from_row(Reward, row[:reward_end])
        category, tier = row[reward_end:category_end], row[category_end:]
        reward.category = rows.from_row(RewardCategory, category) if category[0] else None
        reward.min_tier = rows.from_row(Tier, tier) if tier[0] else None
        rewards.append(reward)
    return rewards


@functools.cache
def _rewards_sql(by_category: bool, by_pk: bool) -> str:
    return f"""
        SELECT {rows.columns(Reward, "r")}, {rows.columns(RewardCategory, "k")},
               {rows.columns(Tier, "t")}
        FROM {Reward._meta.db_table} r
        LEFT JOIN {RewardCategory._meta.db_table} k ON k.id = r.category_id
        LEFT JOIN {Tier._meta.db_table} t ON t.id = r.min_tier_id
        WHERE r.is_active
          AND (r.valid_from IS NULL OR r.valid_from <= %(at)s)
          AND (r.valid_to IS NULL OR r.valid_to >= %(at)s)
          {"AND r.category_id = %(category)s" if by_category else ""}
          {"AND r.id = %(pk)s" if by_pk else ""}
        ORDER BY r.points_cost, r.name, r.id
    """


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
