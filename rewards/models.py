"""Rewards and their redemptions (merchant schema)."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from loyalty.formatting import local_name, points_text
from loyalty.uploads import image_upload_validate


class RewardCategory(models.Model):
    name = models.CharField(_("name"), max_length=60)
    name_ar = models.CharField(_("name (Arabic)"), max_length=60, blank=True)
    image = models.ImageField(
        _("image"), upload_to="categories/", blank=True, validators=[image_upload_validate]
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("reward category")
        ordering = ["position", "name"]
        verbose_name = _("reward category")
        verbose_name_plural = _("reward categories")

    def __str__(self) -> str:
        return self.display_name()

    def display_name(self, language: str | None = None) -> str:
        """The name in the reader's language (its Arabic name on an Arabic page)."""
        return local_name(self.name, self.name_ar, language)


class Reward(models.Model):
    class Kind(models.TextChoices):
        FREE_ITEM = "free_item", _("Free item")
        FIXED_DISCOUNT = "fixed_discount", _("Fixed discount")
        PERCENT_DISCOUNT = "percent_discount", _("Percent discount")

    category = models.ForeignKey(
        RewardCategory,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="rewards",
        # A merchant has tens of rewards: no index (a relation in every schema) for
        # what a scan of so few rows does as fast.
        db_index=False,
        verbose_name=_("category"),
    )
    name = models.CharField(_("name"), max_length=80)
    name_ar = models.CharField(_("name (Arabic)"), max_length=80, blank=True)
    description = models.TextField(_("description"), blank=True)
    description_ar = models.TextField(_("description (Arabic)"), blank=True)
    kind = models.CharField(_("type"), max_length=20, choices=Kind.choices, default=Kind.FREE_ITEM)
    value = models.DecimalField(
        _("value"),
        max_digits=10,
        decimal_places=3,
        default=Decimal("0"),
        help_text=_(
            "A fixed discount's amount (example: 1.500 JOD) or a percent discount's "
            "percent (example: 10). A free item has no value."
        ),
    )
    points_cost = models.PositiveIntegerField(_("points cost"), validators=[MinValueValidator(1)])
    min_tier = models.ForeignKey(
        "points.Tier",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,  # as `category`
        verbose_name=_("lowest tier"),
        help_text=_("Members below this tier cannot redeem it. Empty: every member."),
    )
    stock = models.PositiveIntegerField(
        _("stock"), null=True, blank=True, help_text=_("Empty: unlimited.")
    )
    valid_from = models.DateTimeField(_("valid from"), null=True, blank=True)
    valid_to = models.DateTimeField(_("valid until"), null=True, blank=True)
    per_member_limit = models.PositiveIntegerField(
        _("limit per member"), null=True, blank=True, help_text=_("Empty: no limit.")
    )
    image = models.ImageField(
        _("image"), upload_to="rewards/", blank=True, validators=[image_upload_validate]
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("reward")
        verbose_name_plural = _("rewards")
        ordering = ["points_cost", "name"]
        verbose_name = _("reward")
        verbose_name_plural = _("rewards")
        constraints = [
            models.CheckConstraint(condition=Q(points_cost__gt=0), name="reward_cost_positive"),
        ]

    def __str__(self) -> str:
        return gettext("%(name)s (%(points)s points)") % {
            "name": self.display_name(),
            "points": points_text(self.points_cost),
        }

    def display_name(self, language: str | None = None) -> str:
        """The name in the reader's language (its Arabic name on an Arabic page)."""
        return local_name(self.name, self.name_ar, language)

    def clean(self) -> None:
        from rewards.validation import reward_validate  # it reads this model

        reward_validate(self)


class Redemption(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        APPROVED = "approved", _("Approved")
        USED = "used", _("Used")
        REJECTED = "rejected", _("Rejected")
        CANCELLED = "cancelled", _("Cancelled")
        EXPIRED = "expired", _("Expired")

    OPEN = (Status.PENDING, Status.APPROVED)
    CLOSED_WITH_REFUND = (Status.REJECTED, Status.CANCELLED, Status.EXPIRED)

    membership = models.ForeignKey(
        "points.Membership",
        on_delete=models.PROTECT,
        related_name="redemptions",
        verbose_name=_("member"),
    )
    reward = models.ForeignKey(
        Reward, on_delete=models.PROTECT, related_name="redemptions", verbose_name=_("reward")
    )
    points = models.PositiveIntegerField(_("points"))
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    voucher_code = models.CharField(_("voucher code"), max_length=12, unique=True)
    redeem_entry = models.OneToOneField(
        "points.LedgerEntry",
        on_delete=models.PROTECT,
        related_name="redemption",
        verbose_name=_("ledger entry"),
    )
    refund_entry = models.OneToOneField(
        "points.LedgerEntry",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="refunded_redemption",
        verbose_name=_("refund entry"),
    )
    reason = models.CharField(_("reason"), max_length=255, blank=True)
    created_at = models.DateTimeField(_("created"))
    expires_at = models.DateTimeField(_("expires"))
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("decided by"),
    )
    used_at = models.DateTimeField(_("used"), null=True, blank=True)
    used_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("used by"),
    )

    class Meta:
        verbose_name = _("redemption")
        verbose_name_plural = _("redemptions")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "created_at"])]

    def __str__(self) -> str:
        return f"{self.voucher_code} ({self.get_status_display()})"
