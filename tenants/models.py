"""Merchants (tenants) and their domains, in the public schema."""

import datetime
import secrets

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_tenants.models import DomainMixin, TenantMixin

from loyalty.uploads import image_upload_validate

slug_validator = RegexValidator(
    r"^[a-z0-9](?:[a-z0-9-]{1,38}[a-z0-9])$",
    _("3 to 40 lower-case letters, digits or hyphens, not starting or ending with a hyphen."),
    code="invalid_slug",
)


brand_color_validator = RegexValidator(
    r"^#[0-9a-fA-F]{6}$",
    _("A colour as # and six hexadecimal digits, for example #7c3aed."),
    code="invalid_brand_color",
)
BRAND_COLOR_DEFAULT = "#7c3aed"


def join_code_new() -> str:
    alphabet = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
    return "".join(secrets.choice(alphabet) for _ in range(8))


class Merchant(TenantMixin):
    """A business on the platform; its data lives in the schema `schema_name`."""

    class Category(models.TextChoices):
        CAFE = "cafe", _("Café")
        RESTAURANT = "restaurant", _("Restaurant")
        GYM = "gym", _("Gym")
        SALON = "salon", _("Salon")
        RETAIL = "retail", _("Retail")
        OTHER = "other", _("Other")

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        SUSPENDED = "suspended", _("Suspended")

    class Billing(models.TextChoices):
        """Where the merchant stands with its subscription (`billing.services`).
        Suspension by the platform is separate (`status`)."""

        TRIALING = "trialing", _("Trial")
        ACTIVE = "active", _("Paying")
        PAST_DUE = "past_due", _("Payment due")
        READ_ONLY = "read_only", _("Read-only")

    name = models.CharField(_("name"), max_length=120)
    name_ar = models.CharField(_("name (Arabic)"), max_length=120, blank=True)
    slug = models.SlugField(_("slug"), max_length=40, unique=True, validators=[slug_validator])
    category = models.CharField(
        _("category"), max_length=20, choices=Category.choices, default=Category.OTHER
    )
    city = models.CharField(_("city"), max_length=80, blank=True)
    address = models.CharField(_("address"), max_length=255, blank=True)
    contact_email = models.EmailField(_("contact email"), blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=20, blank=True)
    logo = models.ImageField(
        _("logo"), upload_to="logos/", blank=True, validators=[image_upload_validate]
    )
    # The card's header, the installed app's theme and its default icon.
    brand_color = models.CharField(
        _("brand colour"),
        max_length=7,
        default=BRAND_COLOR_DEFAULT,
        validators=[brand_color_validator],
        help_text=_("The colour of your customers' card and its app icon."),
    )
    currency = models.CharField(_("currency"), max_length=3, default=settings.DEFAULT_CURRENCY)
    timezone = models.CharField(_("timezone"), max_length=64, default="Asia/Amman")
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.ACTIVE
    )
    join_code = models.CharField(
        _("join code"),
        max_length=12,
        unique=True,
        default=join_code_new,
        help_text=_("In the join QR: proves the customer scanned the poster in the shop."),
    )
    suspended_reason = models.CharField(_("reason for the suspension"), max_length=255, blank=True)
    suspended_at = models.DateTimeField(_("suspended at"), null=True, blank=True)
    # The platform admin's email: the account lives in the public schema, and a
    # merchant schema has an auth_user table of its own, so no foreign key.
    suspended_by = models.CharField(_("suspended by"), max_length=254, blank=True)
    trial_ends_at = models.DateTimeField(_("trial ends"), null=True, blank=True)
    # Kept by `billing.services` from the Stripe subscription (and by the job that ends
    # trials); read through `billing_state()`, which also applies the clock.
    billing_status = models.CharField(
        _("billing"), max_length=10, choices=Billing.choices, default=Billing.TRIALING
    )
    # When a payment first failed: the grace period counts from here.
    past_due_since = models.DateTimeField(_("payment due since"), null=True, blank=True)
    # When the dashboard turned read-only, and why (trial_ended, canceled, unpaid).
    read_only_since = models.DateTimeField(_("read-only since"), null=True, blank=True)
    read_only_reason = models.CharField(_("why read-only"), max_length=20, blank=True)
    # The language the owner signed up in: their mails about the account (trial
    # reminders, the dashboard turning read-only) are written in it. Empty: unknown.
    owner_language = models.CharField(
        _("owner's language"),
        max_length=2,
        blank=True,
        choices=[("en", "English"), ("ar", "العربية")],
    )
    # When the owner proved the contact email theirs. A merchant from self-serve signup
    # cannot award points or send messages until then (tenants.services).
    email_verified_at = models.DateTimeField(_("email confirmed"), null=True, blank=True)
    # Set while the merchant is copied to another database (`tenants.move`), and left
    # set on the copy it left behind: the merchant is read-only here from then on, and
    # `MerchantPlacement` says where it lives.
    moving_since = models.DateTimeField(_("moving since"), null=True, blank=True)
    plan = models.ForeignKey(
        "billing.Plan",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="merchants",
        verbose_name=_("plan"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    # Schemas are created by `tenants.provisioning`, inside the same transaction as
    # this row, never implicitly by save().
    auto_create_schema = False
    auto_drop_schema = False

    class Meta:
        verbose_name = _("merchant")
        verbose_name_plural = _("merchants")
        ordering = ["name"]
        indexes = [models.Index(fields=["category", "city"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(brand_color__regex=r"^#[0-9a-fA-F]{6}$"),
                name="merchant_brand_color_hex",
                violation_error_message=_(
                    "A colour as # and six hexadecimal digits, for example #7c3aed."
                ),
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_suspended(self) -> bool:
        return self.status == self.Status.SUSPENDED

    @property
    def email_verified(self) -> bool:
        return self.email_verified_at is not None

    def billing_state(self, now: "datetime.datetime | None" = None) -> str:
        """The billing state at `now`: the stored one, with the clock applied, so that a
        trial that ended or a grace period that ran out counts at once, before the job
        that records it has run."""
        now = now or timezone.now()
        state = self.billing_status
        if state == self.Billing.TRIALING and self.trial_ends_at and self.trial_ends_at <= now:
            return self.Billing.READ_ONLY
        if state == self.Billing.PAST_DUE and self.grace_ends_at and self.grace_ends_at <= now:
            return self.Billing.READ_ONLY
        return state

    def read_only_began(self, now: "datetime.datetime | None" = None) -> "datetime.datetime | None":
        """When the read-only time the merchant is in at `now` began (None: not read-only):
        the recorded moment, or the trial's or the grace period's end that the clock
        has passed before the job recording it ran."""
        if self.billing_state(now) != self.Billing.READ_ONLY:
            return None
        if self.billing_status == self.Billing.TRIALING:
            return self.trial_ends_at
        if self.billing_status == self.Billing.PAST_DUE:
            return self.grace_ends_at
        return self.read_only_since

    def read_only_why(self) -> str:
        """Why a read-only merchant is read-only: the recorded reason (trial_ended,
        canceled, unpaid), or what the clock passed (the trial's or the grace period's
        end) before the job recording it ran."""
        if self.read_only_reason:
            return self.read_only_reason
        return "trial_ended" if self.billing_status == self.Billing.TRIALING else "unpaid"

    @property
    def grace_ends_at(self) -> "datetime.datetime | None":
        if self.past_due_since is None:
            return None
        return self.past_due_since + datetime.timedelta(days=settings.PAST_DUE_GRACE_DAYS)

    @property
    def is_read_only(self) -> bool:
        return self.moving_since is not None or self.billing_state() == self.Billing.READ_ONLY


class TrialReminder(models.Model):
    """A reminder that the trial ends in `days` days, mailed to the owner: one per
    trial end and number of days, so the hourly job mails each exactly once (a trial
    the platform extends gets its own reminders)."""

    merchant = models.ForeignKey(
        Merchant,
        on_delete=models.CASCADE,
        related_name="trial_reminders",
        verbose_name=_("merchant"),
    )
    trial_ends_at = models.DateTimeField(_("trial ends"))
    days = models.PositiveSmallIntegerField(_("days before the end"))
    sent_at = models.DateTimeField(_("sent"), default=timezone.now)

    class Meta:
        verbose_name = _("trial reminder")
        verbose_name_plural = _("trial reminders")
        constraints = [
            models.UniqueConstraint(
                fields=["merchant", "trial_ends_at", "days"], name="trial_reminder_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.merchant_id}: {self.days} days before {self.trial_ends_at:%Y-%m-%d}"


class Domain(DomainMixin):
    """A host name that serves one merchant (`cafe-aroma.<BASE_DOMAIN>`)."""

    class Meta:
        verbose_name = _("domain")
        verbose_name_plural = _("domains")

    def __str__(self) -> str:
        return self.domain


class MerchantPlacement(models.Model):
    """Which database holds a merchant that moved out of the default one (`tenants.move`):
    its schema and the public rows it needs. A merchant without a row lives in the
    default database. The name is a key of `settings.MERCHANT_DATABASES`."""

    merchant = models.OneToOneField(
        Merchant, on_delete=models.CASCADE, related_name="placement", verbose_name=_("merchant")
    )
    database = models.CharField(_("database"), max_length=63)
    moved_at = models.DateTimeField(_("moved at"))
    # Whether the schema was dropped from the default database after the copy.
    source_dropped = models.BooleanField(_("source schema dropped"), default=False)

    class Meta:
        verbose_name = _("merchant placement")
        verbose_name_plural = _("merchant placements")

    def __str__(self) -> str:
        return f"{self.merchant_id} in {self.database}"


class SchemaTemplate(models.Model):
    """The SQL that builds a merchant schema at one state of the migrations.

    Recorded once per migration state from a real `migrate` run and replayed for
    every new merchant (see `tenants.provisioning`).
    """

    fingerprint = models.CharField(_("fingerprint"), max_length=64, unique=True)
    script = models.TextField(_("script"))
    statement_count = models.PositiveIntegerField(_("statements"))
    # The catalog digest (`provisioning.schema_shapes`) of the schema the script was
    # recorded from: what a merchant schema at this fingerprint must look like.
    shape = models.CharField(_("shape"), max_length=32, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("schema template")
        verbose_name_plural = _("schema templates")

    def __str__(self) -> str:
        return gettext("%(fingerprint)s (%(count)s statements)") % {
            "fingerprint": self.fingerprint[:12],
            "count": self.statement_count,
        }


class SchemaState(models.Model):
    """The migration state a merchant schema was last found complete at.

    Written after a schema is built (replayed or migrated) or migrated for real, and
    only when its catalog then had the shape of a freshly built one; `migrate_schemas`
    skips a schema whose row has the code's fingerprint and whose catalog still has
    the recorded shape (docs/scaling-catalog.md, "What the skip trusts").
    """

    schema_name = models.CharField(_("schema"), max_length=63, unique=True)
    fingerprint = models.CharField(_("fingerprint"), max_length=64)
    shape = models.CharField(_("shape"), max_length=32)
    migrated_at = models.DateTimeField(_("migrated at"), default=timezone.now)

    class Meta:
        verbose_name = _("schema state")
        verbose_name_plural = _("schema states")

    def __str__(self) -> str:
        return f"{self.schema_name} at {self.fingerprint[:12]}"


class MerchantDailyStats(models.Model):
    """One merchant's figures for one day, collected by a beat job into the public
    schema, so the platform dashboard never loops over every merchant's schema."""

    merchant = models.ForeignKey(
        Merchant, on_delete=models.CASCADE, related_name="daily_stats", verbose_name=_("merchant")
    )
    day = models.DateField(_("day"))
    members = models.PositiveIntegerField(_("members"), default=0)
    new_members = models.PositiveIntegerField(_("new members"), default=0)
    active_members = models.PositiveIntegerField(_("active members"), default=0)
    points_issued = models.PositiveBigIntegerField(
        _("points issued"), default=0
    )  # a day's sums of entries
    points_redeemed = models.PositiveBigIntegerField(_("points redeemed"), default=0)
    redemptions = models.PositiveIntegerField(_("redemptions"), default=0)
    messages_sent = models.PositiveIntegerField(_("messages sent"), default=0)
    collected_at = models.DateTimeField(_("collected at"), auto_now=True)

    class Meta:
        verbose_name = _("merchant's day")
        verbose_name_plural = _("merchants' days")
        constraints = [
            models.UniqueConstraint(fields=["merchant", "day"], name="one_stats_row_per_day")
        ]
        indexes = [models.Index(fields=["day"])]

    def __str__(self) -> str:
        return f"{self.merchant_id} on {self.day}"
