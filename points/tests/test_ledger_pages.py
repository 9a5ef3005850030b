"""A member's history read by page: the same entries, in the same order and with the same
values as the ORM gives, one statement for the count and one for a page."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from points.selectors import LedgerPages, ledger_for_membership
from points.services import points_earn
from points.tests.factories import Programme

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2026, 12, 1, 10, 0, tzinfo=ZoneInfo("Asia/Amman"))


def test_pages_hold_the_members_entries_newest_first_as_the_orm_reads_them(
    programme: Programme,
) -> None:
    member = programme.member()
    other = programme.member()
    for amount in ("1.000", "2.500", "3.000"):
        points_earn(membership_id=member.pk, amount=amount, at=NOW)
    points_earn(membership_id=other.pk, amount="9.000", at=NOW)
    expected = list(ledger_for_membership(member))

    pages = LedgerPages(member)
    with CaptureQueriesContext(connection) as queries:
        count, first, rest, past = pages.count(), pages[0:2], pages[2:10], pages[10:12]

    assert len(queries) == 4
    assert count == len(expected) >= 3
    assert [e.pk for e in first + rest] == [e.pk for e in expected]
    assert past == []
    newest = first[0]
    assert newest.explanation == expected[0].explanation and isinstance(newest.explanation, dict)
    assert (newest.amount, newest.points, newest.created_at) == (
        expected[0].amount,
        expected[0].points,
        expected[0].created_at,
    )
    with pytest.raises(ValueError):
        pages[::2]
