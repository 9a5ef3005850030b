"""What a merchant's programme settings may hold.

Checked when an owner saves them (the models' `clean()`, which the dashboard's forms
call; errors by field) and again when the counter reads them (`points_earn`), since
rows written before a rule existed are still in the database. docs/ledger.md, "Settings
that cannot be read", says what the counter does with each.
"""

import logging
from decimal import Decimal
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from loyalty.errors import Conflict, DomainError
from points.calculation import MAX_AMOUNT, multiplier_text, threshold_text, tier_name
from tenants.selectors import merchant_current

if TYPE_CHECKING:
    from points.models import Campaign, PointsSettings, Tier

logger = logging.getLogger(__name__)

MULTIPLIER_MIN = Decimal("1")
MULTIPLIER_MAX = Decimal("10")
RATE_MAX = Decimal("10000")
MONTHS_MAX = 120
# The most points one ledger entry may move: a purchase earning more is refused
# (`amount_too_large`), and a cap above it would never apply. Balances are sums of
# entries and are 64-bit columns, so no number of such entries overflows them.
ENTRY_POINTS_MAX = 100_000_000
BONUS_MAX = 1_000_000
DAYS_MAX = 365
VOID_WINDOW_MAX = 24 * 60
WEEKDAYS = range(1, 8)  # ISO: 1 = Monday ... 7 = Sunday


def _raise(errors: dict[str, str]) -> None:
    if errors:
        raise ValidationError({field: ValidationError(text) for field, text in errors.items()})


def _multiplier_error(value: Decimal | None) -> str | None:
    if value is None or MULTIPLIER_MIN <= value <= MULTIPLIER_MAX:
        return None
    return _("A multiplier is between %(low)s and %(high)s.") % {
        "low": MULTIPLIER_MIN,
        "high": MULTIPLIER_MAX,
    }


def weekdays_parse(text: str) -> list[int]:
    """ISO weekdays from their stored form ("5,6"); ValueError when any is not one."""
    days = [int(part) for part in text.replace(" ", "").split(",") if part]
    if not days or any(day not in WEEKDAYS for day in days):
        raise ValueError(text)
    return sorted(set(days))


def points_settings_validate(settings: "PointsSettings") -> None:
    from points.models import Rounding, TierBasis

    errors: dict[str, str] = {}
    rate = settings.points_per_unit
    if rate is not None and not Decimal("0") < rate <= RATE_MAX:
        errors["points_per_unit"] = _(
            "Points per currency unit are more than 0 and at most %(max)s."
        ) % {"max": RATE_MAX}
    if settings.rounding not in Rounding.values:
        errors["rounding"] = _("Choose how points are rounded.")
    if settings.tier_basis not in TierBasis.values:
        errors["tier_basis"] = _("Choose what tiers count.")
    if settings.min_purchase is not None and settings.min_purchase < 0:
        errors["min_purchase"] = _("The minimum purchase cannot be negative.")
    elif settings.min_purchase is not None and settings.min_purchase > MAX_AMOUNT:
        errors["min_purchase"] = _("At most %(max)s.") % {"max": MAX_AMOUNT}
    # Every earn checks the settings: messages are translated only for an error.
    limits = {
        "max_points_per_purchase": ENTRY_POINTS_MAX,
        "daily_earn_cap": ENTRY_POINTS_MAX,
        "redemption_expiry_days": DAYS_MAX,
    }
    for field, most in limits.items():
        value = getattr(settings, field)
        if value is not None and value < 1:
            errors[field] = _("At least 1; leave it empty for no limit.")
        elif value is not None and value > most:
            too_many = (
                _("At most %(max)s days.")
                if field == "redemption_expiry_days"
                else _("At most %(max)s points.")
            )
            errors[field] = too_many % {"max": most}
    for field in (
        "welcome_bonus",
        "birthday_bonus",
        "referral_bonus_referrer",
        "referral_bonus_referred",
    ):
        value = getattr(settings, field)
        if value is not None and not 0 <= value <= BONUS_MAX:
            errors[field] = _("At most %(max)s points.") % {"max": BONUS_MAX}
    if settings.tier_warning_days is not None and not 0 <= settings.tier_warning_days <= DAYS_MAX:
        errors["tier_warning_days"] = _("At most %(max)s days.") % {"max": DAYS_MAX}
    window = settings.void_window_minutes
    if window is not None and not 0 <= window <= VOID_WINDOW_MAX:
        errors["void_window_minutes"] = _("At most %(max)s minutes.") % {"max": VOID_WINDOW_MAX}
    for field in ("expiry_months", "tier_window_months"):
        value = getattr(settings, field)
        if value is not None and not 1 <= value <= MONTHS_MAX:
            errors[field] = _("Between 1 and %(max)s months; leave it empty for never.") % {
                "max": MONTHS_MAX
            }
    _raise(errors)


