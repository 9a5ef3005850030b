"""Scheduled jobs on a real Celery worker: each task runs in the schema it names."""

import datetime

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from points.tasks import daily_jobs, daily_jobs_all, expire_redemptions
from rewards.models import Redemption
from rewards.services import redemption_create
from tests.threads import committed, funded_member

pytestmark = pytest.mark.django_db


def test_a_worker_expires_stale_redemptions_in_the_merchant_it_is_told(
    busy_merchant, celery_worker_process
) -> None:
    schema, programme = busy_merchant
    with schema_context(schema):
        member = funded_member(programme, 100)
        stale = committed(
            lambda: redemption_create(
                membership_id=member.pk,
                reward_id=programme.free_coffee.pk,
                at=timezone.now() - datetime.timedelta(days=30),
            )
        )

    assert expire_redemptions.delay(schema).get(timeout=30) >= 1

    with schema_context(schema):
        stale.refresh_from_db()
        member.refresh_from_db()
        assert stale.status == Redemption.Status.EXPIRED
        assert member.current_points == 100


def test_daily_jobs_fan_out_to_every_active_merchant(
    busy_merchant, merchant_a, merchant_b, celery_worker_process
) -> None:
    queued = daily_jobs_all.delay().get(timeout=30)
    assert queued >= 3  # alpha, beta, busy (and the demo merchants when seeded)

    result = daily_jobs.delay(busy_merchant[0]).get(timeout=30)
    assert set(result) == {
        "expired_members",
        "warned_members",
        "birthdays",
        "tiers",
        "redemptions_expired",
        "idempotency_pruned",
        "messages_pruned",
    }


def test_a_task_without_a_merchant_fails_on_the_worker(celery_worker_process) -> None:
    with pytest.raises(ValueError, match="needs a merchant schema"):
        daily_jobs.delay("public").get(timeout=30)
