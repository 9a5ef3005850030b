"""A balance change pushes the pass to the devices that keep it: a Celery task marks it
changed and posts an empty payload to APNs (the local HTTP/2 stub) for each device; a
token APNs says is gone loses its registration."""

import datetime
import json

import pytest
import time_machine
from kombu.exceptions import OperationalError

from applewallet import tasks
from applewallet.models import Registration, WalletPass
from applewallet.services import device_register, pass_for_membership
from points.services import points_earn
from points.services.jobs import tiers_requalify

from .conftest import PASS_TYPE_ID

pytestmark = pytest.mark.django_db
AT = datetime.datetime(2026, 12, 3, 10, 0, tzinfo=datetime.UTC)


def test_an_earn_pushes_the_pass_to_each_device_and_forgets_a_gone_one(
    apns, eager, programme, django_capture_on_commit_callbacks
) -> None:
    member = programme.member(tier=programme.silver)
    with time_machine.travel(AT - datetime.timedelta(hours=1), tick=False):
        wallet_pass = pass_for_membership(membership=member)
    device_register(wallet_pass=wallet_pass, device_library_id="phone", push_token="aa11")
    device_register(wallet_pass=wallet_pass, device_library_id="watch", push_token="bb22")
    apns.gone.add("bb22")

    with (
        time_machine.travel(AT, tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        points_earn(membership_id=member.pk, amount="50.000", actor=programme.cashier)

    assert [(r["headers"][":method"], r["headers"][":path"]) for r in apns.requests] == [
        ("POST", "/3/device/aa11"),
        ("POST", "/3/device/bb22"),
    ]
    assert {r["headers"]["apns-topic"] for r in apns.requests} == {PASS_TYPE_ID}
    assert {r["client"] for r in apns.requests} == {f"Pass Type ID: {PASS_TYPE_ID}"}
    assert [json.loads(r["body"]) for r in apns.requests] == [{}, {}]
    assert list(Registration.objects.values_list("device_library_id", flat=True)) == ["phone"]
    assert WalletPass.objects.get(pk=wallet_pass.pk).changed_at == AT


def test_a_member_without_a_pass_queues_nothing(
    apns, eager, programme, django_capture_on_commit_callbacks
) -> None:
    member = programme.member()

    with django_capture_on_commit_callbacks(execute=True):
        points_earn(membership_id=member.pk, amount="5.000", actor=programme.cashier)

    assert apns.requests == []
    assert WalletPass.objects.count() == 0


def test_a_tier_review_that_moves_no_points_pushes_too(
    apns, eager, programme, django_capture_on_commit_callbacks
) -> None:
    programme.settings.tier_window_months = 12
    programme.settings.save()
    member = programme.member(tier=programme.gold)
    type(member).objects.filter(pk=member.pk).update(tier_review_on=datetime.date(2026, 12, 1))
    wallet_pass = pass_for_membership(membership=member)
    device_register(wallet_pass=wallet_pass, device_library_id="phone", push_token="cc33")

    with django_capture_on_commit_callbacks(execute=True):
        tiers_requalify(at=AT)

    member.refresh_from_db()
    assert member.tier == programme.bronze
    assert [r["headers"][":path"] for r in apns.requests] == ["/3/device/cc33"]


def test_an_earn_stands_when_the_queue_is_away(
    wallet, programme, django_capture_on_commit_callbacks, monkeypatch, caplog
) -> None:
    member = programme.member(tier=programme.silver)
    pass_for_membership(membership=member)

    def broker_away(*args: object) -> None:
        raise OperationalError("Error 111 connecting to localhost:6379. Connection refused.")

    monkeypatch.setattr(tasks.pass_refresh, "delay", broker_away)
    with django_capture_on_commit_callbacks(execute=True):
        points_earn(membership_id=member.pk, amount="50.000", actor=programme.cashier)

    member.refresh_from_db()
    assert member.current_points == 750
    assert "Could not queue the Apple Wallet refresh" in caplog.text