def tier_validate(tier: "Tier") -> None:
    """The tier's own values and its place on the ladder, by field.

    The ladder is ordered by threshold. The entry tier (threshold 0) keeps its threshold:
    every member starts in it. Thresholds differ, and multipliers strictly increase up
    the ladder, so each step up earns more; an error names the neighbouring tier."""
    from points.models import ENTRY_THRESHOLD, PointsSettings

    errors: dict[str, str] = {}
    if (problem := _multiplier_error(tier.multiplier)) is not None:
        errors["multiplier"] = problem
    threshold = tier.threshold
    if threshold is None:
        _raise(errors)
        return
    others = list(type(tier).objects.exclude(pk=tier.pk).order_by("threshold", "rank"))
    stored = next(
        iter(type(tier).objects.filter(pk=tier.pk).values_list("threshold", flat=True)), None
    )
    settings = PointsSettings.objects.filter(pk=1).first() or PointsSettings()
    currency = merchant_current().currency

    def at(step: "Tier") -> str:
        return threshold_text(step.threshold, settings.tier_basis, currency)

    same = next((other for other in others if other.threshold == threshold), None)
    if stored == ENTRY_THRESHOLD and threshold != ENTRY_THRESHOLD:
        errors["threshold"] = _(
            "%(tier)s is the entry tier: every member starts in it, so its threshold stays 0."
        ) % {"tier": tier_name(tier.name, tier.name_ar)}
    elif threshold < 0:
        errors["threshold"] = _("The threshold cannot be negative.")
    elif same is not None:
        errors["threshold"] = _(
            "%(tier)s already starts at %(threshold)s. Each tier has its own threshold."
        ) % {"tier": tier_name(same.name, same.name_ar), "threshold": at(same)}
    elif tier.multiplier is not None and "multiplier" not in errors:
        below = [other for other in others if other.threshold < threshold]
        above = [other for other in others if other.threshold > threshold]
        low, high = (below[-1] if below else None), (above[0] if above else None)
        too_low = low is not None and tier.multiplier <= low.multiplier
        too_high = high is not None and tier.multiplier >= high.multiplier
        if (too_low or too_high) and low is not None and high is not None:
            errors["multiplier"] = _(
                "At this threshold the tier sits between %(below)s (from %(below_at)s, "
                "%(below_x)s) and %(above)s (from %(above_at)s, %(above_x)s): its "
                "multiplier is more than %(below_x)s and less than %(above_x)s."
            ) % {
                "below": tier_name(low.name, low.name_ar),
                "below_at": at(low),
                "below_x": multiplier_text(low.multiplier),
                "above": tier_name(high.name, high.name_ar),
                "above_at": at(high),
                "above_x": multiplier_text(high.multiplier),
            }
        elif too_low and low is not None:
            errors["multiplier"] = _(
                "At this threshold the tier sits above %(below)s (from %(below_at)s, "
                "%(below_x)s): its multiplier is more than %(below_x)s."
            ) % {
                "below": tier_name(low.name, low.name_ar),
                "below_at": at(low),
                "below_x": multiplier_text(low.multiplier),
            }
        elif too_high and high is not None:
            errors["multiplier"] = _(
                "At this threshold the tier sits below %(above)s (from %(above_at)s, "
                "%(above_x)s): its multiplier is less than %(above_x)s."
            ) % {
                "above": tier_name(high.name, high.name_ar),
                "above_at": at(high),
                "above_x": multiplier_text(high.multiplier),
            }
    _raise(errors)


