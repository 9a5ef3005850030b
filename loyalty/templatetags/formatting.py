"""Template filters over `loyalty.formatting`, loaded in every template (TEMPLATES
builtins): {{ amount|money:currency }} gives "1,200.500 JOD" or "1,200.500 دينار" in
the page's language, inside a <bdi>; {{ amount|money_figure:currency }} the figure
alone; {{ balance|points }} "12,500"; {{ phone|ltr }} a left-to-right <bdi>;
{{ name|bdi }} a name whose direction is its own."""

from decimal import Decimal

from django import template
from django.utils.html import format_html

from loyalty import formatting

register = template.Library()


@register.filter
def money(amount: Decimal | int | str | None, currency: str = "JOD") -> str:
    if amount is None or amount == "":
        return ""
    return format_html("<bdi>{}</bdi>", formatting.money_text(amount, currency))


@register.filter
def money_figure(amount: Decimal | int | str | None, currency: str = "JOD") -> str:
    return formatting.money_figure(amount, currency)


@register.filter
def points(value: int | Decimal | str | None) -> str:
    return formatting.points_text(value)


@register.filter
def bdi(text: object) -> str:
    if text is None or text == "":
        return ""
    return format_html("<bdi>{}</bdi>", text)


@register.filter
def ltr(text: object) -> str:
    if text is None or text == "":
        return ""
    return format_html('<bdi dir="ltr">{}</bdi>', text)
