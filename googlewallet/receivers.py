"""After a balance change is committed, queue the update of the member's Google Wallet
object (a Celery task: the request never waits for Google)."""

import logging
from typing import Any

from django_tenants.utils import schema_context

from . import client, tasks
from .models import WalletObject

logger = logging.getLogger(__name__)


def balance_changed_sync(sender: Any, *, schema: str, membership_id: int, **kwargs: Any) -> None:
    if not client.configured():
        return
    with schema_context(schema):
        saved = WalletObject.objects.filter(membership_id=membership_id).exists()
    if not saved:
        return
    try:
        tasks.object_sync.delay(schema, membership_id)
    except Exception:
        # The balance change stands; the pass catches up at the member's next change.
        logger.exception("Could not queue the Google Wallet update of %s/%s", schema, membership_id)


def customer_closed_erase(sender: Any, *, schema: str, customer_id: int, **kwargs: Any) -> None:
    """A closed account's loyalty objects: Google is told to retire them (no name, state
    inactive) by a task, which then forgets them; unconfigured, they are forgotten."""
    with schema_context(schema):
        ids = list(
            WalletObject.objects.filter(membership__customer_id=customer_id).values_list(
                "membership_id", flat=True
            )
        )
        if not client.configured():
            WalletObject.objects.filter(membership_id__in=ids).delete()
            return
    for membership_id in ids:
        try:
            tasks.object_retire.delay(schema, membership_id)
        except Exception:
            logger.exception("Could not queue the retirement of %s/%s", schema, membership_id)
