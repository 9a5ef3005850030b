"""Helpers for the tests of the pages beside the card."""

from typing import Any

from django_tenants.utils import schema_context

from points.models import Membership
from points.services import points_adjust
from points.tests.factories import Programme


def member_with(programme: Programme, schema: str, points: int = 0, **customer: Any) -> Membership:
    """A member of the programme's merchant holding `points` (a manager's adjustment)."""
    with schema_context(schema):
        membership = programme.member(**customer)
        if points:
            points_adjust(
                membership_id=membership.pk,
                points=points - membership.current_points,
                reason="test",
                actor=programme.manager,
            )
        membership.refresh_from_db()
        return membership


def balance(schema: str, membership: Membership) -> int:
    with schema_context(schema):
        return Membership.objects.get(pk=membership.pk).current_points
