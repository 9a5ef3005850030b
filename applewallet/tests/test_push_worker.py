"""The pass refresh on a real Celery worker process: an earn committed at the counter
reaches the APNs stub through the queue, the worker's own settings and certificates."""

import os
import time
from collections.abc import Callable

import pytest
from django_tenants.utils import schema_context

from applewallet.models import WalletPass
from applewallet.services import device_register, pass_for_membership
from loyalty.celery import app
from points.models import Membership
from points.services import points_earn
from tests.fixtures import worker_start
from tests.threads import committed

from .conftest import PASS_TYPE_ID

pytestmark = pytest.mark.django_db(transaction=False)


def wait_for(check: Callable[[], bool], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        time.sleep(0.1)


def test_an_earn_reaches_the_devices_through_the_worker(busy_merchant, wallet, apns) -> None:
    schema, programme = busy_merchant
    queue = f"apple-{os.getpid()}"
    worker = worker_start(queue, APNS_BASE=apns.url, **wallet.settings)
    default_queue = app.conf.task_default_queue
    app.conf.task_default_queue = queue
    try:
        with schema_context(schema):

            def member_with_a_device() -> Membership:
                member = programme.member(tier=programme.silver)
                wallet_pass = pass_for_membership(membership=member)
                device_register(
                    wallet_pass=wallet_pass, device_library_id="phone", push_token=f"w{member.pk}"
                )
                return member

            member = committed(member_with_a_device)
            committed(
                lambda: points_earn(
                    membership_id=member.pk, amount="50.000", actor=programme.cashier
                )
            )

            wait_for(lambda: len(apns.requests) == 1)
            (request,) = apns.requests
            assert request["headers"][":path"] == f"/3/device/w{member.pk}"
            assert request["headers"]["apns-topic"] == PASS_TYPE_ID
            assert request["client"] == f"Pass Type ID: {PASS_TYPE_ID}"
            committed(lambda: WalletPass.objects.filter(membership=member).delete())
    finally:
        app.conf.task_default_queue = default_queue
        worker.terminate()
        worker.wait(10)
