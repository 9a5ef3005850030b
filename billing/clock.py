"""What the clock does to billing, run by the hourly beat job (`billing.tasks`):
trials and grace periods that ran out are recorded as read-only, and owners are
mailed before their trial ends and when their dashboard turns read-only.

Every step locks the merchant's row and checks again what it found, so the job is
idempotent and two runs at once do each thing once. The owner's mail is queued in the
public schema's outbox in the same transaction as the change it reports.
"""

import datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import formats, timezone, translation
from django_tenants.utils import get_public_schema_name, schema_context

from messaging.models import Event
from messaging.outbox import outbox_add
from tenants.models import Merchant, TrialReminder
from tenants.selectors import merchant_host

from .services import merchant_billing_set

# What a lapse changes on the merchant's row.
LAPSE_FIELDS = ["billing_status", "past_due_since", "read_only_since", "read_only_reason"]

# Why the dashboard turned read-only, as the owner's mail says it.
WHY = {
    "trial_ended": ("Your free trial has ended.", "انتهت تجربتك المجانية."),
    "unpaid": ("We could not take your payment.", "لم نتمكن من تحصيل دفعتك."),
    "canceled": ("Your subscription was canceled.", "أُلغي اشتراكك."),
}


def lapses_due(*, now: datetime.datetime) -> list[int]:
    """Merchants whose trial ended, or whose grace period after a failed payment ran
    out, at `now`, and whose stored state does not say so yet."""
    grace = datetime.timedelta(days=settings.PAST_DUE_GRACE_DAYS)
    due = Merchant.objects.exclude(schema_name=get_public_schema_name()).filter(
        Q(billing_status=Merchant.Billing.TRIALING, trial_ends_at__lte=now)
        | Q(billing_status=Merchant.Billing.PAST_DUE, past_due_since__lte=now - grace)
    )
    return list(due.order_by("pk").values_list("pk", flat=True))


def merchant_lapse(*, merchant_id: int, now: datetime.datetime) -> Merchant | None:
    """Record that the merchant's trial (reason "trial_ended") or grace period
    ("unpaid") ran out, as of when it did, and mail the owner. None when neither has
    happened at `now` (already recorded, paid meanwhile, trial extended)."""
    with transaction.atomic():
        merchant = Merchant.objects.select_for_update().get(pk=merchant_id)
        trial_over = (
            merchant.billing_status == Merchant.Billing.TRIALING
            and merchant.trial_ends_at is not None
            and merchant.trial_ends_at <= now
        )
        grace_ends = merchant.grace_ends_at
        grace_over = (
            merchant.billing_status == Merchant.Billing.PAST_DUE
            and grace_ends is not None
            and grace_ends <= now
        )
        if trial_over and merchant.trial_ends_at is not None:
            reason, ended = "trial_ended", merchant.trial_ends_at
        elif grace_over and grace_ends is not None:
            reason, ended = "unpaid", grace_ends
        else:
            return None
        merchant_billing_set(merchant, Merchant.Billing.READ_ONLY, at=ended, reason=reason)
        merchant.save(update_fields=LAPSE_FIELDS)
        if merchant.email_verified:
            read_only_mail(merchant, reason)
    return merchant


def _language(merchant: Merchant) -> str:
    return merchant.owner_language if merchant.owner_language in ("en", "ar") else "en"


def _subscription_url(merchant: Merchant) -> str:
    return f"{settings.PUBLIC_SCHEME}://{merchant_host(merchant)}/admin/subscription/"


def read_only_mail(merchant: Merchant, reason: str) -> None:
    """Tell the owner the dashboard turned read-only, why, and how to restore it."""
    english, arabic = WHY.get(reason, WHY["unpaid"])
    since = merchant.read_only_since or timezone.now()
    with schema_context(get_public_schema_name()):
        outbox_add(
            event=Event.MERCHANT_READ_ONLY,
            to_email=merchant.contact_email,
            language=_language(merchant),
            dedupe_key=f"merchant-read-only:{merchant.pk}:{since:%Y%m%dT%H%M%S}",
            merchant=merchant.name,
            merchant_ar=merchant.name_ar,
            why=english,
            why_ar=arabic,
            subscription_url=_subscription_url(merchant),
        )


def reminders_due(*, now: datetime.datetime) -> list[int]:
    """Trialing merchants whose trial ends within the longest reminder period."""
    longest = datetime.timedelta(days=max(settings.TRIAL_REMINDER_DAYS, default=0))
    # Only owners who proved the address theirs are mailed: a signup made with someone
    # else's address stays harmless.
    due = Merchant.objects.exclude(schema_name=get_public_schema_name()).filter(
        email_verified_at__isnull=False,
        billing_status=Merchant.Billing.TRIALING,
        trial_ends_at__gt=now,
        trial_ends_at__lte=now + longest,
    )
    return list(due.order_by("pk").values_list("pk", flat=True))


def trial_reminder_send(*, merchant_id: int, now: datetime.datetime) -> TrialReminder | None:
    """Mail the owner that the trial ends soon, once per reminder period
    (TRIAL_REMINDER_DAYS: 3 days and 1 day before). Only the nearest period that has
    begun is sent: a job that was down for the 3-day reminder sends the 1-day one alone.
    Returns the recorded reminder, or None when there was nothing to send."""
    with transaction.atomic():
        merchant = Merchant.objects.select_for_update().get(pk=merchant_id)
        ends = merchant.trial_ends_at
        if (
            merchant.billing_status != Merchant.Billing.TRIALING
            or ends is None
            or ends <= now
            or not merchant.email_verified
        ):
            return None
        begun = [
            d for d in settings.TRIAL_REMINDER_DAYS if ends - datetime.timedelta(days=d) <= now
        ]
        if not begun:
            return None
        days = min(begun)
        reminder, created = TrialReminder.objects.get_or_create(
            merchant=merchant, trial_ends_at=ends, days=days, defaults={"sent_at": now}
        )
        if not created:
            return None
        language = _language(merchant)
        with translation.override(language):
            ends_on = formats.date_format(
                ends.astimezone(ZoneInfo(merchant.timezone)).date(), "DATE_FORMAT"
            )
        with schema_context(get_public_schema_name()):
            outbox_add(
                event=Event.TRIAL_ENDING,
                to_email=merchant.contact_email,
                language=language,
                dedupe_key=f"trial-ending:{reminder.pk}",
                merchant=merchant.name,
                merchant_ar=merchant.name_ar,
                ends_on=ends_on,
                subscription_url=_subscription_url(merchant),
            )
    return reminder


def billing_clock_run(*, now: datetime.datetime | None = None) -> dict[str, int]:
    """One run of the job: lapses first (a trial that ended needs no reminder), then
    reminders. Returns how many of each were recorded."""
    now = now or timezone.now()
    lapsed = sum(merchant_lapse(merchant_id=pk, now=now) is not None for pk in lapses_due(now=now))
    reminded = sum(
        trial_reminder_send(merchant_id=pk, now=now) is not None for pk in reminders_due(now=now)
    )
    return {"lapsed": lapsed, "reminded": reminded}
