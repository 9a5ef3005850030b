"""{{ colour|ink }}: the text colour that reads on a merchant's brand colour."""

from django import template

from webcard.brand import ink as ink_for

register = template.Library()


@register.filter
def ink(colour: str) -> str:
    return ink_for(colour)
