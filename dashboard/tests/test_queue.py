"""The redemption queue opens on what waits for a decision; the history is a filter."""

import datetime
import re
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth.models import User

from points.services import points_adjust
from rewards.services import redemption_approve, redemption_create, redemption_reject
from tests.fixtures import HostClient

pytestmark = pytest.mark.django_db
AMMAN = ZoneInfo("Asia/Amman")


def test_the_queue_shows_pending_requests_oldest_first_and_history_apart(
    merchant_a, programme
) -> None:
    member = programme.member()
    points_adjust(membership_id=member.pk, points=500, reason="t", actor=programme.manager)
    made = []
    for day in (3, 1, 2, 4):
        with time_machine.travel(datetime.datetime(2026, 6, day, 10, tzinfo=AMMAN), tick=False):
            made.append(
                redemption_create(membership_id=member.pk, reward_id=programme.free_coffee.pk)
            )
    late, early, middle, decided = made
    redemption_approve(redemption_id=decided.pk, actor=programme.manager)
    rejected = redemption_create(membership_id=member.pk, reward_id=programme.free_coffee.pk)
    redemption_reject(redemption_id=rejected.pk, actor=programme.manager, reason="none left")
    codes = {r.pk: r.voucher_code for r in (*made, rejected)}

    client = HostClient(merchant_a.host)
    client.force_login(User.objects.get(email=merchant_a.owner_email))
    queue = client.get("/admin/rewards/redemption/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    shown = [
        code
        for code in re.findall(r"\b[A-Z0-9]{6,12}\b", queue.split("<tbody", 1)[1])
        if code in codes.values()
    ]
    assert shown == [codes[early.pk], codes[middle.pk], codes[late.pk]]
    assert "Waiting for a decision" in queue

    history = client.get(
        "/admin/rewards/redemption/?queue=history", HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    shown = [
        c
        for c in re.findall(r"\b[A-Z0-9]{6,12}\b", history.split("<tbody", 1)[1])
        if c in codes.values()
    ]
    assert shown == [codes[rejected.pk], codes[decided.pk]]  # newest first

    approved = client.get("/admin/rewards/redemption/?queue=approved").content.decode()
    shown = [
        c
        for c in re.findall(r"\b[A-Z0-9]{6,12}\b", approved.split("<tbody", 1)[1])
        if c in codes.values()
    ]
    assert shown == [codes[decided.pk]]
