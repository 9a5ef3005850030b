"""The tier ladder: the entry tier every programme starts with, the rules an owner's
ladder keeps, where a new member lands, and the migration that gave existing merchants
their entry tier."""

from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db.migrations.executor import MigrationExecutor
from django_tenants.utils import schema_context

from loyalty.db import connection
from points.models import Membership, PointsSettings, Tier
from points.selectors import tier_for_metric, tiers_ordered
from points.services import membership_join, tier_save
from points.tests.factories import customer_make
from tests.api import api, customer_sign_in, staff_sign_in
from tests.fixtures import PASSWORD

pytestmark = pytest.mark.django_db


def ladder() -> list[tuple[int, str, str, Decimal, Decimal]]:
    return list(
        Tier.objects.order_by("rank").values_list(
            "rank", "name", "name_ar", "threshold", "multiplier"
        )
    )


@pytest.fixture
def in_b(merchant_b: Any) -> Any:
    with schema_context(merchant_b.schema):
        yield merchant_b


def silver_add() -> Tier:
    return tier_save(tier=Tier(name="Silver", name_ar="فضي", threshold=100, multiplier=1.5))


def refused(tier: Tier) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as error:
        tier_save(tier=tier)
    return error.value.message_dict


def test_a_new_merchant_starts_with_the_entry_tier(merchant_a, merchant_b) -> None:
    # The first merchant of a run is migrated, the next ones replay the recorded script.
    for merchant in (merchant_a, merchant_b):
        with schema_context(merchant.schema):
            assert ladder() == [(0, "Member", "عضو", Decimal("0"), Decimal("1"))]


def test_a_new_member_with_no_points_is_in_the_entry_tier_not_in_silver(in_b) -> None:
    silver = silver_add()

    member = membership_join(customer=customer_make())

    entry = Tier.objects.get(threshold=0)
    assert member.tier == entry
    assert member.tier.name == "Member"
    assert tier_for_metric(tiers_ordered(), Decimal("99")) == entry
    assert tier_for_metric(tiers_ordered(), Decimal("100")) == silver


def test_ranks_follow_thresholds_whatever_order_tiers_are_added_in(in_b) -> None:
    tier_save(tier=Tier(name="Gold", threshold=500, multiplier=2))
    silver_add()

    assert ladder() == [
        (0, "Member", "عضو", Decimal("0"), Decimal("1")),
        (1, "Silver", "فضي", Decimal("100"), Decimal("1.5")),
        (2, "Gold", "", Decimal("500"), Decimal("2")),
    ]


def test_the_entry_tier_is_renamed_but_keeps_its_threshold(in_b) -> None:
    entry = Tier.objects.get(threshold=0)
    entry.name, entry.name_ar, entry.multiplier = "Friend", "صديق", Decimal("1.2")
    tier_save(tier=entry)
    before = ladder()

    entry.threshold = Decimal("50")
    errors = refused(entry)

    assert before == [(0, "Friend", "صديق", Decimal("0"), Decimal("1.2"))]
    assert errors == {
        "threshold": [
            "Friend is the entry tier: every member starts in it, so its threshold stays 0."
        ]
    }
    assert ladder() == before


def test_each_tier_has_its_own_threshold(in_b) -> None:
    silver_add()
    before = ladder()

    same_as_silver = refused(Tier(name="Gold", threshold=100, multiplier=2))
    same_as_entry = refused(Tier(name="Gold", threshold=0, multiplier=2))
    negative = refused(Tier(name="Gold", threshold=-5, multiplier=2))

    assert same_as_silver == {
        "threshold": ["Silver already starts at 100 points. Each tier has its own threshold."]
    }
    assert same_as_entry == {
        "threshold": ["Member already starts at 0 points. Each tier has its own threshold."]
    }
    assert negative == {"threshold": ["The threshold cannot be negative."]}
    assert ladder() == before


def test_multipliers_strictly_rise_up_the_ladder_naming_the_neighbours(in_b) -> None:
    silver = silver_add()
    before = ladder()

    equal_to_silver = refused(Tier(name="Gold", threshold=500, multiplier=Decimal("1.5")))
    between = refused(Tier(name="Bronze", threshold=50, multiplier=2))
    entry = Tier.objects.get(threshold=0)
    entry.multiplier = Decimal("1.5")
    entry_as_silver = refused(entry)
    out_of_range = refused(Tier(name="Gold", threshold=500, multiplier=Decimal("0.5")))
    silver.multiplier = Decimal("11")
    silver_too_big = refused(silver)

    assert equal_to_silver == {
        "multiplier": [
            "At this threshold the tier sits above Silver (from 100 points, 1.5×): its "
            "multiplier is more than 1.5×."
        ]
    }
    assert between == {
        "multiplier": [
            "At this threshold the tier sits between Member (from 0 points, 1×) and Silver "
            "(from 100 points, 1.5×): its multiplier is more than 1× and less than 1.5×."
        ]
    }
    assert entry_as_silver == {
        "multiplier": [
            "At this threshold the tier sits below Silver (from 100 points, 1.5×): its "
            "multiplier is less than 1.5×."
        ]
    }
    assert out_of_range == {"multiplier": ["A multiplier is between 1 and 10."]}
    assert silver_too_big == {"multiplier": ["A multiplier is between 1 and 10."]}
    assert ladder() == before


