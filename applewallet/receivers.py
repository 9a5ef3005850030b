"""After a commit that moved a member's balance or tier: queue the pass's refresh (the
request never calls APNs itself)."""

import logging
from typing import Any

from django_tenants.utils import schema_context
from kombu.exceptions import OperationalError

from . import config
from .models import WalletPass

logger = logging.getLogger(__name__)


def pass_refresh_queue(sender: Any, *, schema: str, membership_id: int, **kwargs: Any) -> None:
    if not config.enabled():
        return
    with schema_context(schema):
        if not WalletPass.objects.filter(membership_id=membership_id).exists():
            return
    from .tasks import pass_refresh

    try:
        pass_refresh.delay(schema, membership_id)
    except OperationalError:
        # The change is committed and stands; the pass catches up at the member's next one.
        logger.exception(
            "Could not queue the Apple Wallet refresh of %s in %s", membership_id, schema
        )


def passes_erase(sender: Any, *, schema: str, customer_id: int, **kwargs: Any) -> None:
    """A closed account's passes stop: their rows and the devices registered for them
    go, so the web service no longer knows the pass and nothing is pushed again."""
    with schema_context(schema):
        WalletPass.objects.filter(membership__customer_id=customer_id).delete()