def campaign_validate(campaign: "Campaign") -> None:
    from points.models import Campaign

    errors: dict[str, str] = {}
    if (problem := _multiplier_error(campaign.multiplier)) is not None:
        errors["multiplier"] = problem
    if campaign.kind == Campaign.Kind.WEEKLY:
        try:
            weekdays_parse(campaign.weekdays or "")
        except ValueError:
            errors["weekdays"] = _("Choose at least one day of the week.")
        if campaign.start_time is None:
            errors["start_time"] = _("A weekly campaign starts at a time of day.")
        if campaign.end_time is None:
            errors["end_time"] = _("A weekly campaign ends at a time of day.")
        elif campaign.start_time is not None and campaign.end_time <= campaign.start_time:
            errors["end_time"] = _("The end is after the start, on the same day.")
    elif campaign.kind == Campaign.Kind.DATES:
        if campaign.starts_on is None:
            errors["starts_on"] = _("A date-range campaign has a first day.")
        if campaign.ends_on is None:
            errors["ends_on"] = _("A date-range campaign has a last day.")
        elif campaign.starts_on is not None and campaign.ends_on < campaign.starts_on:
            errors["ends_on"] = _("The last day is on or after the first day.")
    else:
        errors["kind"] = _("Choose every week or a date range.")
    _raise(errors)


def campaign_usable(campaign: "Campaign") -> bool:
    """Whether the counter can apply a stored campaign; one that cannot is skipped (the
    purchase earns without it) and logged, naming the campaign to fix."""
    try:
        campaign_validate(campaign)
    except ValidationError as invalid:
        logger.warning(
            "campaign %s (%s) skipped at the counter: %s",
            campaign.pk,
            campaign.name,
            "; ".join(f"{k}: {' '.join(v)}" for k, v in invalid.message_dict.items()),
        )
        return False
    return True


def points_settings_usable(settings: "PointsSettings") -> "PointsSettings":
    """The stored settings as the counter applies them. Without a valid rate there is no
    award: `setting_invalid`, naming the setting. Any other unreadable setting is applied
    as if it were not set (floor rounding, no cap, no expiry...) and logged."""
    from points.models import Rounding, TierBasis

    try:
        points_settings_validate(settings)
    except ValidationError as invalid:
        problems = invalid.message_dict
        if "points_per_unit" in problems:
            raise Conflict(
                "setting_invalid",
                _(
                    "Points settings: “points per currency unit” is %(value)s, which cannot "
                    "be used. An owner fixes it in Points settings; no points were awarded."
                )
                % {"value": settings.points_per_unit},
                fields={"setting": "points_settings.points_per_unit"},
            ) from None
        logger.warning("points settings applied without: %s", ", ".join(sorted(problems)))
        unset = {
            "rounding": Rounding.FLOOR,
            "tier_basis": TierBasis.POINTS,
            "min_purchase": Decimal("0"),
            "redemption_expiry_days": 7,
            "void_window_minutes": 10,
            "tier_warning_days": 14,
        }
        for field in problems:
            setattr(settings, field, unset.get(field))
    return settings


def entry_points_check(points: int) -> None:
    """A purchase that would earn more points than one ledger entry may hold is refused
    before anything is written: the amount is almost surely a typing mistake."""
    if points > ENTRY_POINTS_MAX:
        raise DomainError(
            "amount_too_large",
            _(
                "This purchase would earn %(points)s points, more than one purchase can "
                "earn (%(max)s). Check the amount."
            )
            % {"points": points, "max": ENTRY_POINTS_MAX},
            fields={"amount": [_("More points than one purchase can earn.")]},
        )


def tier_usable(tier: "Tier | None") -> bool:
    """Whether the counter can apply the member's tier multiplier. One that cannot counts
    as 1x: the purchase earns its base points, the award's explanation says the tier's
    multiplier was not applied, and the log names the tier to fix. (An unreadable rate
    refuses instead: no base amount of points exists without it.)"""
    if tier is None or _multiplier_error(tier.multiplier) is None:
        return True
    logger.warning(
        "tier %s (%s) multiplier %s not applied at the counter: an owner must fix it in Tiers",
        tier.pk,
        tier.name,
        tier.multiplier,
    )
    return False
