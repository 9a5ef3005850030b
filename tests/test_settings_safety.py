"""Settings an owner saves are checked when saved, by field; and a setting stored before
those checks existed never stops the counter: the award skips it, or refuses naming it
(docs/ledger.md, "Settings that cannot be read")."""

import datetime
import json
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django_tenants.utils import schema_context

from points.models import Campaign, LedgerEntry, Membership, PointsSettings, Tier
from tests.api import api, staff_sign_in
from tests.fixtures import PASSWORD, HostClient

pytestmark = pytest.mark.django_db

# A Friday at 17:00 in Amman: a campaign meant for "Fri, Sat" would be in force.
FRIDAY_5PM = datetime.datetime(2026, 11, 27, 17, 0, tzinfo=ZoneInfo("Asia/Amman"))


@pytest.fixture
def owner(merchant_a: Any, programme: Any) -> HostClient:
    client = HostClient(merchant_a.host)
    signed_in = client.post(
        "/admin/login/", {"username": merchant_a.owner_email, "password": PASSWORD}
    )
    assert signed_in.status_code == 302
    return client


def form_errors(response: Any) -> dict[str, list[str]]:
    assert response.status_code == 200, response.status_code  # the form again, not saved
    return {k: list(v) for k, v in response.context_data["adminform"].form.errors.items()}


CAMPAIGN = {
    "name": "Weekend",
    "name_ar": "",
    "kind": "weekly",
    "multiplier": "2",
    "start_time": "00:00",
    "end_time": "23:59",
    "starts_on": "",
    "ends_on": "",
    "is_active": "on",
}


def test_a_campaign_is_checked_when_saved_and_its_days_are_checkboxes(owner, merchant_a) -> None:
    add = "/admin/points/campaign/add/"
    typo = form_errors(owner.post(add, {**CAMPAIGN, "weekdays": "Fri, Sat"}))
    none = form_errors(owner.post(add, {**CAMPAIGN}))
    wrong = form_errors(
        owner.post(
            add,
            {**CAMPAIGN, "weekdays": ["5"], "multiplier": "50", "end_time": "00:00"},
        )
    )
    dates = form_errors(
        owner.post(
            add,
            {**CAMPAIGN, "kind": "dates", "starts_on": "2026-12-10", "ends_on": "2026-12-01"},
        )
    )

    assert list(typo) == ["weekdays"]
    assert none == {"weekdays": ["Choose at least one day of the week."]}
    assert wrong == {
        "multiplier": ["A multiplier is between 1 and 10."],
        "end_time": ["The end is after the start, on the same day."],
    }
    assert dates == {"ends_on": ["The last day is on or after the first day."]}
    with schema_context(merchant_a.schema):
        assert Campaign.objects.count() == 0

    saved = owner.post(add, {**CAMPAIGN, "weekdays": ["6", "5"]})
    assert saved.status_code == 302
    with schema_context(merchant_a.schema):
        assert Campaign.objects.get().weekdays == "5,6"
    page = owner.get(f"/admin/points/campaign/{Campaign.objects.get().pk}/change/")
    assert page.context_data["adminform"].form.initial["weekdays"] == ["5", "6"]


def _tier(tier: Tier, **changes: str) -> dict[str, str]:
    return {
        "name": tier.name,
        "name_ar": tier.name_ar,
        "threshold": str(tier.threshold),
        "multiplier": str(tier.multiplier),
        "benefits": "",
        "benefits_ar": "",
        "colour": tier.colour,
        **changes,
    }


def test_tiers_keep_thresholds_and_multipliers_rising_up_the_ladder(owner, programme) -> None:
    silver = programme.silver
    url = f"/admin/points/tier/{silver.pk}/change/"

    above_gold = form_errors(owner.post(url, _tier(silver, threshold="2500")))
    below_bronze = form_errors(owner.post(url, _tier(silver, multiplier="0.90")))
    beyond_gold = form_errors(owner.post(url, _tier(silver, multiplier="2.5")))
    too_big = form_errors(owner.post(url, _tier(silver, multiplier="25")))

    assert above_gold == {
        "multiplier": [
            "At this threshold the tier sits above Gold (from 2,000 points, 2×): its "
            "multiplier is more than 2×."
        ]
    }
    assert below_bronze == {"multiplier": ["A multiplier is between 1 and 10."]}
    assert beyond_gold == {
        "multiplier": [
            "At this threshold the tier sits between Bronze (from 0 points, 1×) and Gold "
            "(from 2,000 points, 2×): its multiplier is more than 1× and less than 2×."
        ]
    }
    assert too_big == {"multiplier": ["A multiplier is between 1 and 10."]}
    silver.refresh_from_db()
    assert (silver.threshold, silver.multiplier) == (Decimal("500"), Decimal("1.5"))
    assert owner.post(url, _tier(silver, threshold="800")).status_code == 302


