"""Money and points read the same in both languages: a decimal point, a thousands
comma, the currency's decimals."""

from decimal import Decimal

import pytest
from django.template import Context, Template
from django.utils import formats, translation

from loyalty import formatting


@pytest.mark.parametrize(
    ("amount", "currency", "figure"),
    [
        (Decimal("200.5"), "JOD", "200.500"),
        (Decimal("1200.5"), "JOD", "1,200.500"),
        (Decimal("0.001"), "JOD", "0.001"),
        (Decimal("1234567"), "JOD", "1,234,567.000"),
        (Decimal("9.5"), "USD", "9.50"),
        ("12", "XXX", "12.00"),
    ],
)
def test_money_figure_has_the_currency_decimals_and_a_point(
    amount: Decimal, currency: str, figure: str
) -> None:
    assert formatting.money_figure(amount, currency) == figure


def test_money_text_names_the_unit_in_the_reader_language() -> None:
    assert formatting.money_text(Decimal("200.5"), "JOD", "en") == "200.500\u00a0JOD"
    assert formatting.money_text(Decimal("200.5"), "JOD", "ar") == "200.500\u00a0دينار"
    with translation.override("ar"):
        assert formatting.money_text(Decimal("1200"), "JOD") == "1,200.000\u00a0دينار"
    assert formatting.money_text(None, "JOD") == ""


def test_points_are_grouped_and_keep_their_sign() -> None:
    assert formatting.points_text(12500) == "12,500"
    assert formatting.points_text(-1500) == "-1,500"
    assert formatting.points_text(7) == "7"


def test_isolates_wrap_plain_text() -> None:
    assert formatting.isolate("Silver") == "\u2068Silver\u2069"
    assert formatting.ltr("+962791234567") == "\u2066+962791234567\u2069"


def test_template_filters_in_arabic() -> None:
    template = Template(
        "{{ a|money:'JOD' }}|{{ a|money_figure:'JOD' }}|{{ p|points }}|{{ phone|ltr }}|{{ n|bdi }}"
    )
    with translation.override("ar"):
        html = template.render(
            Context({"a": Decimal("200.5"), "p": 1500, "phone": "+962791234567", "n": "<b>"})
        )
    assert html == (
        "<bdi>200.500\u00a0دينار</bdi>|200.500|1,500|"
        '<bdi dir="ltr">+962791234567</bdi>|<bdi>&lt;b&gt;</bdi>'
    )


def test_django_number_formats_keep_the_decimal_point_in_arabic() -> None:
    """Admin lists and read-only fields localise decimals through Django: in Arabic
    its own formats would print 200.500 as "200,500"."""
    with translation.override("ar"):
        assert formats.number_format(Decimal("200.500"), 3) == "200.500"
        assert formats.number_format(Decimal("1200.5"), 3, force_grouping=True) == "1,200.500"


@pytest.mark.parametrize(
    ("value", "decimals", "text"),
    [
        (Decimal("1234567.8915"), 3, "1,234,567.892"),
        (Decimal("0.0005"), 3, "0.000"),  # half to even, as babel's patterns round
        (Decimal("0.0015"), 3, "0.002"),
        (Decimal("2.5"), 0, "2"),
        (Decimal("-1234.5"), 1, "-1,234.5"),
        ("12", 2, "12.00"),
        (10**15, 0, "1,000,000,000,000,000"),
    ],
)
def test_number_groups_by_thousands_and_rounds_half_to_even(
    value: Decimal | int | str, decimals: int, text: str
) -> None:
    assert formatting.number(value, decimals) == text
