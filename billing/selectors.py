"""Reads of plans and usage."""

import datetime
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone
from django_tenants.utils import get_public_schema_name

from tenants.models import Merchant

from .models import Invoice, MessageUsage, Plan, Subscription
from .money import stripe_decimal


def plan_trial() -> Plan:
    return Plan.objects.get(code="trial")


def plan_of(merchant: Merchant) -> Plan:
    """The merchant's plan; a merchant without one is on the trial plan."""
    return merchant.plan if merchant.plan is not None else plan_trial()


def texts_used(merchant: Merchant, day: datetime.date | None = None) -> int:
    month = MessageUsage.month_of(day or timezone.localdate())
    usage = MessageUsage.objects.filter(merchant=merchant, month=month).first()
    return usage.texts if usage else 0


# Stripe's statuses of a subscription that bills: a Stripe trial bills at its end.
BILLING_STATUSES = ("active", "trialing", "past_due")


def mrr(*, now: datetime.datetime | None = None) -> dict[str, Decimal]:
    """Monthly recurring revenue per currency: what Stripe bills each month, the sum of
    `Subscription.monthly_amount` of the subscriptions that bill (Stripe status active,
    trialing or past_due) of merchants paying or with a payment due at `now` (the
    clock applied: a merchant whose grace ran out is read-only). Merchants paying
    without a Stripe subscription (given a plan by the platform) add nothing."""
    now = now or timezone.now()
    paying = merchants_billed().filter(
        billing_state_q(Merchant.Billing.ACTIVE, now=now)
        | billing_state_q(Merchant.Billing.PAST_DUE, now=now)
    )
    rows = (
        Subscription.objects.filter(status__in=BILLING_STATUSES, merchant__in=paying)
        .values("currency")
        .annotate(total=Sum("monthly_amount"))
        .order_by("currency")
    )
    return {row["currency"]: stripe_decimal(row["total"], row["currency"]) for row in rows}


def billing_state_q(state: str, *, now: datetime.datetime) -> Q:
    """The merchants in billing `state` at `now`, with the clock applied as
    `Merchant.billing_state` does (a trial or grace period that ran out is read-only
    before the job records it), as a filter for SQL."""
    grace = datetime.timedelta(days=settings.PAST_DUE_GRACE_DAYS)
    trial_over = Q(billing_status=Merchant.Billing.TRIALING, trial_ends_at__lte=now)
    grace_over = Q(billing_status=Merchant.Billing.PAST_DUE, past_due_since__lte=now - grace)
    if state == Merchant.Billing.READ_ONLY:
        return Q(billing_status=Merchant.Billing.READ_ONLY) | trial_over | grace_over
    if state == Merchant.Billing.TRIALING:
        return Q(billing_status=state) & ~trial_over
    if state == Merchant.Billing.PAST_DUE:
        return Q(billing_status=state) & ~grace_over
    return Q(billing_status=state)


def merchants_billed() -> QuerySet[Merchant]:
    return Merchant.objects.exclude(schema_name=get_public_schema_name())


@dataclass(frozen=True)
class BillingOverview:
    mrr: dict[str, Decimal]
    # Merchants per billing state (Merchant.Billing values), the clock applied.
    states: dict[str, int]
    # (plan, merchants) among those trialing or paying, in the plans' order.
    plans: list[tuple[Plan, int]]
    trials_ended: int
    trials_converted: int
    paying_at_start: int
    churned: int
    # (invoice, amount due) of the failed payments to follow up, newest failure first.
    failed_invoices: list[tuple[Invoice, Decimal]]

    @property
    def conversion(self) -> Decimal | None:
        """Converted trials over ended trials, in percent; None without ended trials."""
        if not self.trials_ended:
            return None
        return (Decimal(100) * self.trials_converted / self.trials_ended).quantize(Decimal("0.1"))

    @property
    def churn(self) -> Decimal | None:
        """Churned over paying at the window's start, in percent; None without any."""
        if not self.paying_at_start:
            return None
        return (Decimal(100) * self.churned / self.paying_at_start).quantize(Decimal("0.1"))


def billing_overview(*, now: datetime.datetime | None = None, days: int = 30) -> BillingOverview:
    """The platform dashboard's billing figures at `now`, over the `days` before it.

    - Trial conversion: the trials that ended in the window (merchants whose
      `trial_ends_at` falls in it, whether they subscribed before it or not), and how
      many of them are paying now (paying or payment due).
    - Churn: merchants paying at the window's start (their Stripe subscription started
      before it, and they are paying now or churned in the window), and how many of
      them churned: turned read-only in the window because they canceled or did not
      pay (`read_only_reason` canceled or unpaid since a moment in the window, or a
      grace period after a failed payment that ran out in the window and that the job
      has not recorded yet).
    """
    now = now or timezone.now()
    start = now - datetime.timedelta(days=days)
    merchants = merchants_billed()
    states = merchants.aggregate(
        **{
            state: Count("pk", filter=billing_state_q(state, now=now))
            for state in Merchant.Billing.values
        }
    )
    live = billing_state_q(Merchant.Billing.TRIALING, now=now) | billing_state_q(
        Merchant.Billing.ACTIVE, now=now
    )
    per_plan = dict(
        merchants.filter(live).values_list("plan").annotate(n=Count("pk")).values_list("plan", "n")
    )
    trial = plan_trial()
    if None in per_plan:  # a merchant without a plan is on the trial plan
        per_plan[trial.pk] = per_plan.get(trial.pk, 0) + per_plan.pop(None)
    plans = [(plan, per_plan[plan.pk]) for plan in Plan.objects.all() if per_plan.get(plan.pk)]
    paying = billing_state_q(Merchant.Billing.ACTIVE, now=now) | billing_state_q(
        Merchant.Billing.PAST_DUE, now=now
    )
    ended = merchants.filter(trial_ends_at__gte=start, trial_ends_at__lt=now)
    grace = datetime.timedelta(days=settings.PAST_DUE_GRACE_DAYS)
    churned_q = Q(
        billing_status=Merchant.Billing.READ_ONLY,
        read_only_reason__in=["canceled", "unpaid"],
        read_only_since__gte=start,
        read_only_since__lt=now,
    ) | Q(
        billing_status=Merchant.Billing.PAST_DUE,
        past_due_since__gte=start - grace,
        past_due_since__lte=now - grace,
    )
    at_start = merchants.filter(subscription__started_at__lt=start).filter(paying | churned_q)
    figures: dict[str, Any] = {
        "trials_ended": ended.count(),
        "trials_converted": ended.filter(paying).count(),
        "paying_at_start": at_start.count(),
        "churned": at_start.filter(churned_q).count(),
    }
    failed = [
        (invoice, stripe_decimal(invoice.amount_due, invoice.currency))
        for invoice in Invoice.objects.filter(
            payment_failed_at__isnull=False, status=Invoice.Status.OPEN
        )
        .select_related("merchant")
        .order_by("-payment_failed_at", "-pk")[:20]
    ]
    return BillingOverview(
        mrr=mrr(now=now), states=states, plans=plans, failed_invoices=failed, **figures
    )


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
