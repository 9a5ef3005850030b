"""Celery tasks of the relay. Every task names the schema it works in; the public
schema has an outbox of its own (mail to merchant owners)."""

import logging

from celery import shared_task
from celery.signals import worker_ready
from django.conf import settings
from django.core.cache import caches
from django.utils import timezone
from django_tenants.utils import schema_context

from loyalty.db import connection as db
from tenants.models import Merchant
from tenants.selectors import merchants_active

from .models import Delivery, Outbox
from .relay import deliveries_send, outbox_fan_out, work_due

logger = logging.getLogger(__name__)

# Set while a relay task for the schema waits in the queue: kicks in between add nothing.
QUEUED_KEY = "notify:queued:{}"
QUEUED_SECONDS = 15
# How long one task works before it hands over to a fresh one (other schemas get a turn).
RUN_SECONDS = 20.0


def relay_kick(schema_name: str) -> None:
    """Queue a relay for the schema unless one is already waiting. Never raises: if the
    broker is away, the sweep finds the work later."""
    try:
        if caches["platform"].add(QUEUED_KEY.format(schema_name), 1, timeout=QUEUED_SECONDS):
            relay.delay(schema_name)
    except Exception:
        logger.exception("Could not queue the relay for %s; the sweep will", schema_name)


def _schema_known(schema_name: str) -> bool:
    if schema_name == settings.PUBLIC_SCHEMA_NAME:
        return True
    return Merchant.objects.filter(schema_name=schema_name).exists()


@shared_task(name="messaging.tasks.relay")
def relay(schema_name: str) -> dict[str, int]:
    """Fan out the schema's due outbox rows and send its due deliveries."""
    if not schema_name or not _schema_known(schema_name):
        raise ValueError(f"relay needs a known schema, got {schema_name!r}")
    caches["platform"].delete(QUEUED_KEY.format(schema_name))  # later writes kick a new task
    fanned = sent = 0
    with schema_context(schema_name):
        while batch := outbox_fan_out():
            fanned += batch
        sent = deliveries_send(seconds=RUN_SECONDS)
        if schema_name != settings.PUBLIC_SCHEMA_NAME:
            from notifications.services import broadcasts_finish

            broadcasts_finish()
        more = work_due()
    if more:
        relay_kick(schema_name)
    return {"fanned_out": fanned, "sent": sent}


def schemas_with_work(schema_names: list[str]) -> list[str]:
    """The schemas with due work, found with one query per 200 schemas. A merchant
    schema with a broadcast still marked sending though nothing of it is left to do
    has work too: the relay marks it sent (whoever sent its last message, a relay run
    cut short or a script that called the relay's functions itself)."""
    from notifications.models import Broadcast

    found: list[str] = []
    outbox = Outbox._meta.db_table
    delivery = Delivery._meta.db_table
    broadcast = Broadcast._meta.db_table
    # The application's clock, not the database's: rows are written with it.
    now = timezone.now()
    for start in range(0, len(schema_names), 200):
        chunk = schema_names[start : start + 200]
        parts = []
        params: list[object] = []
        for name in chunk:
            q = db.ops.quote_name(name)
            part = (
                f"SELECT %s WHERE EXISTS (SELECT 1 FROM {q}.{outbox} WHERE status = 'pending'"
                f" AND available_at <= %s) OR EXISTS (SELECT 1 FROM {q}.{delivery}"
                f" WHERE status = 'pending' AND next_attempt_at <= %s)"
            )
            if name != settings.PUBLIC_SCHEMA_NAME:
                part += (
                    f" OR EXISTS (SELECT 1 FROM {q}.{broadcast} b WHERE b.status = 'sending'"
                    f" AND NOT EXISTS (SELECT 1 FROM {q}.{outbox} o WHERE o.broadcast_id = b.id"
                    f" AND (o.status = 'pending' OR EXISTS (SELECT 1 FROM {q}.{delivery} d"
                    f" WHERE d.message_id = o.id AND d.status = 'pending'))))"
                )
            parts.append(part)
            params += [name, now, now]
        with db.cursor() as cursor:
            cursor.execute(" UNION ALL ".join(parts), params)
            found.extend(row[0] for row in cursor.fetchall())
    return found


@shared_task(name="messaging.tasks.relay_sweep")
def relay_sweep() -> list[str]:
    """Queue a relay for every schema with due work (beat, and when a worker starts)."""
    names = [settings.PUBLIC_SCHEMA_NAME, *merchants_active().values_list("schema_name", flat=True)]
    with schema_context(settings.PUBLIC_SCHEMA_NAME):
        due = schemas_with_work(names)
    for name in due:
        relay_kick(name)
    return due


@worker_ready.connect
def _sweep_on_start(sender: object = None, **kwargs: object) -> None:
    """A worker that starts picks up what a dead one left behind."""
    try:
        relay_sweep.delay()
    except Exception:
        logger.exception("Could not queue the start-up sweep")
