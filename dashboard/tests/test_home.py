"""The dashboard home's figures, with exact numbers: the same whole days for every
figure, voided earnings and refunded redemptions left out, and a new merchant's
empty state and checklist."""

import datetime
import re
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth.models import User
from django.utils import timezone

from dashboard.reports import report_home, setup_checklist
from dashboard.services import setup_step_done
from points.models import LedgerEntry
from points.services import points_earn, points_void
from rewards.services import redemption_create, redemption_reject
from tests.fixtures import HostClient

pytestmark = pytest.mark.django_db
AMMAN = ZoneInfo("Asia/Amman")
NOW = datetime.datetime(2026, 6, 15, 12, 0, tzinfo=AMMAN)


def at(month: int, day: int, hour: int) -> datetime.datetime:
    return datetime.datetime(2026, month, day, hour, 0, tzinfo=AMMAN)


def _history(programme) -> dict[str, int]:
    """Two members, earnings by two staff members around the edge of the period, one
    earning voided, one redemption kept and one rejected (refunded)."""
    with time_machine.travel(at(5, 1, 10), tick=False):
        lina = programme.member()
        omar = programme.member()
    # 30 days and 21 hours before NOW: the day before the first of the 30 days.
    with time_machine.travel(at(5, 16, 15), tick=False):
        points_earn(membership_id=lina.pk, amount="10.000", actor=programme.cashier)
    with time_machine.travel(at(6, 1, 9), tick=False):
        points_earn(membership_id=lina.pk, amount="20.000", actor=programme.cashier)
        voided = points_earn(membership_id=omar.pk, amount="3.000", actor=programme.cashier)
        points_void(entry_id=voided.pk, actor=programme.manager, reason="typed twice")
    with time_machine.travel(at(6, 10, 18), tick=False):
        points_earn(membership_id=omar.pk, amount="5.000", actor=programme.manager)
        redemption_create(membership_id=lina.pk, reward_id=programme.free_coffee.pk)
        refused = redemption_create(membership_id=lina.pk, reward_id=programme.free_coffee.pk)
        redemption_reject(redemption_id=refused.pk, actor=programme.manager, reason="none left")
    return {"lina": lina.pk, "omar": omar.pk}


def test_every_figure_counts_the_same_30_local_days(programme) -> None:
    _history(programme)
    with timezone.override(AMMAN):
        report = report_home(now=NOW)
    assert report.since == at(5, 17, 0)
    assert report.days[0] == datetime.date(2026, 5, 17)
    assert report.days[-1] == datetime.date(2026, 6, 15)
    # 200 (cashier, June 1) + 50 (manager, June 10); the May 16 earning is before the
    # period and the voided 30 was taken back.
    assert report.points_issued == 250
    assert report.issued[report.days.index(datetime.date(2026, 6, 1))] == 200
    assert report.issued[report.days.index(datetime.date(2026, 6, 10))] == 50
    # One free coffee kept (100 points); the rejected one gave its points back.
    assert report.points_redeemed == 100
    assert report.redemption_rate == 40  # 100 / 250
    assert [(s.name, s.sales, s.amount, s.points) for s in report.staff] == [
        (programme.cashier.email, 1, 20, 200),
        (programme.manager.email, 1, 5, 50),
    ]
    assert report.staff_points == 250
    assert report.staff_points <= report.points_issued
    assert report.members == 2
    assert report.pending_redemptions == 1
    assert [(r.name, n) for r, n in report.top_rewards] == [("Free Coffee", 1)]


def test_the_home_page_shows_the_figures_with_what_they_count(merchant_a, programme) -> None:
    _history(programme)
    owner = User.objects.get(email=merchant_a.owner_email)
    client = HostClient(merchant_a.host)
    client.force_login(owner)
    with time_machine.travel(NOW, tick=False):
        page = client.get("/admin/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    figure = dict(re.findall(r'data-kpi="(\w+)"[^>]*>([^<]*)<', page))
    assert figure == {
        "members": "2",
        "active_members": "2",
        "points_issued": "250",
        "points_redeemed": "100",
        "redemption_rate": "40%",
        "pending_redemptions": "1",
    }
    assert 'title="Points redeemed divided by points issued, in the same 30 days."' in page
    assert "Staff sales earned 250 of the 250 points issued" in page
    assert "20.000\xa0JOD" in page  # the cashier's sales, in the merchant's currency
    assert 'data-chart="points"' in page and 'data-empty="points"' not in page
    assert "&quot;display&quot;: true" in page  # the legend is shown


def test_a_new_merchant_sees_an_empty_state_and_the_first_steps(merchant_a, programme) -> None:
    owner = User.objects.get(email=merchant_a.owner_email)
    client = HostClient(merchant_a.host)
    client.force_login(owner)
    page = client.get("/admin/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'data-testid="empty-home"' in page
    for empty in ("points", "members", "tiers", "rewards", "staff"):
        assert f'data-empty="{empty}"' in page
    assert "data-type=" not in page  # no empty axes
    assert 'data-kpi="redemption_rate" title="Points redeemed divided by points issued' in page
    steps = re.findall(r'data-step="(\w+)" data-done="(\w+)"', page)
    assert steps[-1] == ("first_points", "false")
    assert (
        'href="/admin/counter/" class="font-medium text-primary-600" data-step="first_points"'
        in page
    )


def test_the_checklist_goes_once_every_step_is_done(merchant_a, programme) -> None:
    setup_step_done(step="points")
    setup_step_done(step="poster")
    before = {item.key: item.done for item in setup_checklist()}
    assert before == {
        "points": True,
        "tiers": True,
        "reward": True,
        "staff": True,
        "poster": True,
        "first_points": False,
    }
    member = programme.member()
    points_earn(membership_id=member.pk, amount="1.000", actor=programme.cashier)
    assert LedgerEntry.objects.filter(kind="earn").count() == 1
    assert all(item.done for item in setup_checklist())
    owner = User.objects.get(email=merchant_a.owner_email)
    client = HostClient(merchant_a.host)
    client.force_login(owner)
    page = client.get("/admin/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'data-testid="checklist"' not in page
    assert 'data-testid="empty-home"' not in page
