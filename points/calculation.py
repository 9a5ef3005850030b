"""How many points a purchase earns, and the explanation of it. Pure functions.

points = round(amount x rate x tier multiplier x best campaign multiplier + carried fraction)

then capped by the maximum per purchase and the member's daily cap. With carry-over on,
the fraction left after rounding is carried to the member's next purchase (a capped
purchase carries nothing).
"""

import re
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal
from typing import Any

from django.utils import translation
from django.utils.translation import gettext as _

from loyalty.errors import DomainError
from loyalty.formatting import (
    CURRENCY_DECIMALS,
    currency_unit,
    isolate,
    money_figure,
    money_text,
    points_text,
)

from .models import Rounding, TierBasis

MAX_AMOUNT = Decimal("1000000")

# Western, Arabic-Indic and Eastern Arabic-Indic (Persian) digits, and the Arabic decimal
# separator: a phone keyboard set to Arabic types these, and they mean the same amount.
_DIGITS = "0-9\u0660-\u0669\u06f0-\u06f9"
_ARABIC_TO_LATIN = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹٫", "01234567890123456789.")
_DIGITS_TO_LATIN = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")


def digits_latin(text: str) -> str:
    """`text` with Arabic-Indic digits written as Latin ones (a member number, a code)."""
    return text.translate(_DIGITS_TO_LATIN)


def _amount_grammar(whole: str, decimals: str) -> str:
    """The one written form of an amount: digits, then a decimal point (Latin or Arabic)
    and digits; `whole` and `decimals` say how many digits each part has."""
    return f"[{_DIGITS}]{whole}(?:[.\u066b]([{_DIGITS}]{decimals}))?"


# What the API schema promises: 1 to 7 digits, at most 3 decimals, not 0. The parser
# reads any number of digits so a longer amount gets its own refusal (too large, too
# many decimals for the currency) rather than "not an amount".
AMOUNT_PATTERN = f"^(?=.*[1-9\u0661-\u0669\u06f1-\u06f9]){_amount_grammar('{1,7}', '{1,3}')}$"
_AMOUNT = re.compile(_amount_grammar("+", "+"))


def amount_parse(raw: object, currency: str) -> Decimal:
    """A purchase amount as it comes in (API or counter): a string of digits with at most
    the currency's decimals, more than zero. Numbers, exponents, signs and spaces are
    refused (`"1e3"` is not 1,000); Arabic-Indic digits are read as digits."""
    text = format(raw, "f") if isinstance(raw, Decimal) else raw  # Decimal: from our own code
    match = _AMOUNT.fullmatch(text) if isinstance(text, str) else None
    if match is None:
        raise DomainError(
            "invalid_amount",
            'An amount is a string of digits with a decimal point, e.g. "50.000".',
            fields={"amount": ["Not an amount."]},
        )
    value = Decimal(match.group(0).translate(_ARABIC_TO_LATIN))
    places = CURRENCY_DECIMALS.get(currency, 2)
    if len(match.group(1) or "") > places:
        raise DomainError(
            "too_many_decimals",
            f"{currency} amounts have at most {places} decimals.",
            fields={"amount": [f"At most {places} decimals."]},
        )
    if value <= 0:
        raise DomainError(
            "invalid_amount",
            "The amount must be more than zero.",
            fields={"amount": ["Must be more than zero."]},
        )
    if value > MAX_AMOUNT:
        raise DomainError(
            "amount_too_large",
            "The amount is larger than any purchase can be.",
            fields={"amount": ["Too large."]},
        )
    return value.quantize(Decimal(1).scaleb(-places))


_ROUNDING = {
    Rounding.FLOOR: ROUND_FLOOR,
    Rounding.NEAREST: ROUND_HALF_UP,
    Rounding.CEILING: ROUND_CEILING,
}


