"""After a commit that moved a member's balance or tier: queue the pass's refresh (the
request never calls APNs itself)."""

from typing import Any

from django_tenants.utils import schema_context

from . import config
from .models import WalletPass


def pass_refresh_queue(sender: Any, *, schema: str, membership_id: int, **kwargs: Any) -> None:
    if not config.enabled():
        return
    with schema_context(schema):
        if not WalletPass.objects.filter(membership_id=membership_id).exists():
            return
    from .tasks import pass_refresh

    pass_refresh.delay(schema, membership_id)
