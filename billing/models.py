"""Plans and what each merchant has used of them (public schema)."""

import datetime

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from loyalty.formatting import local_name


class Plan(models.Model):  # type: ignore[django-manager-missing]
    """A subscription plan. A limit left empty means unlimited."""

    code = models.SlugField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=60)
    name_ar = models.CharField(_("name (Arabic)"), max_length=60, blank=True)
    price = models.DecimalField(
        _("monthly price (JOD)"), max_digits=10, decimal_places=3, default=0
    )
    max_members = models.PositiveIntegerField(_("members allowed"), null=True, blank=True)
    max_staff = models.PositiveIntegerField(_("staff allowed"), null=True, blank=True)
    max_rewards = models.PositiveIntegerField(_("rewards allowed"), null=True, blank=True)
    sms_per_month = models.PositiveIntegerField(
        _("text messages a month"),
        default=0,
        help_text=_("SMS and WhatsApp messages to customers; sign-in codes are not counted."),
    )
    whatsapp = models.BooleanField(_("WhatsApp messages"), default=False)
    is_trial = models.BooleanField(_("is trial"), default=False)
    is_public = models.BooleanField(_("offered at signup"), default=True)
    sort = models.PositiveSmallIntegerField(_("sort"), default=0)
    price_usd = models.DecimalField(
        _("monthly price (USD)"),
        max_digits=10,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_("Used when the platform bills in US dollars."),
    )
    # The Stripe Product and the Price merchants are billed with, kept in step with
    # the plan by `billing.stripe_prices` (a Price cannot change: a new price gets a
    # new Price and the old one is archived).
    stripe_product_id = models.CharField(_("Stripe product"), max_length=64, blank=True)
    stripe_price_id = models.CharField(_("Stripe price"), max_length=64, blank=True)
    stripe_price_amount = models.PositiveIntegerField(
        _("Stripe price amount"), null=True, blank=True, help_text=_("In minor units (fils).")
    )
    stripe_price_currency = models.CharField(_("Stripe price currency"), max_length=3, blank=True)

    class Meta:
        verbose_name = _("plan")
        verbose_name_plural = _("plans")
        ordering = ["sort", "price"]

    def __str__(self) -> str:
        return local_name(self.name, self.name_ar)

    def clean(self) -> None:
        from .money import stripe_amount

        if self.is_trial:
            return
        try:
            stripe_amount(self.price, "JOD")
        except ValueError as error:
            raise ValidationError(
                {"price": _("Stripe bills JOD in steps of 0.010: end the price with a 0.")},
                code="price_not_billable",
            ) from error


