"""Points settings, tiers, campaigns, memberships and the ledger (merchant schema).

The ledger is append-only: an entry is never updated or deleted; a mistake is
corrected by a new entry (void, adjust, refund). Each credit opens a lot with its own
expiry date; debits consume the oldest lots first and record what they took
(`LotConsumption`). Membership counters are caches of ledger sums, checked by
`manage.py reconcile`.
"""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

POINTS_DECIMALS = 10  # exact fractions of a point: amount (3) x rate (3) x two multipliers (2+2)


class Rounding(models.TextChoices):
    FLOOR = "floor", _("Round down")
    NEAREST = "nearest", _("Round to nearest (halves up)")
    CEILING = "ceiling", _("Round up")


class TierBasis(models.TextChoices):
    POINTS = "points", _("Points earned")
    VISITS = "visits", _("Visits")
    SPEND = "spend", _("Amount spent")


class PointsSettings(models.Model):
    """The merchant's programme rules: one row (pk=1) per merchant schema."""

    points_per_unit = models.DecimalField(
        _("points per currency unit"),
        max_digits=10,
        decimal_places=3,
        default=Decimal("10"),
        validators=[MinValueValidator(Decimal("0.001"))],
    )
    rounding = models.CharField(max_length=10, choices=Rounding.choices, default=Rounding.FLOOR)
    carry_over = models.BooleanField(
        _("carry the unrewarded fraction to the next purchase"), default=False
    )
    min_purchase = models.DecimalField(
        _("minimum purchase"), max_digits=12, decimal_places=3, default=Decimal("0")
    )
    max_points_per_purchase = models.PositiveIntegerField(null=True, blank=True)
    daily_earn_cap = models.PositiveIntegerField(
        _("daily earn cap per member"), null=True, blank=True
    )
    expiry_months = models.PositiveSmallIntegerField(
        _("points expire after (months)"),
        null=True,
        blank=True,
        help_text=_("Empty: points never expire."),
    )
    welcome_bonus = models.PositiveIntegerField(default=0)
    birthday_bonus = models.PositiveIntegerField(default=0)
    referral_bonus_referrer = models.PositiveIntegerField(default=0)
    referral_bonus_referred = models.PositiveIntegerField(default=0)
    void_window_minutes = models.PositiveSmallIntegerField(
        _("cashiers may void an earn within (minutes)"), default=10
    )
    redemption_expiry_days = models.PositiveSmallIntegerField(
        _("pending redemptions expire after (days)"), default=7
    )
    tier_basis = models.CharField(
        max_length=10, choices=TierBasis.choices, default=TierBasis.POINTS
    )
    tier_window_months = models.PositiveSmallIntegerField(
        _("qualification window (months)"),
        null=True,
        blank=True,
        help_text=_("Empty: tiers count everything since joining and are never lost."),
    )
    tier_warning_days = models.PositiveSmallIntegerField(default=14)
    enrol_without_code = models.BooleanField(
        _("Counter may enrol a customer without the SMS code"),
        default=False,
        help_text=_("Off: a customer joins at the counter only with the code sent to their phone."),
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("points settings")
        verbose_name_plural = _("points settings")
        constraints = [models.CheckConstraint(condition=Q(pk=1), name="points_settings_single_row")]

    def __str__(self) -> str:
        return f"{self.points_per_unit} points per unit"

    def clean(self) -> None:
        from points.validation import points_settings_validate  # it reads these models

        points_settings_validate(self)


class Tier(models.Model):
    name = models.CharField(max_length=40)
    name_ar = models.CharField(max_length=40, blank=True)
    rank = models.PositiveSmallIntegerField(unique=True, help_text=_("0 is the entry tier."))
    threshold = models.DecimalField(
        max_digits=14,
        decimal_places=3,
        default=Decimal("0"),
        help_text=_("Points earned, visits or amount spent (the programme's tier basis)."),
    )
    multiplier = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        default=Decimal("1"),
        validators=[MinValueValidator(Decimal("0.01"))],
    )
    benefits = models.TextField(blank=True)
    benefits_ar = models.TextField(blank=True)
    colour = models.CharField(max_length=7, default="#8d6e63")

    class Meta:
        ordering = ["rank"]

    def __str__(self) -> str:
        return f"{self.name} ({self.multiplier}x)"

    def clean(self) -> None:
        from points.validation import tier_validate  # it reads these models

        tier_validate(self)


class Campaign(models.Model):
    """A time-boxed multiplier: weekly hours or a date range."""

    class Kind(models.TextChoices):
        WEEKLY = "weekly", _("Every week")
        DATES = "dates", _("Date range")

    name = models.CharField(max_length=80)
    name_ar = models.CharField(max_length=80, blank=True)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    multiplier = models.DecimalField(
        max_digits=5, decimal_places=2, validators=[MinValueValidator(Decimal("0.01"))]
    )
    # weekly: ISO weekdays (1 = Monday ... 7 = Sunday) and local hours
    weekdays = models.CharField(max_length=20, blank=True, help_text=_("e.g. 2 for Tuesday, 5,6"))
    start_time = models.TimeField(null=True, blank=True)
    end_time = models.TimeField(null=True, blank=True)
    # dates: local start and end, inclusive
    starts_on = models.DateField(null=True, blank=True)
    ends_on = models.DateField(null=True, blank=True)
    tiers = models.ManyToManyField(Tier, blank=True, help_text=_("Empty: every tier."))
    reward_categories = models.ManyToManyField(
        "rewards.RewardCategory",
        blank=True,
        help_text=_("Empty: every purchase. Otherwise only purchases in these categories."),
    )
    is_active = models.BooleanField(default=True)

    def __str__(self) -> str:
        return f"{self.name} ({self.multiplier}x)"

    def clean(self) -> None:
        from points.validation import campaign_validate  # it reads these models

        campaign_validate(self)


