"""A staff token is only as good as the account behind it, read at every request: a
deactivated account or a changed role takes effect at the next request, with one
query for both (tenants.selectors.staff_active)."""

from typing import Any

import pytest
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import schema_context
from rest_framework.test import APIClient

from loyalty.db import connection
from points.models import Membership
from tenants.roles import Role, role_of
from tenants.selectors import staff_active
from tenants.services import staff_deactivate, staff_role_set
from tests.api import api, staff_sign_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def member(merchant_a, programme) -> Membership:
    with schema_context(merchant_a.schema):
        return programme.member(phone="+962795550077")


def _scan(staff: APIClient, member: Membership) -> Any:
    return staff.post("/api/v1/staff/scan", {"member_number": member.member_number}, format="json")


def test_a_deactivated_staff_member_is_refused_at_the_next_request(
    merchant_a, programme, member
) -> None:
    cashier = api(
        merchant_a.host, staff_sign_in(merchant_a.host, programme.cashier.email, "x")["access"]
    )
    before = _scan(cashier, member)
    with schema_context(merchant_a.schema):
        staff_deactivate(user=programme.cashier)

    after = cashier.post(
        "/api/v1/staff/earn", {"member_id": member.pk, "amount": "5.000"}, format="json"
    )

    assert before.status_code == 200
    assert after.status_code == 401
    assert after.json()["error"]["message"] == "This account is closed."


def test_a_changed_role_takes_effect_at_the_next_request(merchant_a, programme, member) -> None:
    staff = api(
        merchant_a.host, staff_sign_in(merchant_a.host, programme.cashier.email, "x")["access"]
    )
    adjust = {"points": 10, "reason": "goodwill"}

    as_cashier = staff.post(f"/api/v1/staff/members/{member.pk}/adjust", adjust, format="json")
    phone_as_cashier = _scan(staff, member).json()["phone"]
    with schema_context(merchant_a.schema):
        staff_role_set(user=programme.cashier, role=Role.MANAGER)
    as_manager = staff.post(f"/api/v1/staff/members/{member.pk}/adjust", adjust, format="json")
    phone_as_manager = _scan(staff, member).json()["phone"]
    with schema_context(merchant_a.schema):
        staff_role_set(user=programme.cashier, role=Role.CASHIER)
    as_cashier_again = staff.post(
        f"/api/v1/staff/members/{member.pk}/adjust", adjust, format="json"
    )

    assert as_cashier.status_code == 403
    assert phone_as_cashier is None
    assert as_manager.status_code == 201
    assert phone_as_manager == "+962795550077"
    assert as_cashier_again.status_code == 403


def test_the_account_and_its_role_are_read_in_one_query(merchant_a, programme) -> None:
    with schema_context(merchant_a.schema):
        with CaptureQueriesContext(connection) as queries:
            manager = staff_active(programme.manager.pk)
            role = role_of(manager)
        staff_deactivate(user=programme.cashier)
        closed = staff_active(programme.cashier.pk)

    assert manager is not None and manager.pk == programme.manager.pk
    assert role == Role.MANAGER
    assert [q["sql"].split()[0] for q in queries.captured_queries] == ["SET", "SELECT"]
    assert closed is None
