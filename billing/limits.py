"""The plan's limits, enforced by the services that add what a plan counts.

Callers: membership_join (members; enrolment takes the lock first, plan_limit_lock),
staff_create and staff_invite (staff; the owner made at provisioning is the first
account, inside every plan), reward_save (active rewards: a new one, or one offered
again), broadcast_send (texts left this month and WhatsApp, for a broadcast on those
channels) and the dashboard's channel choices (WhatsApp, when the owner ticks it).
The relay still skips a text once the month's
allowance is used up: a broadcast sent with a few texts left reaches as many members
by text as the allowance has room for, and the rest by their other channels.
"""

from collections.abc import Callable

from django.db import transaction
from django.utils.translation import gettext as _

from loyalty.errors import DomainError
from tenants.models import Merchant

from .models import Plan
from .selectors import members_used, plan_of, rewards_used, staff_used, texts_used

LIMITS = ("members", "staff", "rewards", "texts", "whatsapp")


def _allowed(plan: Plan, limit: str) -> int | None:
    """How many the plan allows; None: no limit."""
    if limit == "whatsapp":
        return None if plan.whatsapp else 0
    if limit == "texts":
        return plan.sms_per_month
    return {"members": plan.max_members, "staff": plan.max_staff, "rewards": plan.max_rewards}[
        limit
    ]


_USED: dict[str, Callable[[Merchant], int]] = {
    "members": lambda merchant: members_used(),
    "staff": lambda merchant: staff_used(),
    "rewards": lambda merchant: rewards_used(),
    "texts": texts_used,
    "whatsapp": lambda merchant: 0,
}


def _message(limit: str, plan: Plan, allowed: int) -> str:
    names = {"plan": str(plan), "allowed": allowed}
    if limit == "members":
        return _("Your %(plan)s plan allows %(allowed)s members. Upgrade to add more.") % names
    if limit == "staff":
        return (
            _("Your %(plan)s plan allows %(allowed)s staff members. Upgrade to add more.") % names
        )
    if limit == "rewards":
        return (
            _("Your %(plan)s plan allows %(allowed)s active rewards. Upgrade to offer more.")
            % names
        )
    if limit == "texts":
        return (
            _(
                "Your %(plan)s plan's %(allowed)s text messages this month are used up. "
                "Upgrade to send more."
            )
            % names
        )
    return _("Your %(plan)s plan does not include WhatsApp messages. Upgrade to use them.") % names


def _plan_locked(limit: str, merchant: Merchant | None) -> tuple[Merchant, Plan] | None:
    """The merchant's row, locked until the transaction ends, and its plan, when the
    plan limits `limit` (None, and no lock, when it does not)."""
    from tenants.selectors import merchant_current

    if limit not in LIMITS:
        raise ValueError(f"unknown plan limit {limit!r}")
    merchant = merchant or merchant_current()
    # The plan as stored now (the request's merchant may come from the host cache).
    stored = Merchant.objects.select_related("plan").get(pk=merchant.pk)
    if _allowed(plan_of(stored), limit) is None:
        return None
    locked = (
        Merchant.objects.select_related("plan").select_for_update(of=("self",)).get(pk=merchant.pk)
    )
    plan = plan_of(locked)
    return (locked, plan) if _allowed(plan, limit) is not None else None


def plan_limit_lock(limit: str, *, merchant: Merchant | None = None) -> None:
    """Take the lock `plan_limit_require` takes, early, inside the caller's transaction:
    a caller that locks other rows before adding (enrolment locks the customer) takes
    this one first, so every path takes the locks in one order and none waits for
    another in a circle."""
    _plan_locked(limit, merchant)


def plan_limit_require(limit: str, *, merchant: Merchant | None = None, adding: int = 1) -> None:
    """Refuse with `plan_limit_reached` when `adding` more of `limit` (one of LIMITS)
    would pass the merchant's plan (the current merchant by default; call inside its
    schema). `fields` name the limit, how many the plan allows, the plan and how many
    are used.

    Call it inside the transaction that adds: the merchant's row (public schema) stays
    locked until that transaction ends, so of two joins at the same moment for the last
    place, the second counts after the first has committed and is refused. A plan
    without this limit takes no lock."""
    with transaction.atomic():
        found = _plan_locked(limit, merchant)
        if found is None:
            return
        locked, plan = found
        allowed = _allowed(plan, limit)
        assert allowed is not None
        used = _USED[limit](locked)
        if used + adding > allowed:
            raise DomainError(
                "plan_limit_reached",
                _message(limit, plan, allowed),
                fields={"limit": limit, "allowed": allowed, "plan": plan.code, "used": used},
            )
