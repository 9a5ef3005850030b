"""Billing's beat job: the clock's effects on trials and grace periods (billing.clock)."""

from celery import shared_task

from .clock import billing_clock_run


@shared_task(name="billing.tasks.billing_clock")
def billing_clock() -> dict[str, int]:
    return billing_clock_run()
