from celery import shared_task

from loyalty.tasks import for_each_merchant, merchant_task

from .stats import stats_collect


@merchant_task(acks_late=True)
def stats_collect_today() -> int:
    return stats_collect().pk


@shared_task(name="tenants.tasks.stats_collect_all")
def stats_collect_all() -> int:
    return for_each_merchant(stats_collect_today)
