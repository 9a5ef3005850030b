"""A member's summary (balance, tier progress, points expiring soon, unread messages),
read in one statement: the same figures whether the membership is found by its
customer or given, and none of another member's."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from notifications.models import InboxItem
from notifications.selectors import unread_count
from points.models import Membership, PointsLot, PointsSettings
from points.selectors import (
    membership_summary,
    membership_summary_for_customer,
    tier_metric,
    tier_progress,
)
from points.services import points_earn
from points.tests.factories import Programme, customer_make

pytestmark = pytest.mark.django_db
AMMAN = ZoneInfo("Asia/Amman")
NOW = dt.datetime(2026, 12, 1, 10, 0, tzinfo=AMMAN)


def _messages(membership: Membership, unread: int, read: int, first_id: int) -> None:
    for n in range(unread + read):
        InboxItem.objects.create(
            membership=membership,
            message_id=first_id + n,
            event="points_earned",
            kind="transactional",
            body="You earned points",
            read_at=NOW if n >= unread else None,
        )


def _member_with_history(programme: Programme, first_message: int) -> Membership:
    """A Silver member with three lots (one expiring in 10 days, one in 40 days, one
    spent) and three messages, two of them unread."""
    member = programme.member(tier=programme.silver)
    for amount in ("10.000", "20.000", "30.000"):
        points_earn(membership_id=member.pk, amount=amount, at=NOW)
    lots = list(PointsLot.objects.filter(membership=member).order_by("id"))
    soon, later, spent = lots
    PointsLot.objects.filter(pk=soon.pk).update(expires_on=dt.date(2026, 12, 11))
    PointsLot.objects.filter(pk=later.pk).update(expires_on=dt.date(2027, 1, 10))
    PointsLot.objects.filter(pk=spent.pk).update(expires_on=dt.date(2026, 12, 5), remaining=0)
    _messages(member, unread=2, read=1, first_id=first_message)
    member.refresh_from_db()
    return member


def test_the_summary_found_by_customer_equals_the_summary_of_the_membership(
    programme: Programme,
) -> None:
    member = _member_with_history(programme, first_message=810_000)
    other = _member_with_history(programme, first_message=820_000)  # not to be mixed in
    _messages(other, unread=3, read=0, first_id=830_000)

    with CaptureQueriesContext(connection) as queries:
        found = membership_summary_for_customer(member.customer_id, at=NOW)
    given = membership_summary(member, at=NOW)

    assert found is not None
    # Besides the merchant (for its time zone), known already when a request reads it.
    read = [q["sql"] for q in queries.captured_queries if "tenants_merchant" not in q["sql"]]
    assert len(read) == 1
    assert found.membership.pk == member.pk
    assert found.membership.customer.phone == member.customer.phone
    assert found.membership.tier == programme.silver
    assert found.membership.current_points == member.current_points == 900
    # 10 JOD x 10 points x 1.5 (Silver): the lot expiring within 30 days.
    assert (found.expiring_points, found.expiring_first_on) == (150, dt.date(2026, 12, 11))
    assert found.unread_messages == unread_count(member.pk) == 2
    assert found.progress == given.progress == tier_progress(member, at=NOW)
    assert found.progress.next_tier == programme.gold
    assert (given.expiring_points, given.expiring_first_on, given.unread_messages) == (
        150,
        dt.date(2026, 12, 11),
        2,
    )
    assert given.membership is member


def test_a_customer_who_is_not_a_member_here_has_no_summary(programme: Programme) -> None:
    assert membership_summary_for_customer(customer_make().pk, at=NOW) is None


def test_progress_over_a_tier_window_counts_the_window(programme: Programme) -> None:
    """With tiers counted over 12 months, the progress is the window's points, read after
    the summary's statement (two more), as `tier_metric` counts them."""
    PointsSettings.objects.filter(pk=1).update(tier_window_months=12)
    member = programme.member()
    with time_machine.travel(NOW - dt.timedelta(days=400), tick=False):
        points_earn(membership_id=member.pk, amount="40.000")  # outside the window
    points_earn(membership_id=member.pk, amount="10.000", at=NOW)
    member.refresh_from_db()

    summary = membership_summary_for_customer(member.customer_id, at=NOW)

    assert summary is not None
    settings = PointsSettings.objects.get(pk=1)
    assert member.total_earned == 500
    assert summary.progress.metric == tier_metric(member, settings, NOW) == 100
    assert summary.progress.next_tier == programme.silver
    assert summary.progress.needed_for_next == 400
