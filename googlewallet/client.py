"""The Google Wallet API, through Google's auth library: a service account's OAuth
token for the REST calls (`AuthorizedSession`), and its key to sign the save link.

Settings: GOOGLE_WALLET_ISSUER_ID, GOOGLE_WALLET_CREDENTIALS (the service account's
JSON key, as content or as a path) and GOOGLE_WALLET_API_BASE. The OAuth token comes
from the key's own `token_uri`. Without the first two nothing here is called.
"""

import json
import time
from functools import cache
from pathlib import Path
from typing import Any

import requests
from django.conf import settings
from google.auth import exceptions as auth_errors
from google.auth import jwt
from google.auth.transport.requests import AuthorizedSession
from google.oauth2 import service_account

SCOPE = "https://www.googleapis.com/auth/wallet_object.issuer"
SAVE_URL = "https://pay.google.com/gp/v/save/"
TIMEOUT_SECONDS = 10


class WalletError(Exception):
    """A call to the Wallet API did not do what was asked."""


class WalletUnavailable(WalletError):
    """Worth retrying: the network, the token endpoint or Google failed (5xx, 429)."""


class WalletRefused(WalletError):
    """Google refused the request (4xx): the same request would be refused again."""


def configured() -> bool:
    return bool(settings.GOOGLE_WALLET_ISSUER_ID and settings.GOOGLE_WALLET_CREDENTIALS)


@cache
def _credentials(value: str) -> service_account.Credentials:
    # One per key for the process, so its access token is reused until it expires.
    text = value if value.lstrip().startswith("{") else Path(value).read_text()
    return service_account.Credentials.from_service_account_info(json.loads(text), scopes=[SCOPE])


def credentials() -> service_account.Credentials:
    return _credentials(settings.GOOGLE_WALLET_CREDENTIALS)


def call(method: str, path: str, body: dict[str, Any], *, accept: tuple[int, ...] = ()) -> int:
    """Send one request; returns the status when it is 2xx or in `accept` (say 409)."""
    url = f"{settings.GOOGLE_WALLET_API_BASE.rstrip('/')}/{path}"
    try:
        response = AuthorizedSession(credentials()).request(
            method, url, json=body, timeout=TIMEOUT_SECONDS
        )
    except auth_errors.RefreshError as error:
        if getattr(error, "retryable", False):
            raise WalletUnavailable(f"Google token: {error}") from error
        raise WalletRefused(f"Google token: {error}") from error
    except (auth_errors.TransportError, requests.RequestException) as error:
        raise WalletUnavailable(f"Google Wallet {method} {path}: {error}") from error
    status = response.status_code
    if 200 <= status < 300 or status in accept:
        return status
    detail = f"Google Wallet {method} {path}: HTTP {status} {response.text[:500]}"
    if status >= 500 or status == 429:
        raise WalletUnavailable(detail)
    raise WalletRefused(detail)


def save_url(*, object_id: str, class_id: str, origin: str) -> str:
    """The "Save to Google Wallet" link for an object already inserted: a JWT signed
    with the service account's key, naming the object and the page it is used on."""
    signing = credentials()
    claims = {
        "iss": signing.service_account_email,
        "aud": "google",
        "typ": "savetowallet",
        "iat": int(time.time()),
        "origins": [origin],
        "payload": {"loyaltyObjects": [{"id": object_id, "classId": class_id}]},
    }
    return SAVE_URL + jwt.encode(signing.signer, claims).decode()