def test_points_settings_and_rewards_are_checked_when_saved(owner, programme) -> None:
    settings_url = "/admin/points/pointssettings/1/change/"
    current = {
        "points_per_unit": "10",
        "rounding": "floor",
        "min_purchase": "0",
        "max_points_per_purchase": "0",
        "daily_earn_cap": "",
        "expiry_months": "0",
        "welcome_bonus": "0",
        "birthday_bonus": "0",
        "referral_bonus_referrer": "0",
        "referral_bonus_referred": "0",
        "void_window_minutes": "10",
        "redemption_expiry_days": "7",
        "tier_basis": "points",
        "tier_window_months": "",
        "tier_warning_days": "14",
    }
    refused = form_errors(owner.post(settings_url, current))
    reward = programme.free_coffee
    reward_errors = form_errors(
        owner.post(
            f"/admin/rewards/reward/{reward.pk}/change/",
            {
                "name": reward.name,
                "name_ar": reward.name_ar,
                "kind": "percent_discount",
                "value": "150",
                "points_cost": "100",
                "valid_from_0": "2026-12-10",
                "valid_from_1": "10:00",
                "valid_to_0": "2026-12-01",
                "valid_to_1": "10:00",
                "is_active": "on",
            },
        )
    )

    assert refused == {
        "max_points_per_purchase": ["At least 1; leave it empty for no limit."],
        "expiry_months": ["Between 1 and 120 months; leave it empty for never."],
    }
    assert reward_errors == {
        "value": ["A percent discount is more than 0 and at most 100."],
        "valid_to": ["The end is after the start."],
    }
    assert PointsSettings.objects.get().max_points_per_purchase is None
    reward.refresh_from_db()
    assert (reward.kind, reward.value) == ("free_item", Decimal("0"))


def _award(merchant_a: Any, member_id: int, amount: str = "10.000") -> tuple[Any, Any]:
    """One award at the dashboard's counter and one through the API, 10 JOD each."""
    counter = HostClient(merchant_a.host)
    counter.post("/admin/login/", {"username": merchant_a.owner_email, "password": PASSWORD})
    page = counter.post(
        "/admin/counter/earn",
        data=json.dumps({"member_id": member_id, "amount": amount}),
        content_type="application/json",
    )
    token = staff_sign_in(merchant_a.host, merchant_a.owner_email, PASSWORD)["access"]
    answer = api(merchant_a.host, token).post(
        "/api/v1/staff/earn", {"member_id": member_id, "amount": amount}, format="json"
    )
    return page, answer


def test_a_campaign_stored_with_unreadable_days_is_skipped_at_the_counter(
    merchant_a, programme
) -> None:
    member = programme.member()
    Campaign.objects.create(
        name="Weekend",
        kind=Campaign.Kind.WEEKLY,
        multiplier=Decimal("2"),
        weekdays="5,6",
        start_time=datetime.time(0),
        end_time=datetime.time(23, 59),
    )
    Campaign.objects.update(weekdays="Fri, Sat")  # written before days were checkboxes

    with time_machine.travel(FRIDAY_5PM, tick=False):
        page, answer = _award(merchant_a, member.pk)

    assert page.status_code == 200, page.content
    assert answer.status_code == 201, answer.content
    # 10 JOD x 10 points, without the campaign it could not read
    assert page.json()["points"] == 100
    assert answer.json()["entry"]["points"] == 100


def test_a_tier_multiplier_that_cannot_be_used_counts_as_1x_naming_the_tier(
    merchant_a, programme, caplog
) -> None:
    member = programme.member(tier=programme.silver)
    Tier.objects.filter(pk=programme.silver.pk).update(multiplier=Decimal("0"))

    with time_machine.travel(FRIDAY_5PM, tick=False):
        page, answer = _award(merchant_a, member.pk)

    said = (
        "10.000 JOD × 10 points/JOD = 100 points. The Silver tier's multiplier was not "
        "applied: an owner must fix it in Tiers"
    )
    assert page.status_code == 200, page.content
    assert (page.json()["points"], page.json()["explanation"]) == (100, said)
    assert answer.status_code == 201, answer.content
    entry = answer.json()["entry"]
    assert (entry["points"], entry["description"]) == (100, said)
    assert entry["explanation"]["tier"] is None
    assert entry["explanation"]["tier_not_applied"] == {
        "name": "Silver",
        "name_ar": programme.silver.name_ar,
        "multiplier": "0",
    }
    warnings = [r.getMessage() for r in caplog.records if r.name == "points.validation"]
    assert (
        warnings
        == [
            f"tier {programme.silver.pk} (Silver) multiplier 0.00 not applied at the counter: "
            "an owner must fix it in Tiers"
        ]
        * 2
    )