class Membership(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        BLOCKED = "blocked", _("Blocked")

    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="+", db_constraint=True
    )
    member_number = models.CharField(max_length=12, unique=True)
    referral_code = models.CharField(max_length=12, unique=True)
    referred_by = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="referrals"
    )
    referral_paid = models.BooleanField(default=False)
    tier = models.ForeignKey(Tier, null=True, blank=True, on_delete=models.PROTECT)
    tier_review_on = models.DateField(null=True, blank=True)
    tier_warned_for = models.DateField(null=True, blank=True)
    # Sums of entries: 64-bit, so no number of entries overflows them (each entry is
    # bounded by points.validation.ENTRY_POINTS_MAX and fits 32 bits).
    current_points = models.BigIntegerField(default=0)
    total_earned = models.BigIntegerField(default=0)
    total_redeemed = models.BigIntegerField(default=0)
    total_visits = models.IntegerField(default=0)
    total_spend = models.DecimalField(max_digits=14, decimal_places=3, default=Decimal("0"))
    carry_remainder = models.DecimalField(
        max_digits=20, decimal_places=POINTS_DECIMALS, default=Decimal("0")
    )
    last_birthday_bonus_year = models.PositiveSmallIntegerField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    joined_at = models.DateTimeField()
    last_visit_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["customer"], name="membership_one_per_customer"),
            models.CheckConstraint(
                condition=Q(current_points__gte=0), name="membership_points_never_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.member_number}"


class LedgerEntry(models.Model):
    class Kind(models.TextChoices):
        EARN = "earn", _("Earned")
        BONUS = "bonus", _("Bonus")
        REDEEM = "redeem", _("Redeemed")
        REFUND = "refund", _("Refunded")
        ADJUST = "adjust", _("Adjusted")
        EXPIRE = "expire", _("Expired")
        VOID = "void", _("Voided")

    class BonusKind(models.TextChoices):
        WELCOME = "welcome", _("Welcome")
        BIRTHDAY = "birthday", _("Birthday")
        REFERRAL = "referral", _("Referral")
        CAMPAIGN = "campaign", _("Campaign")

    membership = models.ForeignKey(Membership, on_delete=models.PROTECT, related_name="entries")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    bonus_kind = models.CharField(max_length=10, choices=BonusKind.choices, blank=True)
    points = models.IntegerField()
    balance_after = models.BigIntegerField()
    amount = models.DecimalField(max_digits=12, decimal_places=3, null=True, blank=True)
    currency = models.CharField(max_length=3, blank=True)
    explanation = models.JSONField(default=dict, blank=True)
    description = models.CharField(max_length=255)
    description_ar = models.CharField(max_length=255)
    reason = models.CharField(max_length=255, blank=True)
    idempotency_key = models.CharField(max_length=100, blank=True)
    reverses = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="reversed_by"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = _("ledger entries")
        indexes = [models.Index(fields=["membership", "-created_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(balance_after__gte=0), name="ledger_balance_never_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.points:+d}"


class PointsLot(models.Model):
    """The points of one credit entry, with what is left of them and when they expire."""

    membership = models.ForeignKey(Membership, on_delete=models.PROTECT, related_name="lots")
    entry = models.OneToOneField(LedgerEntry, on_delete=models.PROTECT, related_name="lot")
    points = models.PositiveIntegerField()
    remaining = models.PositiveIntegerField()
    expires_on = models.DateField(null=True, blank=True)
    expiry_warned = models.BooleanField(default=False)

    class Meta:
        indexes = [
            models.Index(
                fields=["membership", "id"], condition=Q(remaining__gt=0), name="lot_open_idx"
            ),
            models.Index(
                fields=["expires_on"], condition=Q(remaining__gt=0), name="lot_expiry_idx"
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(remaining__lte=models.F("points")), name="lot_remaining_within_points"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.remaining}/{self.points} points, expires {self.expires_on or 'never'}"


class LotConsumption(models.Model):
    """Points a debit entry took from a lot (and a refund gave back)."""

    entry = models.ForeignKey(LedgerEntry, on_delete=models.PROTECT, related_name="consumptions")
    lot = models.ForeignKey(PointsLot, on_delete=models.PROTECT, related_name="consumptions")
    points = models.IntegerField()

    def __str__(self) -> str:
        return f"{self.points} points of lot {self.lot_id} by entry {self.entry_id}"


class IdempotencyRecord(models.Model):
    """The first result of a request made with an Idempotency-Key."""

    key = models.CharField(max_length=100, unique=True)
    operation = models.CharField(max_length=30)
    request_hash = models.CharField(max_length=64)
    result = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    def __str__(self) -> str:
        return f"{self.operation} {self.key}"
