"""Secrets in messages: set-password and sign-in links, sign-in codes.

A sender marks a secret by its name: every value passed to `outbox_add` under a key
that starts with `secret_` (`secret_url`, `secret_code`) is one, and the message's
text uses it as a placeholder (`{secret_url}`). The secret never joins the stored
context: it is encrypted (a key derived from SECRET_KEY) on the outbox row, moved at
fan-out into the delivery as the encrypted text to send, and wiped once the provider
has it. Everything kept or shown (outbox context, deliveries, the member's inbox, the
sent-message record when a provider sent it, the server log) reads "[link hidden]" or
"[code hidden]" in its place. Only when no provider is configured (local runs, demo)
does the sent-message record keep the real text: `manage.py sent_messages` reads it,
from a shell; no dashboard shows that record.

Texts sent outside the outbox (the sign-in code by SMS) pass their secrets to
`messaging.sms.sms_send` in the same way.
"""

import base64
import json
import logging
from collections.abc import Mapping
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.utils import translation
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext

logger = logging.getLogger(__name__)

PREFIX = "secret_"
_SALT = "loyalty.messaging.secrets"


def is_secret(key: str) -> bool:
    return key.startswith(PREFIX)


def secrets_split(context: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """(the context to store, the secrets in it)."""
    kept = {k: v for k, v in context.items() if not is_secret(k)}
    secret = {k: str(v) for k, v in context.items() if is_secret(k) and v not in (None, "")}
    return kept, secret


def hidden(value: str, language: str = "en") -> str:
    """What is shown in place of a secret, in the message's language."""
    with translation.override(language if language in ("en", "ar") else "en"):
        if value.startswith(("http://", "https://", "/")):
            return gettext("[link hidden]")
        return gettext("[code hidden]")


def redact(text: str, secrets: Mapping[str, str] | list[str], language: str = "en") -> str:
    """`text` with every secret value replaced by its "[… hidden]" mark."""
    values = secrets.values() if isinstance(secrets, Mapping) else secrets
    for value in sorted((v for v in values if v), key=len, reverse=True):
        text = text.replace(value, hidden(value, language))
    return text


def _fernet() -> MultiFernet:
    keys = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    return MultiFernet(
        [
            Fernet(
                base64.urlsafe_b64encode(
                    salted_hmac(_SALT, "fernet", secret=key, algorithm="sha256").digest()
                )
            )
            for key in keys
        ]
    )


def seal(data: Mapping[str, str]) -> str:
    """`data` encrypted for the database ("" when there is nothing to hide)."""
    if not data:
        return ""
    return _fernet().encrypt(json.dumps(dict(data)).encode()).decode()


def unseal(token: str) -> dict[str, str]:
    """What `seal` encrypted; {} when empty or unreadable (a rotated SECRET_KEY)."""
    if not token:
        return {}
    try:
        data = json.loads(_fernet().decrypt(token.encode()))
    except (InvalidToken, ValueError):
        logger.warning("A sealed message could not be read (SECRET_KEY changed?)")
        return {}
    return data if isinstance(data, dict) else {}
