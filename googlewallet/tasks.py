"""The member's loyalty object follows the balance: one patch per balance change."""

import logging
from typing import Any

from loyalty.tasks import merchant_task

from . import services
from .client import WalletRefused, WalletUnavailable

logger = logging.getLogger(__name__)
# Google down (5xx, 429, no answer): tried again with back-off, for about two hours.
RETRIED: dict[str, Any] = {
    "autoretry_for": (WalletUnavailable,),
    "retry_backoff": 30,
    "retry_backoff_max": 3600,
    "retry_jitter": True,
    "max_retries": 8,
}


@merchant_task(**RETRIED)
def object_sync(membership_id: int) -> bool:
    """Patch the member's object (if saved). Google down: retried with back-off; Google
    refusing: recorded on the row (`last_error`) and not retried."""
    try:
        return services.wallet_object_sync(membership_id=membership_id) is not None
    except WalletRefused:
        logger.warning("Google Wallet refused the update of member %s", membership_id)
        return False


@merchant_task(**RETRIED)
def object_retire(membership_id: int) -> bool:
    """A closed account's object: retired at Google, then forgotten here."""
    try:
        services.wallet_object_retire(membership_id=membership_id)
    except WalletRefused:
        logger.warning("Google Wallet refused to retire the object of member %s", membership_id)
        return False
    return True
