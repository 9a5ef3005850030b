"""Amounts as Stripe counts them: integers in the currency's smallest unit.

Stripe's rules (https://docs.stripe.com/currencies): most currencies have two
decimals (1 USD = 100 cents); zero-decimal currencies are sent as they are (JPY);
the three-decimal currencies (BHD, JOD, KWD, OMR, TND) are sent in thousandths
(1 JOD = 1,000 fils) and the last digit must be 0, so 9.995 JOD cannot be charged.
An amount Stripe cannot take is refused here, never rounded: a plan price is checked
when it is saved.
"""

from decimal import Decimal

ZERO_DECIMAL = frozenset(
    [
        "BIF",
        "CLP",
        "DJF",
        "GNF",
        "JPY",
        "KMF",
        "KRW",
        "MGA",
        "PYG",
        "RWF",
        "UGX",
        "VND",
        "VUV",
        "XAF",
        "XOF",
        "XPF",
    ]
)
THREE_DECIMAL = frozenset(["BHD", "JOD", "KWD", "OMR", "TND"])


def minor_digits(currency: str) -> int:
    code = currency.upper()
    if code in ZERO_DECIMAL:
        return 0
    if code in THREE_DECIMAL:
        return 3
    return 2


def stripe_amount(amount: Decimal, currency: str) -> int:
    """`amount` in the currency's smallest unit, as Stripe wants it.
    ValueError when it has more decimals than the currency, is negative, or is a
    three-decimal amount whose last digit is not 0."""
    if not isinstance(amount, Decimal) or not amount.is_finite():
        raise ValueError(f"Not an amount: {amount!r}.")
    if amount < 0:
        raise ValueError("An amount cannot be negative.")
    digits = minor_digits(currency)
    minor = amount.scaleb(digits)
    if minor != minor.to_integral_value():
        raise ValueError(f"{currency.upper()} has {digits} decimals: {amount} cannot be billed.")
    value = int(minor)
    if digits == 3 and value % 10:
        raise ValueError(
            f"Stripe bills {currency.upper()} in steps of 0.010: {amount} cannot be billed."
        )
    return value


def stripe_decimal(minor: int, currency: str) -> Decimal:
    """The amount of `minor` smallest units, with the currency's decimals."""
    digits = minor_digits(currency)
    return Decimal(int(minor)).scaleb(-digits).quantize(Decimal(1).scaleb(-digits))
