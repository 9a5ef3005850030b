"""Amounts as Stripe takes them, at the edges of each kind of currency."""

from decimal import Decimal

import pytest

from billing.money import stripe_amount, stripe_decimal


@pytest.mark.parametrize(
    ("amount", "currency", "minor"),
    [
        ("0", "JOD", 0),
        ("0.010", "JOD", 10),
        ("9.990", "JOD", 9990),
        ("25", "jod", 25000),
        ("1000000.000", "JOD", 1000000000),
        ("0.500", "KWD", 500),
        ("12.34", "USD", 1234),
        ("12.3", "USD", 1230),
        ("0.01", "USD", 1),
        ("500", "JPY", 500),
    ],
)
def test_amounts_in_the_smallest_unit(amount: str, currency: str, minor: int) -> None:
    assert stripe_amount(Decimal(amount), currency) == minor
    assert stripe_decimal(minor, currency) == Decimal(amount)


@pytest.mark.parametrize(
    ("amount", "currency"),
    [
        ("9.995", "JOD"),  # fils whose last digit is not 0
        ("0.001", "JOD"),
        ("0.0001", "JOD"),  # more decimals than the currency has
        ("1.005", "USD"),
        ("0.5", "JPY"),
        ("-1", "JOD"),
        ("NaN", "JOD"),
        ("Infinity", "USD"),
    ],
)
def test_amounts_stripe_cannot_take_are_refused(amount: str, currency: str) -> None:
    with pytest.raises(ValueError):
        stripe_amount(Decimal(amount), currency)


def test_decimals_shown_as_the_currency_has_them() -> None:
    assert str(stripe_decimal(9990, "JOD")) == "9.990"
    assert str(stripe_decimal(1234, "USD")) == "12.34"
    assert str(stripe_decimal(500, "JPY")) == "500"
