"""The owner's programme pages over HTTP: the tier ladder, the points settings grouped by
what an owner decides, and rewards whose form fits their type."""

import re
from decimal import Decimal
from typing import Any

import pytest
from django_tenants.utils import schema_context

from points.models import PointsSettings, Tier
from rewards.models import Reward, RewardCategory
from tests.fixtures import PASSWORD, HostClient

pytestmark = pytest.mark.django_db

TIERS = "/admin/points/tier/"


@pytest.fixture
def owner(merchant_b: Any, db: None) -> HostClient:
    """The owner of a merchant whose programme is as new: only the entry tier."""
    client = HostClient(merchant_b.host)
    signed_in = client.post(
        "/admin/login/", {"username": merchant_b.owner_email, "password": PASSWORD}
    )
    assert signed_in.status_code == 302
    return client


def form_errors(response: Any) -> dict[str, list[str]]:
    assert response.status_code == 200, response.status_code  # the form again, not saved
    return {k: list(v) for k, v in response.context_data["adminform"].form.errors.items()}


def tier_form(**fields: str) -> dict[str, str]:
    return {
        "name": "",
        "name_ar": "",
        "multiplier": "1",
        "benefits": "",
        "benefits_ar": "",
        "colour": "#8d6e63",
        **fields,
    }


def ladder(merchant: Any) -> list[tuple[str, Decimal, Decimal]]:
    with schema_context(merchant.schema):
        return list(Tier.objects.order_by("rank").values_list("name", "threshold", "multiplier"))


def rows(page: Any) -> list[str]:
    """The change list's rows as text, one string per row (spaces, no-break ones too, as one)."""
    html = page.content.decode()
    found = re.findall(r"<tr[^>]*>(.*?)</tr>", html, flags=re.S)
    text = [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row)).strip() for row in found]
    return [row for row in text if row][1:]  # without the header


def test_an_owner_builds_the_ladder_and_wrong_steps_change_nothing(owner, merchant_b) -> None:
    add = f"{TIERS}add/"
    silver = owner.post(
        add, tier_form(name="Silver", name_ar="فضي", threshold="100", multiplier="1.5")
    )
    assert silver.status_code == 302
    before = ladder(merchant_b)

    same_threshold = form_errors(
        owner.post(add, tier_form(name="Gold", threshold="100", multiplier="2"))
    )
    below_silver = form_errors(
        owner.post(add, tier_form(name="Gold", threshold="50", multiplier="2"))
    )
    not_more = form_errors(
        owner.post(add, tier_form(name="Gold", threshold="500", multiplier="1.5"))
    )

    assert before == [
        ("Member", Decimal("0"), Decimal("1")),
        ("Silver", Decimal("100"), Decimal("1.5")),
    ]
    assert same_threshold == {
        "threshold": ["Silver already starts at 100 points. Each tier has its own threshold."]
    }
    assert below_silver == {
        "multiplier": [
            "At this threshold the tier sits between Member (from 0 points, 1×) and Silver "
            "(from 100 points, 1.5×): its multiplier is more than 1× and less than 1.5×."
        ]
    }
    assert not_more == {
        "multiplier": [
            "At this threshold the tier sits above Silver (from 100 points, 1.5×): its "
            "multiplier is more than 1.5×."
        ]
    }
    assert ladder(merchant_b) == before


def test_the_entry_tier_is_renamed_and_its_threshold_cannot_be_sent(owner, merchant_b) -> None:
    with schema_context(merchant_b.schema):
        entry = Tier.objects.get(threshold=0)
    url = f"{TIERS}{entry.pk}/change/"

    page = owner.get(url)
    saved = owner.post(url, tier_form(name="Friend", name_ar="صديق", threshold="50"))

    assert 'name="threshold"' not in page.content.decode()
    assert "0 points: every member starts in this tier, so it stays 0." in page.content.decode()
    assert saved.status_code == 302
    assert ladder(merchant_b) == [("Friend", Decimal("0"), Decimal("1"))]