def test_errors_speak_the_tier_basis_and_currency(in_b) -> None:
    PointsSettings.objects.update_or_create(pk=1, defaults={"tier_basis": "spend"})
    tier_save(tier=Tier(name="Silver", threshold=Decimal("50"), multiplier=Decimal("1.5")))

    errors = refused(Tier(name="Gold", threshold=Decimal("50.000"), multiplier=2))

    assert errors == {
        "threshold": ["Silver already starts at 50.000\u00a0JOD. Each tier has its own threshold."]
    }


def _migrate(target: str) -> None:
    executor = MigrationExecutor(connection)
    executor.migrate([("points", target)])


@pytest.fixture
def latest_after(in_b: Any) -> Any:
    """Moves the schema back to the newest migrations after a test that walked them."""
    yield in_b
    # The test's rows leave deferred foreign-key checks pending, and a table with
    # pending checks cannot be altered (0011 drops a constraint of points_membership).
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    executor = MigrationExecutor(connection)
    executor.migrate([node for node in executor.loader.graph.leaf_nodes() if node[0] == "points"])


def test_the_migration_gives_an_existing_programme_its_entry_tier(latest_after) -> None:
    # A programme from before the entry tier: its lowest tier starts at 100, one member
    # has no tier and one was put in Silver without reaching it.
    _migrate("0007_points_settings_enrol_without_code")
    Tier.objects.all().delete()
    silver = Tier.objects.create(name="Silver", rank=0, threshold=100, multiplier=1.5)
    Tier.objects.create(name="Gold", rank=5, threshold=500, multiplier=2)
    tierless = membership_join(customer=customer_make())
    placed = membership_join(customer=customer_make())
    Membership.objects.filter(pk=placed.pk).update(tier=silver)
    assert Membership.objects.get(pk=tierless.pk).tier is None

    _migrate("0008_entry_tier")

    assert ladder() == [
        (0, "Member", "عضو", Decimal("0"), Decimal("1")),
        (1, "Silver", "", Decimal("100"), Decimal("1.5")),
        (2, "Gold", "", Decimal("500"), Decimal("2")),
    ]
    entry = Tier.objects.get(threshold=0)
    assert Membership.objects.get(pk=tierless.pk).tier == entry
    assert Membership.objects.get(pk=placed.pk).tier == silver


def test_the_migration_keeps_a_programme_that_has_an_entry_tier(latest_after) -> None:
    entry = Tier.objects.get(threshold=0)
    entry.name = "Bronze"
    tier_save(tier=entry)
    silver_add()
    before = ladder()

    _migrate("0007_points_settings_enrol_without_code")
    _migrate("0008_entry_tier")

    assert ladder() == before


def test_the_app_shows_the_entry_tier_and_the_way_to_silver(in_b, merchant_b) -> None:
    silver_add()
    customer = api(merchant_b.host, customer_sign_in("+962795550101")["access"])
    joined = customer.post("/api/v1/join", {}, format="json").json()
    owner = api(
        merchant_b.host, staff_sign_in(merchant_b.host, merchant_b.owner_email, PASSWORD)["access"]
    )

    new = customer.get("/api/v1/membership").json()
    earned = owner.post(
        "/api/v1/staff/earn", {"member_id": joined["id"], "amount": "10.000"}, format="json"
    )
    silver = customer.get("/api/v1/membership").json()

    tier = {key: new["tier"][key] for key in ("name", "name_ar", "rank", "threshold")}
    assert tier == {"name": "Member", "name_ar": "عضو", "rank": 0, "threshold": "0.000"}
    assert (new["tier"]["multiplier"], new["next_tier"]["name"]) == ("1.00", "Silver")
    assert new["points_to_next_tier"] == 100
    assert earned.status_code == 201, earned.content
    assert (silver["tier"]["name"], silver["tier"]["rank"]) == ("Silver", 1)
    assert (silver["next_tier"], silver["points_to_next_tier"]) == (None, None)
