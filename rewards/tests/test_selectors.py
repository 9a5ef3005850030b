"""The rewards a member is offered: which, in what order, and with what attached."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from points.tests.factories import Programme
from rewards.models import Reward
from rewards.selectors import rewards_available

pytestmark = pytest.mark.django_db
AMMAN = ZoneInfo("Asia/Amman")
NOW = dt.datetime(2026, 12, 1, 10, 0, tzinfo=AMMAN)


def test_rewards_offered_are_active_within_their_dates_cheapest_first(
    programme: Programme,
) -> None:
    hour = dt.timedelta(hours=1)
    make = Reward.objects.create
    mug = make(name="Mug", points_cost=600, min_tier=programme.gold, category=programme.drinks)
    cake = make(name="Cake", points_cost=100, valid_from=NOW - hour, valid_to=NOW + hour)
    bag = make(name="Bag", points_cost=100, valid_to=NOW)  # its last instant
    make(name="Hidden", points_cost=1, is_active=False)
    make(name="Not yet", points_cost=1, valid_from=NOW + hour)
    make(name="Over", points_cost=1, valid_to=NOW - hour)

    with CaptureQueriesContext(connection) as queries:
        offered = rewards_available(at=NOW)
        by_category = rewards_available(at=NOW, category_id=programme.drinks.pk)
        one = rewards_available(at=NOW, pk=mug.pk)
    hidden = rewards_available(at=NOW, pk=Reward.objects.get(name="Hidden").pk)

    coffee = programme.free_coffee  # 100 points, in Drinks
    assert len(queries) == 3  # categories and tiers come with the rewards
    # By cost, then name, then id: "Bag" < "Cake" < "Free Coffee".
    assert [r.pk for r in offered] == [bag.pk, cake.pk, coffee.pk, mug.pk]
    assert [r.pk for r in by_category] == [coffee.pk, mug.pk]
    assert [r.pk for r in one] == [mug.pk] and hidden == []
    assert (one[0].category, one[0].min_tier) == (programme.drinks, programme.gold)
    assert one[0].category is not None and one[0].min_tier is not None
    assert (one[0].category.name, one[0].min_tier.rank) == ("Drinks", programme.gold.rank)
    assert offered[0].category is None and offered[0].min_tier is None
    assert offered[1].valid_to == NOW + hour
