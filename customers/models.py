"""The customer identity, one per person across every merchant (public schema)."""

from typing import Any, NoReturn

from django.db import models
from django.db.models.deletion import ProtectedError
from django.utils.translation import gettext_lazy as _

# Memberships in every merchant schema name their customer without a foreign key
# (docs/scaling.md, item 6): the database would let a customer row go and leave them
# pointing at nothing, and the ORM's PROTECT sees only the current schema. So no row
# is deleted: an account is closed and anonymised (customers.services.customer_delete),
# and `manage.py reconcile` reports a membership whose customer is missing.
DELETE_REFUSED = (
    "Customers are closed (customers.services.customer_delete), never deleted: "
    "memberships in merchant schemas point at them without a database constraint."
)


class CustomerQuerySet(models.QuerySet["Customer"]):
    def delete(self) -> NoReturn:
        raise ProtectedError(DELETE_REFUSED, set(self))


class Customer(models.Model):
    class Language(models.TextChoices):
        ENGLISH = "en", "English"
        ARABIC = "ar", "العربية"

    phone = models.CharField(_("phone (E.164)"), max_length=24, unique=True)
    name = models.CharField(max_length=120, blank=True)
    email = models.EmailField(blank=True)
    birthday = models.DateField(null=True, blank=True)
    language = models.CharField(max_length=2, choices=Language.choices, default=Language.ARABIC)
    marketing_consent = models.BooleanField(default=False)
    time_zone = models.CharField(
        max_length=64,
        default="Asia/Amman",
        help_text=_("Marketing messages wait for the day in this time zone."),
    )
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = CustomerQuerySet.as_manager()

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        indexes = [models.Index(fields=["birthday"])]

    def __str__(self) -> str:
        return self.name or self.phone

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise ProtectedError(DELETE_REFUSED, {self})


class Device(models.Model):
    """A phone of the customer's that receives push notifications."""

    class Platform(models.TextChoices):
        IOS = "ios", "iOS"
        ANDROID = "android", "Android"
        WEB = "web", "Web"

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="devices")
    token = models.CharField(max_length=512, unique=True)
    platform = models.CharField(max_length=10, choices=Platform.choices)
    created_at = models.DateTimeField(auto_now_add=True)
    last_seen_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("device")
        verbose_name_plural = _("devices")

    def __str__(self) -> str:
        return f"{self.platform} device of {self.customer_id}"


class NotificationPreference(models.Model):
    """Which channels a customer accepts, per kind of message. Transactional messages
    (points, rewards, tiers) and marketing (offers, broadcasts) are chosen apart."""

    customer = models.OneToOneField(
        Customer, on_delete=models.CASCADE, related_name="notification_preference"
    )
    push_transactional = models.BooleanField(default=True)
    push_marketing = models.BooleanField(default=True)
    email_transactional = models.BooleanField(default=True)
    email_marketing = models.BooleanField(default=False)
    sms_transactional = models.BooleanField(default=True)
    sms_marketing = models.BooleanField(default=False)
    whatsapp_transactional = models.BooleanField(default=True)
    whatsapp_marketing = models.BooleanField(default=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("notification preferences")
        verbose_name_plural = _("notification preferences")

    def __str__(self) -> str:
        return f"preferences of {self.customer_id}"

    def allows(self, channel: str, kind: str) -> bool:
        return bool(getattr(self, f"{channel}_{kind}"))


class OtpChallenge(models.Model):
    """A one-time code sent to a phone. Only its keyed hash is stored."""

    class Purpose(models.TextChoices):
        LOGIN = "login", _("Sign in")
        CHANGE_PHONE = "change_phone", _("Change phone number")
        # Read out to a cashier, who enrols the customer: it signs nobody in.
        JOIN = "join", _("Join at the counter")

    phone = models.CharField(max_length=16, db_index=True)
    purpose = models.CharField(max_length=20, choices=Purpose.choices)
    customer = models.ForeignKey(
        Customer, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    code_hash = models.CharField(max_length=64)
    attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    language = models.CharField(
        max_length=2,
        choices=Customer.Language.choices,
        default=Customer.Language.ARABIC,
        help_text=_("The language the code was asked in: a new customer's language."),
    )

    class Meta:
        verbose_name = _("sign-in code")
        verbose_name_plural = _("sign-in codes")
        indexes = [models.Index(fields=["phone", "purpose", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.purpose} code for {self.phone}"


class MerchantLink(models.Model):
    """That a customer is a member of a merchant: the public index of memberships, so
    "my memberships" reads only the merchants the customer joined."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="links")
    merchant = models.ForeignKey(
        "tenants.Merchant", on_delete=models.CASCADE, related_name="customer_links"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("customer's merchant")
        verbose_name_plural = _("customers' merchants")
        constraints = [
            models.UniqueConstraint(fields=["customer", "merchant"], name="one_link_per_merchant")
        ]

    def __str__(self) -> str:
        return f"{self.customer_id} at {self.merchant_id}"
