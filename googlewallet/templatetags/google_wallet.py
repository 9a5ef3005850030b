from django import template

from googlewallet import client

register = template.Library()


@register.simple_tag
def google_wallet_configured() -> bool:
    return client.configured()
