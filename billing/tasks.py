"""Celery tasks of billing: Stripe's events and the beat job of the billing clock
(billing.clock). They work in the public schema, where every billing table is, so they
take the row's id and no schema name."""

import stripe
from celery import shared_task

from .clock import billing_clock_run
from .events import stripe_event_process as process


@shared_task(
    name="billing.tasks.stripe_event_process",
    autoretry_for=(stripe.StripeError,),
    retry_backoff=5,
    retry_backoff_max=3600,
    retry_jitter=True,
    max_retries=12,
)
def stripe_event_process(event_pk: int) -> str:
    """Process one stored Stripe event (`billing.events.stripe_event_process`); a
    Stripe or network error retries with a growing wait (5 s up to an hour, about a
    day in all), after which Stripe's own redelivery of the event queues it again."""
    event = process(event_pk=event_pk)
    return event.error or "ok"


@shared_task(name="billing.tasks.billing_clock")
def billing_clock() -> dict[str, int]:
    """Trials and grace periods that ended turn read-only; owners are reminded before
    their trial ends (`billing.clock.billing_clock_run`)."""
    return billing_clock_run()
