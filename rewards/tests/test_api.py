"""Rewards and redemptions over HTTP."""

import pytest
from django_tenants.utils import schema_context

from points.services import points_adjust
from rewards.models import Reward
from tests.api import api, customer_sign_in, staff_sign_in

pytestmark = pytest.mark.django_db


def joined(merchant, phone: str, programme, points: int = 0):
    client = api(merchant.host, customer_sign_in(phone)["access"])
    member = client.post("/api/v1/join", {}, format="json").json()
    if points:
        with schema_context(merchant.schema):
            points_adjust(
                membership_id=member["id"], points=points, reason="test", actor=programme.manager
            )
    return client, member


def test_rewards_are_marked_affordable_and_eligible(merchant_a, programme) -> None:
    with schema_context(merchant_a.schema):
        mug = Reward.objects.create(
            name="Mug", points_cost=600, min_tier=programme.gold, category=programme.drinks
        )
        Reward.objects.create(name="Hidden", points_cost=1, is_active=False)
    client, _ = joined(merchant_a, "+962796660001", programme, points=150)

    rewards = {r["name"]: r for r in client.get("/api/v1/rewards").json()["results"]}
    affordable = client.get("/api/v1/rewards", {"affordable": "true"}).json()["results"]
    by_category = client.get("/api/v1/rewards", {"category": programme.drinks.pk}).json()["results"]

    assert set(rewards) == {"Free Coffee", "Mug"}
    assert (rewards["Free Coffee"]["affordable"], rewards["Free Coffee"]["eligible"]) == (
        True,
        True,
    )
    assert (rewards["Mug"]["affordable"], rewards["Mug"]["eligible"]) == (False, False)
    assert rewards["Mug"]["min_tier"] == "Gold"
    assert [r["name"] for r in affordable] == ["Free Coffee"]
    assert {r["name"] for r in by_category} == {"Free Coffee", "Mug"}
    assert client.get(f"/api/v1/rewards/{mug.pk}").json()["points_cost"] == 600


def test_redeem_refusals_speak_in_codes(merchant_a, programme) -> None:
    client, _ = joined(merchant_a, "+962796660002", programme, points=50)
    coffee = programme.free_coffee.pk

    poor = client.post(f"/api/v1/rewards/{coffee}/redeem")
    missing = client.post("/api/v1/rewards/99999/redeem")

    assert poor.status_code == 422 and poor.json()["error"]["code"] == "insufficient_points"
    assert poor.json()["error"]["fields"] == {"available": 50, "needed": 100}
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "reward_not_found"


def test_another_customers_redemption_is_404(merchant_a, programme) -> None:
    owner, _ = joined(merchant_a, "+962796660003", programme, points=100)
    other, _ = joined(merchant_a, "+962796660004", programme)
    redemption = owner.post(f"/api/v1/rewards/{programme.free_coffee.pk}/redeem").json()

    assert other.get(f"/api/v1/redemptions/{redemption['id']}").status_code == 404
    assert other.post(f"/api/v1/redemptions/{redemption['id']}/cancel").status_code == 404
    assert other.get(f"/api/v1/redemptions/{redemption['id']}/qr.svg").status_code == 404
    assert owner.get(f"/api/v1/redemptions/{redemption['id']}/qr.png").content[:4] == b"\x89PNG"


def test_cancel_returns_points(merchant_a, programme) -> None:
    client, _ = joined(merchant_a, "+962796660005", programme, points=100)
    redemption = client.post(f"/api/v1/rewards/{programme.free_coffee.pk}/redeem").json()

    cancelled = client.post(f"/api/v1/redemptions/{redemption['id']}/cancel")

    assert cancelled.json()["status"] == "cancelled"
    assert client.get("/api/v1/membership").json()["current_points"] == 100
    mine = client.get("/api/v1/redemptions").json()["results"]
    assert [(r["id"], r["status"]) for r in mine] == [(redemption["id"], "cancelled")]


def test_staff_reject_names_what_they_saw(merchant_a, programme) -> None:
    client, _ = joined(merchant_a, "+962796660006", programme, points=100)
    redemption = client.post(f"/api/v1/rewards/{programme.free_coffee.pk}/redeem").json()
    staff = api(
        merchant_a.host, staff_sign_in(merchant_a.host, programme.cashier.email, "x")["access"]
    )
    staff.post(f"/api/v1/staff/redemptions/{redemption['id']}/approve")

    stale = staff.post(
        f"/api/v1/staff/redemptions/{redemption['id']}/reject", {"reason": "closed"}, format="json"
    )
    meant = staff.post(
        f"/api/v1/staff/redemptions/{redemption['id']}/reject",
        {"reason": "closed", "seen_status": "approved"},
        format="json",
    )

    assert stale.status_code == 409
    assert stale.json()["error"]["code"] == "invalid_redemption_state"
    assert meant.json()["status"] == "rejected" and meant.json()["member"]["current_points"] == 100
    rejected = staff.get("/api/v1/staff/redemptions", {"status": "rejected"}).json()["results"]
    assert [r["id"] for r in rejected] == [redemption["id"]]
    unknown = staff.post("/api/v1/staff/vouchers/verify", {"code": "ZZZZZZZZ"}, format="json")
    assert unknown.json()["error"]["code"] == "voucher_not_found"


def test_staff_verify_a_voucher_typed_with_spaces_dashes_and_lower_case(
    merchant_a, programme
) -> None:
    client, _ = joined(merchant_a, "+962796660007", programme, points=100)
    code = client.post(f"/api/v1/rewards/{programme.free_coffee.pk}/redeem").json()["voucher_code"]
    staff = api(
        merchant_a.host, staff_sign_in(merchant_a.host, programme.cashier.email, "x")["access"]
    )

    typed = [f"{code[:4].lower()} {code[4:].lower()}", f"{code[:4]}-{code[4:]}", f" {code} "]
    found = [staff.post("/api/v1/staff/vouchers/verify", {"code": t}, format="json") for t in typed]

    assert [f.status_code for f in found] == [200, 200, 200]
    assert [f.json()["voucher_code"] for f in found] == [code, code, code]
