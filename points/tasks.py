"""Scheduled jobs. Beat starts a fan-out task, which queues one task per merchant."""

import logging

from celery import shared_task
from django_tenants.utils import get_public_schema_name, schema_context

from loyalty.tasks import for_each_merchant, merchant_task
from messaging.retention import messages_prune
from points import services
from points.idempotency import idempotency_prune
from rewards.services import redemptions_expire

logger = logging.getLogger(__name__)


@merchant_task(acks_late=True)
def daily_jobs() -> dict[str, object]:
    """Expire lots, warn of expiring points, pay birthdays, requalify tiers, prune keys."""
    result = {
        "expired_members": services.points_expire(),
        "warned_members": services.points_warn_expiring(),
        "birthdays": services.birthday_bonuses_pay(),
        "tiers": services.tiers_requalify(),
        "redemptions_expired": redemptions_expire(),
        "idempotency_pruned": idempotency_prune(),
        "messages_pruned": messages_prune(),
    }
    logger.info("daily jobs: %s", result)
    return result


@merchant_task(acks_late=True)
def expire_redemptions() -> int:
    return redemptions_expire()


@shared_task(name="points.tasks.daily_jobs_all")
def daily_jobs_all() -> int:
    with schema_context(get_public_schema_name()):
        messages_prune()  # the platform's own mail
    return for_each_merchant(daily_jobs)


@shared_task(name="points.tasks.expire_redemptions_all")
def expire_redemptions_all() -> int:
    return for_each_merchant(expire_redemptions)
