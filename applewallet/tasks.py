"""Refreshing a member's pass on the devices that keep it."""

import logging

import httpx

from loyalty.tasks import merchant_task

from . import apns, config, selectors, services

logger = logging.getLogger(__name__)


@merchant_task(autoretry_for=(httpx.TransportError,), retry_backoff=30, max_retries=5)
def pass_refresh(membership_id: int) -> dict[str, int]:
    """Mark the pass changed, then push to each registered device; a token APNs says is
    gone (410) loses its registration."""
    wallet_pass = services.pass_touch(membership_id=membership_id)
    if wallet_pass is None or not config.enabled():
        return {"sent": 0, "gone": 0}
    registrations = selectors.registrations_of(wallet_pass.pk)
    if not registrations:
        return {"sent": 0, "gone": 0}
    by_token = {r.push_token: r for r in registrations}
    outcomes = apns.push(list(by_token), config.signer())
    result = {"sent": 0, "gone": 0}
    for outcome in outcomes:
        if outcome.gone:
            services.registration_forget(registration_id=by_token[outcome.token].pk)
            result["gone"] += 1
        elif outcome.status == 200:
            result["sent"] += 1
        else:
            logger.warning("APNs refused a pass push: %s %s", outcome.status, outcome.reason)
    return result