def test_points_settings_that_cannot_be_read_skip_or_refuse_naming_the_setting(
    merchant_a, programme
) -> None:
    member = programme.member()
    PointsSettings.objects.update(rounding="sideways", max_points_per_purchase=0)

    with time_machine.travel(FRIDAY_5PM, tick=False):
        page, answer = _award(merchant_a, member.pk)
        # rounding down and no cap, as if neither were set: 10.000 x 10 each
        assert (page.status_code, answer.status_code) == (200, 201)
        assert (page.json()["points"], answer.json()["entry"]["points"]) == (100, 100)

        with schema_context(merchant_a.schema):
            PointsSettings.objects.update(points_per_unit=Decimal("0"))
        page, answer = _award(merchant_a, member.pk)

    assert page.status_code == 409
    assert "“points per currency unit” is 0.000" in page.json()["error"]["message"]
    assert answer.status_code == 409
    assert answer.json()["error"]["fields"] == {"setting": "points_settings.points_per_unit"}


def test_the_counter_names_a_bad_member_only_when_the_member_is_the_problem(
    owner, merchant_a
) -> None:
    before = LedgerEntry.objects.count()
    for member_id in ("abc", None, -1, 2**70, True):
        page = owner.post(
            "/admin/counter/earn",
            data=json.dumps({"member_id": member_id, "amount": "10.000"}),
            content_type="application/json",
        )
        assert page.status_code == 400
        assert page.json()["error"] == {
            "code": "invalid",
            "message": "Choose a member and an amount.",
        }
    assert LedgerEntry.objects.count() == before


def test_points_settings_are_bounded_so_every_award_fits_the_ledger(owner, programme) -> None:
    settings_url = "/admin/points/pointssettings/1/change/"
    huge = {
        "points_per_unit": "10",
        "rounding": "floor",
        "min_purchase": "2000000",
        "max_points_per_purchase": "100000001",
        "daily_earn_cap": "2000000000",
        "expiry_months": "",
        "welcome_bonus": "2000000000",
        "birthday_bonus": "1000001",
        "referral_bonus_referrer": "1000001",
        "referral_bonus_referred": "2147483647",
        "void_window_minutes": "10",
        "redemption_expiry_days": "7",
        "tier_basis": "points",
        "tier_window_months": "",
        "tier_warning_days": "14",
    }

    refused = form_errors(owner.post(settings_url, huge))

    bonus = ["At most 1000000 points."]
    assert refused == {
        "min_purchase": ["At most 1000000."],
        "max_points_per_purchase": ["At most 100000000 points."],
        "daily_earn_cap": ["At most 100000000 points."],
        "welcome_bonus": bonus,
        "birthday_bonus": bonus,
        "referral_bonus_referrer": bonus,
        "referral_bonus_referred": bonus,
    }
    assert PointsSettings.objects.get().welcome_bonus == 0


def test_a_purchase_whose_points_would_not_fit_is_refused_before_the_ledger(
    merchant_a, programme
) -> None:
    member = programme.member(tier=programme.gold)
    PointsSettings.objects.update(points_per_unit=Decimal("10000"))
    before = LedgerEntry.objects.count()

    with time_machine.travel(FRIDAY_5PM, tick=False):
        page, answer = _award(merchant_a, member.pk, amount="999999.999")

    message = (
        "This purchase would earn 19999999980 points, more than one purchase can earn "
        "(100000000). Check the amount."
    )
    refusal = {
        "error": {
            "code": "amount_too_large",
            "message": message,
            "fields": {"amount": ["More points than one purchase can earn."]},
        }
    }
    # The counter page and the API answer in the one error shape.
    assert (page.status_code, page.json()) == (422, refusal)
    assert (answer.status_code, answer.json()) == (422, refusal)
    with schema_context(merchant_a.schema):
        assert LedgerEntry.objects.count() == before
        member.refresh_from_db()
        assert (member.current_points, member.total_visits) == (0, 0)


def test_a_balance_grows_past_32_bits_without_failing(merchant_a, programme) -> None:
    member = programme.member()
    Membership.objects.filter(pk=member.pk).update(current_points=2**31 - 1, total_earned=2**31 - 1)
    PointsSettings.objects.update(points_per_unit=Decimal("10000"))

    with time_machine.travel(FRIDAY_5PM, tick=False):
        page, answer = _award(merchant_a, member.pk)

    assert (page.status_code, answer.status_code) == (200, 201)
    # 10 JOD x 10,000; the first award lifts the member to Gold (x2) for the second
    assert page.json()["balance"] == 2**31 - 1 + 100_000
    assert answer.json()["entry"]["balance_after"] == 2**31 - 1 + 300_000
    member.refresh_from_db()
    assert (member.current_points, member.total_earned) == (2**31 + 299_999, 2**31 + 299_999)
