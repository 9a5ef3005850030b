from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MessagingConfig(AppConfig):
    """Channels that send SMS, email and push, and the record of what they sent.

    In both the public schema (OTP codes) and each merchant schema (the merchant's
    messages), so a merchant's messages never leave its schema.
    """

    name = "messaging"
    verbose_name = _("Messages")