def plain(number: Decimal) -> str:
    """10.000 -> "10", 1.50 -> "1.5": how a rate or multiplier reads in a sentence."""
    text = format(number, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def threshold_text(threshold: Decimal, basis: str, currency: str) -> str:
    """A tier threshold as a person reads it, on the programme's tier basis:
    "1,000 points", "12 visits", "50.000 JOD"."""
    if basis == TierBasis.SPEND:
        return money_text(threshold, currency)
    if basis == TierBasis.VISITS:
        return _("%(count)s visits") % {"count": points_text(threshold)}
    return _("%(count)s points") % {"count": points_text(threshold)}


def tier_name(name: str, name_ar: str) -> str:
    """A tier's name in the active language (isolated inside an Arabic sentence)."""
    language = "ar" if (translation.get_language() or "en").startswith("ar") else "en"
    return _named(name if language == "en" else (name_ar or name), language)


def multiplier_text(multiplier: Decimal) -> str:
    """1.50 -> "1.5x" with a multiplication sign."""
    return f"{plain(multiplier)}\u00d7"


def money(amount: Decimal, currency: str) -> str:
    """How an amount is written everywhere (API, explanations, messages): with the
    currency's decimals, "50.000" JOD, "50.00" USD."""
    places = CURRENCY_DECIMALS.get(currency, 2)
    return f"{amount:.{places}f}"


@dataclass(frozen=True)
class Factor:
    name: str
    name_ar: str
    multiplier: Decimal


@dataclass(frozen=True)
class EarnCalculation:
    amount: Decimal
    currency: str
    rate: Decimal
    tier: Factor | None
    campaign: Factor | None
    carry_in: Decimal
    raw: Decimal
    points: int
    carry_out: Decimal
    capped_by: str | None  # "max_per_purchase" | "daily_cap" | None
    rounding: str
    # The member's tier, when its stored multiplier cannot be used: counted as 1x.
    tier_not_applied: Factor | None = None

    def as_data(self) -> dict[str, Any]:
        def factor(f: Factor | None) -> dict[str, str] | None:
            return (
                None
                if f is None
                else {"name": f.name, "name_ar": f.name_ar, "multiplier": plain(f.multiplier)}
            )

        return {
            "amount": money(self.amount, self.currency),
            "currency": self.currency,
            "rate": plain(self.rate),
            "tier": factor(self.tier),
            "campaign": factor(self.campaign),
            "carry_in": plain(self.carry_in),
            "raw": plain(self.raw),
            "rounding": self.rounding,
            "points": self.points,
            "carry_out": plain(self.carry_out),
            "capped_by": self.capped_by,
            "tier_not_applied": factor(self.tier_not_applied),
        }

    def sentence(self) -> str:
        return self._sentence("en")

    def sentence_ar(self) -> str:
        return self._sentence("ar")

    def _sentence(self, language: str) -> str:
        words = _WORDS[language]
        unit = currency_unit(self.currency, language)
        parts = [
            f"{money_figure(self.amount, self.currency)} {unit}",
            words["rate"].format(rate=plain(self.rate), unit=unit),
        ]
        for f in (self.tier, self.campaign):
            if f is not None:
                name = f.name if language == "en" else (f.name_ar or f.name)
                parts.append(f"{plain(f.multiplier)} ({_named(name, language)})")
        text = " × ".join(parts)
        if self.carry_in:
            text += words["carried"].format(carry=plain(self.carry_in))
        text += words["total"].format(points=points_text(self.points))
        text += words[self.capped_by] if self.capped_by else ""
        if (skipped := self.tier_not_applied) is not None:
            name = skipped.name if language == "en" else (skipped.name_ar or skipped.name)
            text += words["tier_not_applied"].format(tier=_named(name, language))
        return text


def _named(name: str, language: str) -> str:
    """A tier or campaign name inside the Arabic sentence keeps its own direction (an
    English name would otherwise swap places with the numbers around it)."""
    return isolate(name) if language == "ar" else name


_WORDS = {
    "en": {
        "rate": "{rate} points/{unit}",
        "carried": " + {carry} carried",
        "total": " = {points} points",
        "max_per_purchase": " (capped: maximum per purchase)",
        "daily_cap": " (capped: daily limit)",
        "tier_not_applied": (
            ". The {tier} tier's multiplier was not applied: an owner must fix it in Tiers"
        ),
    },
    "ar": {
        "rate": "{rate} نقاط لكل {unit}",
        "carried": " + {carry} مرحّلة",
        "total": " = {points} نقطة",
        "max_per_purchase": " (الحد الأقصى لكل عملية شراء)",
        "daily_cap": " (الحد اليومي)",
        "tier_not_applied": ". لم يُطبَّق مضاعف المستوى {tier}: على المالك إصلاحه في المستويات",
    },
}


def earn_calculate(
    *,
    amount: Decimal,
    currency: str,
    rate: Decimal,
    rounding: str,
    carry_over: bool,
    carry_in: Decimal,
    tier: Factor | None,
    campaign: Factor | None,
    max_per_purchase: int | None,
    daily_cap: int | None,
    earned_today: int,
    tier_not_applied: Factor | None = None,
) -> EarnCalculation:
    carried = carry_in if carry_over else Decimal("0")
    raw = amount * rate
    for f in (tier, campaign):
        if f is not None:
            raw *= f.multiplier
    raw += carried
    points = int(raw.to_integral_value(rounding=_ROUNDING[Rounding(rounding)]))
    points = max(points, 0)
    carry_out = raw - points if carry_over else Decimal("0")
    capped_by = None
    if max_per_purchase is not None and points > max_per_purchase:
        points, capped_by = max_per_purchase, "max_per_purchase"
    if daily_cap is not None and earned_today + points > daily_cap:
        points, capped_by = max(daily_cap - earned_today, 0), "daily_cap"
    if capped_by:
        carry_out = Decimal("0")
    return EarnCalculation(
        amount=amount,
        currency=currency,
        rate=rate,
        tier=tier,
        campaign=campaign,
        carry_in=carried,
        raw=raw,
        points=points,
        carry_out=carry_out,
        capped_by=capped_by,
        rounding=rounding,
        tier_not_applied=tier_not_applied,
    )