def test_the_tier_page_shows_the_ladder_as_a_member_climbs_it(owner, merchant_b) -> None:
    for name, threshold, multiplier in (("Gold", "500", "2"), ("Silver", "100", "1.5")):
        added = owner.post(
            f"{TIERS}add/", tier_form(name=name, threshold=threshold, multiplier=multiplier)
        )
        assert added.status_code == 302

    english = rows(owner.get(TIERS))
    arabic = rows(owner.get(TIERS, HTTP_ACCEPT_LANGUAGE="ar"))

    assert english == [
        "Member (entry tier) 0 points 1× 0 100 points more to reach Silver",
        "Silver 100 points 1.5× 0 400 points more to reach Gold",
        "Gold 500 points 2× 0 Top tier",
    ]
    assert arabic[0].startswith("عضو")
    assert "Every member starts in the entry tier" in owner.get(TIERS).content.decode()


def test_points_settings_are_grouped_by_what_an_owner_decides(owner) -> None:
    page = owner.get("/admin/points/pointssettings/1/change/")
    groups = [
        (str(fieldset.name), [field for line in fieldset for field in line])
        for fieldset in page.context_data["adminform"]
    ]
    names = {name: [f.field.name for f in fields] for name, fields in groups}
    editable = {
        f.name: f for f in PointsSettings._meta.concrete_fields if f.editable and not f.primary_key
    }

    assert list(names) == ["Earning", "Tiers", "Expiry", "Bonuses", "Counter safety"]
    grouped = [field for fields in names.values() for field in fields]
    # Each setting once, none left out: a new setting is a line in its group.
    assert sorted(grouped) == sorted(editable)
    assert [name for name, field in editable.items() if not field.help_text] == []
    assert "a member who spends 5.000 JOD earns 50 points" in page.content.decode()


REWARD = {
    "name": "Free bread",
    "name_ar": "خبز مجاني",
    "points_cost": "50",
    "description": "",
    "description_ar": "",
    "is_active": "on",
}


def test_a_free_item_has_no_value_and_a_discount_needs_one(owner, merchant_b) -> None:
    add = "/admin/rewards/reward/add/"
    page = owner.get(add).content.decode()

    free_with_value = owner.post(add, {**REWARD, "kind": "free_item", "value": "7.500"})
    free_without = owner.post(add, {**REWARD, "kind": "free_item", "value": ""})
    discount_without = form_errors(
        owner.post(add, {**REWARD, "kind": "fixed_discount", "value": ""})
    )

    assert 'x-show="kind != &#x27;free_item&#x27;"' in page  # the value row, for discounts
    assert (free_with_value.status_code, free_without.status_code) == (302, 302)
    assert discount_without == {"value": ["A fixed discount is more than 0."]}
    with schema_context(merchant_b.schema):
        assert list(Reward.objects.values_list("kind", "value")) == [
            ("free_item", Decimal("0")),
            ("free_item", Decimal("0")),
        ]


def test_the_reward_list_shows_value_and_cost_formatted(owner, merchant_b) -> None:
    with schema_context(merchant_b.schema):
        Reward.objects.create(name="Coffee", kind="free_item", points_cost=1200)
        Reward.objects.create(name="Off", kind="fixed_discount", value="1.5", points_cost=300)
        Reward.objects.create(name="Tenth", kind="percent_discount", value="10", points_cost=50)

    listed = rows(owner.get("/admin/rewards/reward/"))

    assert listed == [
        "Tenth - Percent discount 10% 50 points - -",
        "Off - Fixed discount 1.500 JOD 300 points - -",
        "Coffee - Free item — 1,200 points - -",
    ]


@pytest.mark.parametrize(
    "url",
    [
        "/admin/rewards/reward/add/",
        "/admin/rewards/rewardcategory/add/",
        f"{TIERS}add/",
        "/admin/points/campaign/add/",
    ],
)
def test_arabic_fields_say_so_in_both_languages(owner, url) -> None:
    english = owner.get(url).content.decode()
    arabic = owner.get(url, HTTP_ACCEPT_LANGUAGE="ar").content.decode()

    assert "Name (Arabic)" in english and "Name ar" not in english
    assert "الاسم (بالعربية)" in arabic


def test_a_category_name_in_arabic_is_labelled(owner, merchant_b) -> None:
    with schema_context(merchant_b.schema):
        RewardCategory.objects.create(name="Drinks", name_ar="مشروبات")

    listed = owner.get("/admin/rewards/rewardcategory/").content.decode()

    assert "Name (Arabic)" in listed
