from django import template

from applewallet import config

register = template.Library()


@register.simple_tag
def apple_wallet_enabled() -> bool:
    return config.enabled()
