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
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from loyalty.formatting import local_name

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
    """The merchant's programme rules: one row (pk=1) per merchant schema. The dashboard
    groups them by what an owner decides (dashboard.admin.PointsSettingsAdmin)."""

    points_per_unit = models.DecimalField(
        _("points per currency unit"),
        max_digits=10,
        decimal_places=3,
        default=Decimal("10"),
        validators=[MinValueValidator(Decimal("0.001"))],
        help_text=_(
            "What one unit of your currency earns. Example: 10 points per JOD, so a "
            "member who spends 5.000 JOD earns 50 points."
        ),
    )
    rounding = models.CharField(
        _("rounding"),
        max_length=10,
        choices=Rounding.choices,
        default=Rounding.FLOOR,
        help_text=_(
            "A purchase of 2.750 JOD at 10 points per JOD is 27.5 points: rounded down it "
            "earns 27, rounded to nearest or up it earns 28."
        ),
    )
    carry_over = models.BooleanField(
        _("carry the unrewarded fraction to the next purchase"),
        default=False,
        help_text=_(
            "With rounding down, the half point left from 27.5 is kept and added to the "
            "member's next purchase, so nothing is lost."
        ),
    )
    min_purchase = models.DecimalField(
        _("minimum purchase"),
        max_digits=12,
        decimal_places=3,
        default=Decimal("0"),
        help_text=_(
            "A smaller purchase earns no points. Example: 1.000 JOD. 0: every purchase earns."
        ),
    )
    max_points_per_purchase = models.PositiveIntegerField(
        _("most points for one purchase"),
        null=True,
        blank=True,
        help_text=_(
            "Example: 500, so a 100.000 JOD purchase at 10 points per JOD earns 500 "
            "points, not 1,000. Empty: no limit."
        ),
    )
    daily_earn_cap = models.PositiveIntegerField(
        _("daily earn cap per member"),
        null=True,
        blank=True,
        help_text=_(
            "The most points one member earns from purchases in a day. Example: 2,000. "
            "Empty: no limit."
        ),
    )
    expiry_months = models.PositiveSmallIntegerField(
        _("points expire after (months)"),
        null=True,
        blank=True,
        help_text=_(
            "Each purchase's points expire this many months after they were earned, the "
            "oldest first; members are told a week before. Example: 12. Empty: points "
            "never expire."
        ),
    )
    welcome_bonus = models.PositiveIntegerField(
        _("welcome bonus"),
        default=0,
        help_text=_("Points given once, when a customer joins. Example: 50. 0: none."),
    )
    birthday_bonus = models.PositiveIntegerField(
        _("birthday bonus"),
        default=0,
        help_text=_("Points given on the member's birthday each year. Example: 100. 0: none."),
    )
    referral_bonus_referrer = models.PositiveIntegerField(
        _("referral bonus for the member who invites"),
        default=0,
        help_text=_(
            "Points for a member whose invited friend makes a first purchase. Example: "
            "100. 0: none."
        ),
    )
    referral_bonus_referred = models.PositiveIntegerField(
        _("referral bonus for the invited friend"),
        default=0,
        help_text=_(
            "Points for the friend, on their first purchase with the invitation's code. "
            "Example: 50. 0: none."
        ),
    )
    void_window_minutes = models.PositiveSmallIntegerField(
        _("cashiers may void an earn within (minutes)"),
        default=10,
        help_text=_(
            "A cashier who typed a wrong amount can take the points back this long after; "
            "later, only a manager or the owner can. Example: 10. 0: cashiers never can."
        ),
    )
    redemption_expiry_days = models.PositiveSmallIntegerField(
        _("pending redemptions expire after (days)"),
        default=7,
        help_text=_(
            "A reward a member asked for and staff did not approve is cancelled after this "
            "many days, and its points go back to the member. Example: 7."
        ),
    )
    tier_basis = models.CharField(
        _("tiers count"),
        max_length=10,
        choices=TierBasis.choices,
        default=TierBasis.POINTS,
        help_text=_(
            "What moves a member up the tiers: points earned (spending them does not "
            "count against it), visits, or amount spent."
        ),
    )
    tier_window_months = models.PositiveSmallIntegerField(
        _("qualification window (months)"),
        null=True,
        blank=True,
        help_text=_(
            "Example: 12, so a member stays Silver while they reach Silver's threshold "
            "within 12 months, and moves down at their review date if not. Empty: tiers "
            "count everything since joining and are never lost."
        ),
    )
    tier_warning_days = models.PositiveSmallIntegerField(
        _("warn before a member moves down (days)"),
        default=14,
        help_text=_(
            "How many days before their review date a member who would move down is "
            "told what keeps their tier. Example: 14."
        ),
    )
    enrol_without_code = models.BooleanField(
        _("counter may enrol a customer without the SMS code"),
        default=False,
        help_text=_(
            "Off: a customer joins at the counter only with the code sent to their phone. "
            "On: the cashier may skip the code (quicker, but anyone's number can be enrolled)."
        ),
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("points settings")
        verbose_name_plural = _("points settings")
        constraints = [models.CheckConstraint(condition=Q(pk=1), name="points_settings_single_row")]

    def __str__(self) -> str:
        return gettext("%(points)s points per unit") % {
            "points": f"{self.points_per_unit.normalize():f}"
        }

    def clean(self) -> None:
        from points.validation import points_settings_validate  # it reads these models

        points_settings_validate(self)


ENTRY_THRESHOLD = Decimal("0")


class Tier(models.Model):
    """A step of the ladder. The entry tier (threshold 0) holds every member who has not
    reached another: it can be renamed, never removed or moved (points.services.tiers)."""

    name = models.CharField(_("name"), max_length=40)
    name_ar = models.CharField(_("name (Arabic)"), max_length=40, blank=True)
    # The place on the ladder, from 0 (the entry tier): kept in threshold order by
    # `points.services.tiers`, never typed by an owner.
    rank = models.PositiveSmallIntegerField(_("rank"), unique=True, editable=False)
    threshold = models.DecimalField(
        _("threshold"),
        max_digits=14,
        decimal_places=3,
        default=ENTRY_THRESHOLD,
        help_text=_(
            "What a member reaches to move up to this tier, on the tier basis of the "
            "points settings: points earned, visits or amount spent. Example: 100."
        ),
    )
    multiplier = models.DecimalField(
        _("multiplier"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("1"),
        validators=[MinValueValidator(Decimal("0.01"))],
        help_text=_(
            "A purchase's points are multiplied by this. Example: 1.5, so a purchase that "
            "earns 10 points in a 1x tier earns 15 here."
        ),
    )
    benefits = models.TextField(_("benefits"), blank=True)
    benefits_ar = models.TextField(_("benefits (Arabic)"), blank=True)
    colour = models.CharField(_("colour"), max_length=7, default="#8d6e63")

    class Meta:
        verbose_name = _("tier")
        verbose_name_plural = _("tiers")
        ordering = ["rank"]
        verbose_name = _("tier")
        verbose_name_plural = _("tiers")

    def __str__(self) -> str:
        return f"{self.display_name()} (×{self.multiplier.normalize()})"

    def display_name(self, language: str | None = None) -> str:
        """The name in the reader's language (its Arabic name on an Arabic page)."""
        return local_name(self.name, self.name_ar, language)

    @property
    def is_entry(self) -> bool:
        return self.threshold == ENTRY_THRESHOLD

    def clean(self) -> None:
        from points.validation import tier_validate  # it reads these models

        tier_validate(self)


class Campaign(models.Model):
    """A time-boxed multiplier: weekly hours or a date range."""

    class Kind(models.TextChoices):
        WEEKLY = "weekly", _("Every week")
        DATES = "dates", _("Date range")

    name = models.CharField(_("name"), max_length=80)
    name_ar = models.CharField(_("name (Arabic)"), max_length=80, blank=True)
    kind = models.CharField(_("when"), max_length=10, choices=Kind.choices)
    multiplier = models.DecimalField(
        _("multiplier"),
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01"))],
        help_text=_("Points are multiplied by this while it runs. Example: 2 for double points."),
    )
    # weekly: ISO weekdays (1 = Monday ... 7 = Sunday) and local hours
    weekdays = models.CharField(
        _("weekdays"), max_length=20, blank=True, help_text=_("e.g. 2 for Tuesday, 5,6")
    )
    start_time = models.TimeField(_("from (time)"), null=True, blank=True)
    end_time = models.TimeField(_("until (time)"), null=True, blank=True)
    # dates: local start and end, inclusive
    starts_on = models.DateField(_("first day"), null=True, blank=True)
    ends_on = models.DateField(_("last day"), null=True, blank=True)
    tiers = models.ManyToManyField(
        Tier, blank=True, verbose_name=_("tiers"), help_text=_("Empty: every tier.")
    )
    reward_categories = models.ManyToManyField(
        "rewards.RewardCategory",
        blank=True,
        verbose_name=_("categories"),
        help_text=_("Empty: every purchase. Otherwise only purchases in these categories."),
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")

    def __str__(self) -> str:
        return f"{self.display_name()} (×{self.multiplier.normalize()})"

    def display_name(self, language: str | None = None) -> str:
        """The name in the reader's language (its Arabic name on an Arabic page)."""
        return local_name(self.name, self.name_ar, language)

    def clean(self) -> None:
        from points.validation import campaign_validate  # it reads these models

        campaign_validate(self)


class Membership(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        BLOCKED = "blocked", _("Blocked")

    customer = models.ForeignKey(
        "customers.Customer",
        on_delete=models.PROTECT,
        related_name="+",
        # No foreign key in the database: customers are public and memberships are in
        # every merchant schema, so a constraint would put two triggers per merchant on
        # the customers table and lock it while each merchant is provisioned
        # (docs/scaling.md, item 6). Customers are closed, never deleted
        # (Customer.delete refuses); `manage.py reconcile` reports a membership whose
        # customer is missing.
        db_constraint=False,
        # membership_one_per_customer's unique index serves every lookup by customer.
        db_index=False,
        verbose_name=_("customer"),
    )
    member_number = models.CharField(_("member number"), max_length=12, unique=True)
    referral_code = models.CharField(_("referral code"), max_length=12, unique=True)
    referred_by = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="referrals",
        verbose_name=_("referred by"),
    )
    referral_paid = models.BooleanField(_("referral bonus paid"), default=False)
    tier = models.ForeignKey(
        Tier, null=True, blank=True, on_delete=models.PROTECT, verbose_name=_("tier")
    )
    tier_review_on = models.DateField(_("tier review on"), null=True, blank=True)
    tier_warned_for = models.DateField(_("tier warning sent for"), null=True, blank=True)
    # Sums of entries: 64-bit, so no number of entries overflows them (each entry is
    # bounded by points.validation.ENTRY_POINTS_MAX and fits 32 bits).
    current_points = models.BigIntegerField(_("points"), default=0)
    total_earned = models.BigIntegerField(_("total earned"), default=0)
    total_redeemed = models.BigIntegerField(_("total redeemed"), default=0)
    total_visits = models.IntegerField(_("visits"), default=0)
    total_spend = models.DecimalField(
        _("total spend"), max_digits=14, decimal_places=3, default=Decimal("0")
    )
    carry_remainder = models.DecimalField(
        _("carried remainder"), max_digits=20, decimal_places=POINTS_DECIMALS, default=Decimal("0")
    )
    last_birthday_bonus_year = models.PositiveSmallIntegerField(
        _("last birthday bonus (year)"), null=True, blank=True
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.ACTIVE
    )
    joined_at = models.DateTimeField(_("joined"))
    last_visit_at = models.DateTimeField(_("last visit"), null=True, blank=True)

    class Meta:
        verbose_name = _("member")
        verbose_name_plural = _("members")
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

    # The (membership, -created_at) index serves every lookup by member.
    membership = models.ForeignKey(
        Membership,
        on_delete=models.PROTECT,
        related_name="entries",
        db_index=False,
        verbose_name=_("member"),
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    bonus_kind = models.CharField(
        _("bonus kind"), max_length=10, choices=BonusKind.choices, blank=True
    )
    points = models.IntegerField(_("points"))
    balance_after = models.BigIntegerField(_("balance after"))
    amount = models.DecimalField(
        _("amount"), max_digits=12, decimal_places=3, null=True, blank=True
    )
    currency = models.CharField(_("currency"), max_length=3, blank=True)
    explanation = models.JSONField(_("explanation"), default=dict, blank=True)
    description = models.CharField(_("description"), max_length=255)
    description_ar = models.CharField(_("description (Arabic)"), max_length=255)
    reason = models.CharField(_("reason"), max_length=255, blank=True)
    idempotency_key = models.CharField(_("idempotency key"), max_length=100, blank=True)
    reverses = models.OneToOneField(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reversed_by",
        verbose_name=_("reverses"),
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("by"),
    )
    created_at = models.DateTimeField(_("created"), db_index=True)

    class Meta:
        verbose_name = _("ledger entry")
        ordering = ["-created_at", "-id"]
        verbose_name_plural = _("ledger entries")
        indexes = [models.Index(fields=["membership", "-created_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(balance_after__gte=0), name="ledger_balance_never_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.points:+,d}"

    def description_shown(self, language: str | None = None) -> str:
        """The explanation line in the reader's language."""
        return local_name(self.description, self.description_ar, language)


class PointsLot(models.Model):
    """The points of one credit entry, with what is left of them and when they expire."""

    membership = models.ForeignKey(
        Membership, on_delete=models.PROTECT, related_name="lots", verbose_name=_("member")
    )
    entry = models.OneToOneField(
        LedgerEntry, on_delete=models.PROTECT, related_name="lot", verbose_name=_("ledger entry")
    )
    points = models.PositiveIntegerField(_("points"))
    remaining = models.PositiveIntegerField(_("remaining"))
    expires_on = models.DateField(_("expires on"), null=True, blank=True)
    expiry_warned = models.BooleanField(_("expiry warned"), default=False)

    class Meta:
        verbose_name = _("points lot")
        verbose_name_plural = _("points lots")
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

    entry = models.ForeignKey(
        LedgerEntry,
        on_delete=models.PROTECT,
        related_name="consumptions",
        verbose_name=_("ledger entry"),
    )
    lot = models.ForeignKey(
        PointsLot, on_delete=models.PROTECT, related_name="consumptions", verbose_name=_("lot")
    )
    points = models.IntegerField(_("points"))

    class Meta:
        verbose_name = _("points used from a lot")
        verbose_name_plural = _("points used from lots")

    def __str__(self) -> str:
        return f"{self.points} points of lot {self.lot_id} by entry {self.entry_id}"


class IdempotencyRecord(models.Model):
    """The first result of a request made with an Idempotency-Key."""

    key = models.CharField(_("key"), max_length=100, unique=True)
    operation = models.CharField(_("operation"), max_length=30)
    request_hash = models.CharField(_("request hash"), max_length=64)
    result = models.JSONField(_("result"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("repeated request record")
        verbose_name_plural = _("repeated request records")

    def __str__(self) -> str:
        return f"{self.operation} {self.key}"


class LedgerDay(models.Model):
    """What the dashboard's daily figures take from one closed local day of the ledger,
    for one staff member: a cache of ledger sums (`points.daily` keeps it equal).

    Counted as the dashboard counts (`dashboard.reports`): earn and bonus entries that
    no entry reverses, on the day of their `created_at` in the merchant's time zone
    (`timezone`, the zone the row was computed in). `actor` is the staff member's user
    id, 0 for entries without one; a computed day always has its row for 0, so a day
    without it is a day not computed yet.
    """

    pk = models.CompositePrimaryKey("day", "actor")
    day = models.DateField(_("day"))
    actor = models.IntegerField(_("staff member"))
    timezone = models.CharField(_("timezone"), max_length=64)
    earns = models.IntegerField(_("earns"))
    earn_points = models.BigIntegerField(_("points earned"))
    earn_amount = models.DecimalField(_("amount"), max_digits=15, decimal_places=3)
    bonus_points = models.BigIntegerField(_("bonus points"))

    class Meta:
        verbose_name = _("day of the ledger")
        verbose_name_plural = _("days of the ledger")

    def __str__(self) -> str:
        return f"{self.day} by {self.actor or 'no one'}"
