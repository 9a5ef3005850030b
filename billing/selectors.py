"""Reads of plans and usage."""

import datetime
from decimal import Decimal

from django.db.models import Sum
from django.utils import timezone

from tenants.models import Merchant

from .models import MessageUsage, Plan


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