class StripeCustomer(models.Model):
    """Which merchant a Stripe customer is: webhooks name the customer, and this public
    table says whose schema the change belongs to."""

    customer_id = models.CharField(_("Stripe customer"), max_length=64, unique=True)
    merchant = models.OneToOneField(
        "tenants.Merchant",
        on_delete=models.CASCADE,
        related_name="stripe_customer",
        verbose_name=_("merchant"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("Stripe customer")
        verbose_name_plural = _("Stripe customers")

    def __str__(self) -> str:
        return self.customer_id


class Subscription(models.Model):
    """The merchant's Stripe subscription as Stripe last described it."""

    merchant = models.OneToOneField(
        "tenants.Merchant",
        on_delete=models.CASCADE,
        related_name="subscription",
        verbose_name=_("merchant"),
    )
    stripe_subscription_id = models.CharField(_("Stripe subscription"), max_length=64, unique=True)
    # Stripe's own status: trialing, active, past_due, unpaid, canceled, incomplete,
    # incomplete_expired, paused.
    status = models.CharField(_("status"), max_length=20)
    plan = models.ForeignKey(
        Plan, null=True, blank=True, on_delete=models.PROTECT, verbose_name=_("plan")
    )
    # What Stripe bills each month, in minor units of `currency` (MRR comes from here).
    monthly_amount = models.PositiveIntegerField(_("monthly amount"), default=0)
    currency = models.CharField(_("currency"), max_length=3, blank=True)
    current_period_end = models.DateTimeField(_("paid until"), null=True, blank=True)
    cancel_at_period_end = models.BooleanField(_("cancels at period end"), default=False)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    canceled_at = models.DateTimeField(_("canceled"), null=True, blank=True)
    # The Stripe timestamp of the description stored here: an older one never
    # overwrites a newer one (events arrive out of order).
    stripe_seen_at = models.DateTimeField(_("as of"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("subscription")
        verbose_name_plural = _("subscriptions")

    def __str__(self) -> str:
        return self.stripe_subscription_id


class StripeEvent(models.Model):
    """Every webhook event received, by its id: a replay finds it and does nothing."""

    event_id = models.CharField(_("event"), max_length=64, unique=True)
    type = models.CharField(_("type"), max_length=64)
    # When Stripe created the event.
    created = models.DateTimeField(_("created at Stripe"))
    received_at = models.DateTimeField(_("received"), auto_now_add=True)
    processed_at = models.DateTimeField(_("processed"), null=True, blank=True)
    merchant = models.ForeignKey(
        "tenants.Merchant",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="stripe_events",
        verbose_name=_("merchant"),
    )
    payload = models.JSONField(_("payload"))
    error = models.TextField(_("error"), blank=True)

    class Meta:
        verbose_name = _("Stripe event")
        verbose_name_plural = _("Stripe events")
        ordering = ["-created"]

    def __str__(self) -> str:
        return f"{self.type} {self.event_id}"


class Invoice(models.Model):
    """A Stripe invoice of a merchant: its billing history, the failed payments to
    follow up, and what was actually billed."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        OPEN = "open", _("Open")
        PAID = "paid", _("Paid")
        UNCOLLECTIBLE = "uncollectible", _("Uncollectible")
        VOID = "void", _("Void")

    merchant = models.ForeignKey(
        "tenants.Merchant",
        on_delete=models.CASCADE,
        related_name="invoices",
        verbose_name=_("merchant"),
    )
    stripe_invoice_id = models.CharField(_("Stripe invoice"), max_length=64, unique=True)
    number = models.CharField(_("number"), max_length=64, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices)
    currency = models.CharField(_("currency"), max_length=3)
    amount_due = models.PositiveIntegerField(_("amount due"), default=0)
    amount_paid = models.PositiveIntegerField(_("amount paid"), default=0)
    period_start = models.DateTimeField(_("period start"), null=True, blank=True)
    period_end = models.DateTimeField(_("period end"), null=True, blank=True)
    created = models.DateTimeField(_("created at Stripe"))
    paid_at = models.DateTimeField(_("paid"), null=True, blank=True)
    # The last failed attempt to take the payment, and how many there were.
    payment_failed_at = models.DateTimeField(_("payment failed"), null=True, blank=True)
    attempt_count = models.PositiveSmallIntegerField(_("attempts"), default=0)
    hosted_invoice_url = models.URLField(_("invoice page"), max_length=500, blank=True)
    stripe_seen_at = models.DateTimeField(_("as of"), null=True, blank=True)

    class Meta:
        verbose_name = _("invoice")
        verbose_name_plural = _("invoices")
        ordering = ["-created"]
        indexes = [models.Index(fields=["merchant", "-created"])]

    def __str__(self) -> str:
        return self.number or self.stripe_invoice_id


class MessageUsage(models.Model):
    """Text messages (SMS and WhatsApp) a merchant sent to customers in one month."""

    merchant = models.ForeignKey(
        "tenants.Merchant",
        on_delete=models.CASCADE,
        related_name="message_usage",
        verbose_name=_("merchant"),
    )
    month = models.DateField(_("month"), help_text=_("The first day of the month."))
    texts = models.PositiveIntegerField(_("texts"), default=0)

    class Meta:
        verbose_name = _("messages used")
        verbose_name_plural = _("messages used")
        constraints = [
            models.UniqueConstraint(fields=["merchant", "month"], name="message_usage_once")
        ]

    def __str__(self) -> str:
        return f"{self.merchant_id} {self.month:%Y-%m}: {self.texts}"

    @staticmethod
    def month_of(day: datetime.date) -> datetime.date:
        return day.replace(day=1)
