"""Reads of plans and usage."""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Sum
from django.utils import timezone

from tenants.models import Merchant

from .models import Invoice, MessageUsage, Plan, Subscription


def plan_trial() -> Plan:
    return Plan.objects.get(code="trial")


def plan_of(merchant: Merchant) -> Plan:
    """The merchant's plan; a merchant without one is on the trial plan."""
    return merchant.plan if merchant.plan is not None else plan_trial()


def texts_used(merchant: Merchant, day: datetime.date | None = None) -> int:
    month = MessageUsage.month_of(day or timezone.localdate())
    usage = MessageUsage.objects.filter(merchant=merchant, month=month).first()
    return usage.texts if usage else 0


def mrr() -> Decimal:
    """Monthly recurring revenue: the plan prices of active merchants, in JOD."""
    total = Merchant.objects.filter(status=Merchant.Status.ACTIVE, plan__is_trial=False).aggregate(
        total=Sum("plan__price")
    )["total"]
    return (total or Decimal(0)).quantize(Decimal("0.001"))


@dataclass(frozen=True)
class Usage:
    label: str
    used: int
    limit: int | None  # None: unlimited

    @property
    def percent(self) -> int:
        if not self.limit:
            return 0
        return min(100, round(100 * self.used / self.limit))

    @property
    def over(self) -> bool:
        return self.limit is not None and self.used >= self.limit

    @property
    def near(self) -> bool:
        """Reached, or 80% used: time to offer a bigger plan."""
        return self.limit is not None and self.used * 5 >= self.limit * 4


def members_used() -> int:
    """Members of the current merchant (every membership: a blocked one still counts)."""
    from points.models import Membership

    return Membership.objects.count()


def staff_used() -> int:
    """Staff accounts of the current merchant that can sign in, the owner included."""
    from django.contrib.auth.models import User

    return User.objects.filter(is_active=True).count()


def rewards_used() -> int:
    """Rewards of the current merchant offered now (an inactive one does not count)."""
    from rewards.models import Reward

    return Reward.objects.filter(is_active=True).count()


def usage_of(merchant: Merchant) -> list[Usage]:
    """What the merchant uses of its plan's limits (call inside its schema)."""
    from django.utils.translation import gettext as _

    plan = plan_of(merchant)
    return [
        Usage(_("Members"), members_used(), plan.max_members),
        Usage(_("Staff"), staff_used(), plan.max_staff),
        Usage(_("Rewards"), rewards_used(), plan.max_rewards),
        Usage(_("Text messages this month"), texts_used(merchant), plan.sms_per_month),
    ]


# A subscription in these states can be changed in the Portal; after them a plan is
# bought again through Checkout.
SUBSCRIPTION_ENDED = ("canceled", "incomplete_expired")


def subscription_live(merchant: Merchant) -> Subscription | None:
    """The merchant's subscription while it can still be changed, else None."""
    stored = Subscription.objects.filter(merchant=merchant).select_related("plan").first()
    if stored is None or stored.status in SUBSCRIPTION_ENDED:
        return None
    return stored


def invoices_recent(merchant: Merchant, count: int = 12) -> list[Invoice]:
    """The merchant's latest invoices, newest first (its billing history)."""
    return list(Invoice.objects.filter(merchant=merchant).order_by("-created")[:count])


def invoice_open(merchant: Merchant) -> Invoice | None:
    """The latest invoice still waiting for payment, if Stripe gave it a page."""
    return (
        Invoice.objects.filter(merchant=merchant, status=Invoice.Status.OPEN)
        .exclude(hosted_invoice_url="")
        .order_by("-created")
        .first()
    )
