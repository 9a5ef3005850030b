"""Plans and what each merchant has used of them (public schema)."""

import datetime

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

    class Meta:
        verbose_name = _("plan")
        verbose_name_plural = _("plans")
        ordering = ["sort", "price"]

    def __str__(self) -> str:
        return local_name(self.name, self.name_ar)


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
