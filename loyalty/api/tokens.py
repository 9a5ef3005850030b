"""JWTs for customers and staff, and the DRF authentication that reads them.

* A customer token (`typ: customer`) names the public customer; it works on the root
  domain and on every merchant host (each view then finds the customer's membership
  in that merchant, or answers 404).
* A staff token (`typ: staff`) names a user id *and the schema it belongs to*; it is
  refused on any other host. Staff user ids repeat across schemas, so the id alone
  is never trusted.

Access tokens are short-lived; refresh tokens rotate, and a used or logged-out refresh
token is blacklisted.
"""

from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.request import Request
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken
from rest_framework_simplejwt.utils import aware_utcnow, datetime_from_epoch

from customers.models import Customer
from customers.selectors import customer_active
from loyalty.db import connection
from loyalty.errors import DomainError
from tenants.selectors import staff_active

WRONG_TOKEN_TYPE = "wrong_token_type"

CUSTOMER = "customer"
STAFF = "staff"


@dataclass(frozen=True)
class CustomerPrincipal:
    """`request.user` for a customer's request."""

    customer: Customer
    is_authenticated: bool = True
    is_active: bool = True
    is_staff: bool = False
    pk: None = None  # never a staff user

    def __str__(self) -> str:
        return f"customer {self.customer.pk}"


def tokens_issue(*, kind: str, subject_id: int, schema: str = "") -> dict[str, Any]:
    refresh = RefreshToken()
    refresh["typ"] = kind
    refresh["sub"] = str(subject_id)
    if schema:
        refresh["schema"] = schema
    access = refresh.access_token
    return {
        "access": str(access),
        "refresh": str(refresh),
        "access_expires_in": int(api_settings.ACCESS_TOKEN_LIFETIME.total_seconds()),
    }


def _refresh_token(raw: str, kind: str) -> RefreshToken:
    try:
        token = RefreshToken(raw)  # type: ignore[arg-type]  # checks signature, expiry, blacklist
    except TokenError as error:
        raise DomainError("token_invalid", "This token is not valid or has expired.") from error
    if token.get("typ") != kind:
        raise DomainError("token_invalid", "This token is not valid here.")
    if kind == STAFF and token.get("schema") != connection.schema_name:
        raise DomainError("token_invalid", "This token belongs to another merchant.")
    return token


def tokens_refresh(*, raw: str, kind: str) -> dict[str, Any]:
    """Rotate a refresh token: the old one is blacklisted, a new pair is issued."""
    token = _refresh_token(raw, kind)
    subject_id = int(token["sub"])
    if kind == CUSTOMER:
        if not Customer.objects.filter(pk=subject_id, is_active=True).exists():
            raise DomainError("token_invalid", "This account is closed.")
    elif not User.objects.filter(pk=subject_id, is_active=True).exists():
        raise DomainError("token_invalid", "This account is closed.")
    _use_once(token)
    return tokens_issue(kind=kind, subject_id=subject_id, schema=token.get("schema", ""))


def _use_once(token: RefreshToken) -> None:
    """Blacklist `token`, or refuse when another request already did.

    The blacklist row is inserted, not looked up first: its unique key on the token
    makes a second insert wait for the first transaction and then fail, so of parallel
    refreshes of one token exactly one wins (simplejwt's `blacklist()` uses
    get_or_create, which lets every racer through)."""
    outstanding, _ = OutstandingToken.objects.get_or_create(
        jti=token[api_settings.JTI_CLAIM],
        defaults={
            "user": None,  # the subject is in `sub` (customer or staff of a schema)
            "token": str(token),
            "created_at": token.current_time,
            "expires_at": datetime_from_epoch(token["exp"]),
        },
    )
    try:
        with transaction.atomic():
            BlacklistedToken.objects.create(token=outstanding)
    except IntegrityError as error:
        raise DomainError("token_invalid", "This token is not valid or has expired.") from error


def tokens_revoke(*, raw: str, kind: str) -> None:
    _refresh_token(raw, kind).blacklist()


# Access tokens already verified, by their text. A cashier's token comes with every
# request of its 15 minutes, and checking its signature each time was most of what
# authentication cost in Python. The same text is the same signed claims, so only the
# expiry is checked again. Bounded: emptied when full. A token stays valid here until it
# expires even if SIMPLE_JWT's signing key changes meanwhile; changing the key means
# restarting the web processes, which empties it.
_VERIFIED: dict[str, AccessToken] = {}
VERIFIED_MAX = 10_000


def access_token(raw: str) -> AccessToken:
    """The access token `raw`, verified; TokenError when invalid or expired."""
    token = _VERIFIED.get(raw)
    if token is not None:
        token.check_exp(current_time=aware_utcnow())
        return token
    token = AccessToken(raw)  # type: ignore[arg-type]
    if len(_VERIFIED) >= VERIFIED_MAX:
        _VERIFIED.clear()
    _VERIFIED[raw] = token
    return token


class _JWTAuthentication(BaseAuthentication):
    kind = ""

    def authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="api"'

    def _token(self, request: Request) -> AccessToken | None:
        header = get_authorization_header(request).split()
        if len(header) != 2 or header[0].lower() != b"bearer":
            return None
        try:
            return access_token(header[1].decode("latin-1"))
        except TokenError as error:
            raise exceptions.AuthenticationFailed(
                "This token is not valid or has expired."
            ) from error


class CustomerAuthentication(_JWTAuthentication):
    def authenticate(self, request: Request) -> tuple[CustomerPrincipal, AccessToken] | None:
        token = self._token(request)
        if token is None:
            return None
        if token.get("typ") == STAFF:
            raise exceptions.AuthenticationFailed(
                "This route takes a customer token, not a staff token.", code=WRONG_TOKEN_TYPE
            )
        if token.get("typ") != CUSTOMER:
            return None
        customer = customer_active(int(token["sub"]))
        if customer is None:
            raise exceptions.AuthenticationFailed("This account is closed.")
        return CustomerPrincipal(customer), token


class StaffAuthentication(_JWTAuthentication):
    def authenticate(self, request: Request) -> tuple[User, AccessToken] | None:
        token = self._token(request)
        if token is None:
            return None
        if token.get("typ") == CUSTOMER:
            raise exceptions.AuthenticationFailed(
                "This route takes a staff token, not a customer token.", code=WRONG_TOKEN_TYPE
            )
        if token.get("typ") != STAFF:
            return None
        if token.get("schema") != connection.schema_name:
            raise exceptions.AuthenticationFailed("This token belongs to another merchant.")
        # Every request reads the account and its role afresh (one query): a staff
        # member deactivated or given another role is refused at once, token or not.
        user = staff_active(int(token["sub"]))
        if user is None:
            raise exceptions.AuthenticationFailed("This account is closed.")
        return user, token
