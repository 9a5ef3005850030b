"""An owner sets up the programme in a real browser, in English and Arabic, on a laptop
and a phone: renames the entry tier, adds Silver at 100 points and 1.5x, tries a second
tier on Silver's threshold and reads why not, reads the ladder, opens the points
settings and a free-item reward (no value field until the type is a discount).

Every page is kept as a screenshot in
.local/screenshots/programme/<page>-<lang>-<viewport>.png for a person to look at."""

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django_tenants.utils import schema_context

from points.models import Tier
from rewards.models import Reward
from tenants.selectors import merchant_host
from tenants.services import merchant_create
from tests.browser import WALKS, Walk
from tests.fixtures import PASSWORD
from tests.threads import committed

pytestmark = pytest.mark.django_db

TEXT = {
    "en": {
        "entry": "Regular",
        "name_field": "#id_name",
        "entry_tier": "(entry tier)",
        "refused": "Silver already starts at 100 points. Each tier has its own threshold.",
        "to_silver": "100 points more to reach",
        "top": "Top tier",
        "groups": ["Earning", "Tiers", "Expiry", "Bonuses", "Counter safety"],
        "example": "a member who spends 5.000 JOD earns 50 points",
    },
    "ar": {
        "entry": "عادي",
        "name_field": "#id_name_ar",
        "entry_tier": "(مستوى البداية)",
        "refused": "يبدأ عند 100 نقطة. لكل مستوى حدّ خاص به.",
        "to_silver": "100 نقطة إضافية للوصول إلى",
        "top": "أعلى مستوى",
        "groups": ["كسب النقاط", "المستويات", "انتهاء الصلاحية", "المكافآت الإضافية"],
        "example": "فالعضو الذي ينفق 5.000 دينار يكسب 50 نقطة",
    },
}
OWNER = "owner@ladder-shop.test"


@pytest.fixture(scope="module")
def shop(django_db_blocker: Any) -> Iterator[tuple[str, str]]:
    """A new merchant whose owner sets up the programme: its schema and host."""
    with django_db_blocker.unblock():
        merchant = merchant_create(
            name="Ladder Shop", slug="ladder-shop", owner_email=OWNER, owner_password=PASSWORD
        ).merchant
    yield merchant.schema_name, merchant_host(merchant)


def programme_reset() -> int:
    """Only the entry tier, as a new merchant has it, and one free-item reward."""
    Tier.objects.exclude(threshold=0).delete()
    Tier.objects.filter(threshold=0).update(name="Member", name_ar="عضو")
    Reward.objects.all().delete()
    return Reward.objects.create(
        name="Free coffee", name_ar="قهوة مجانية", kind="free_item", points_cost=100
    ).pk


@pytest.fixture
def walk(walks: Callable[..., Walk]) -> Callable[[str, str], Walk]:
    return lambda lang, viewport: walks(lang, viewport, "programme", TEXT[lang])


def save(page: Any) -> None:
    with page.expect_navigation():
        page.click("button[name=_save]")


@pytest.mark.parametrize(("lang", "viewport"), WALKS)
def test_an_owner_sets_up_the_ladder_settings_and_a_reward(
    shop, live_url, walk, lang, viewport
) -> None:
    schema, host = shop
    with schema_context(schema):
        reward = committed(programme_reset)
        entry = Tier.objects.get(threshold=0)
    base = live_url.format(host=host)
    person = walk(lang, viewport)
    page, text = person.page, person.text
    person.sign_in(base, OWNER, PASSWORD)

    page.goto(f"{base}/admin/points/tier/{entry.pk}/change/")
    assert page.locator("#id_threshold").count() == 0  # the entry tier stays at 0
    page.fill(text["name_field"], text["entry"])
    person.shot("entry-tier")
    save(page)

    page.goto(f"{base}/admin/points/tier/add/")
    page.fill("#id_name", "Silver")
    page.fill("#id_name_ar", "فضي")
    page.fill("#id_threshold", "100")
    page.fill("#id_multiplier", "1.5")
    save(page)

    page.goto(f"{base}/admin/points/tier/add/")
    page.fill("#id_name", "Gold")
    page.fill("#id_name_ar", "ذهبي")
    page.fill("#id_threshold", "100")
    page.fill("#id_multiplier", "2")
    save(page)
    assert text["refused"] in person.body()
    person.shot("tier-refused")

    page.goto(f"{base}/admin/points/tier/")
    body = person.body()
    assert text["entry"] in body and text["entry_tier"] in body
    assert text["to_silver"] in body and text["top"] in body
    person.shot("ladder")

    page.goto(f"{base}/admin/points/pointssettings/1/change/")
    body = person.body()
    assert [group for group in text["groups"] if group not in body] == []
    assert text["example"] in body
    person.shot("points-settings")

    page.goto(f"{base}/admin/rewards/reward/{reward}/change/")
    assert not page.is_visible("#id_value")  # a free item has no value
    person.shot("reward-free-item")
    page.select_option("#id_kind", "fixed_discount")
    page.wait_for_selector("#id_value", state="visible")  # Alpine shows the row
    person.shot("reward-discount", full_page=False)

    with schema_context(schema):
        ladder = list(Tier.objects.order_by("rank").values_list("name", "name_ar", "threshold"))
    assert [(name, threshold) for name, _, threshold in ladder] == [
        ("Regular" if lang == "en" else "Member", 0),
        ("Silver", 100),
    ]
