"""One lockout policy for every staff sign-in: the merchant dashboard, the platform
dashboard (password and authenticator code) and the counter app's API login.

django-axes counts failed sign-ins (Django's `user_login_failed` signal) in Redis and
refuses `authenticate()` while an account is locked. The policy:

* The key is the account *and* the client's address: `<schema>:<email>` (staff users
  live in each merchant's schema, so one email at two merchants is two accounts) with
  `loyalty.clientip.client_key` (the address the deployment trusts; IPv6 by /64). An attacker
  spraying from many addresses locks only their own addresses, never the real user.
* LOGIN_FAILURE_LIMIT failures in a row lock that account from that address for
  LOGIN_LOCKOUT_SECONDS; each further lockout within a day doubles the wait, up to
  LOGIN_LOCKOUT_MAX_SECONDS. A locked attempt is not counted (the wait does not grow
  while someone keeps trying), and a successful sign-in clears the failures.
* The account also slows down, whatever the address: a botnet gets
  LOGIN_FAILURE_LIMIT guesses per address, so the account's failures from all addresses
  are counted too (forgotten after LOGIN_ACCOUNT_WINDOW_SECONDS without one). From
  LOGIN_ACCOUNT_FAILURE_LIMIT on, each failure makes the next attempt for that account
  wait 1, 2, 4... seconds, at most LOGIN_ACCOUNT_DELAY_MAX_SECONDS (a minute): a guess
  a minute at most, while the real user is only slowed, never locked out. An attempt
  during the wait is refused before the password is checked and is not counted.
  Addresses (`client_key`) that signed in to the account before (within
  LOGIN_KNOWN_ADDRESS_DAYS) are not slowed at all; a successful sign-in clears the
  account's count.
* The refusal says when to try again: the sign-in form's message, or `rate_limited`
  with `retry_after` in the API.
"""

import hashlib
import math
from datetime import timedelta
from typing import Any

from axes.handlers.cache import AxesCacheHandler
from axes.helpers import get_client_cache_keys, get_failure_limit
from django.conf import settings
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from loyalty.clientip import client_key
from loyalty.db import connection
from loyalty.ratelimit import wait_minutes

STRIKES_KEPT_SECONDS = 24 * 3600


def _hashed(prefix: str, who: str) -> str:
    return f"{prefix}:" + hashlib.sha256(who.encode()).hexdigest()


def account_of(request: Any, credentials: dict[str, Any] | None = None) -> str:
    """The account a sign-in is for: `<schema>:<email>` (AXES_USERNAME_CALLABLE)."""
    raw = (credentials or {}).get("username")
    if raw is None and request is not None:
        data = getattr(request, "data", None) or getattr(request, "POST", {})
        raw = data.get("username") or data.get("email")
    return f"{connection.schema_name}:{str(raw or '').strip().lower()}"


def _strikes_key(request: Any, credentials: dict[str, Any] | None = None) -> str:
    return _hashed("lockout-strikes", f"{account_of(request, credentials)}|{client_key(request)}")


def _known_key(request: Any, account: str) -> str:
    return _hashed("login-known", f"{account}|{client_key(request)}")


def _seconds_to_live(key: str) -> int:
    full = cache.make_key(key)
    client = cache._cache.get_client(full)  # type: ignore[attr-defined]
    return max(0, math.ceil(int(client.pttl(full)) / 1000))


def account_wait(request: Any, credentials: dict[str, Any] | None = None) -> int:
    """Seconds this request must wait before its sign-in to the account is heard (the
    account's slow-down; 0 from an address that signed in to it before)."""
    account = account_of(request, credentials)
    if cache.get(_known_key(request, account)):
        return 0
    return _seconds_to_live(_hashed("login-account-wait", account))


def _account_failed(request: Any, credentials: dict[str, Any]) -> None:
    account = account_of(request, credentials)
    failures = _hashed("login-account-failures", account)
    window = settings.LOGIN_ACCOUNT_WINDOW_SECONDS
    cache.add(failures, 0, timeout=window)
    count = int(cache.incr(failures))
    cache.touch(failures, timeout=window)
    over = count - settings.LOGIN_ACCOUNT_FAILURE_LIMIT
    if over >= 0:
        wait = min(2 ** min(over, 16), settings.LOGIN_ACCOUNT_DELAY_MAX_SECONDS)
        cache.set(_hashed("login-account-wait", account), 1, timeout=wait)


def _account_signed_in(request: Any, username: str) -> None:
    account = account_of(request, {"username": username})
    cache.delete_many(
        [_hashed("login-account-failures", account), _hashed("login-account-wait", account)]
    )
    days = settings.LOGIN_KNOWN_ADDRESS_DAYS
    cache.set(_known_key(request, account), 1, timeout=days * 86400)


def cool_off(request: Any = None) -> timedelta:
    """How long the next lockout of this account from this address lasts
    (AXES_COOLOFF_TIME): doubled by each lockout in the last day."""
    strikes = int(cache.get(_strikes_key(request), 0)) if request is not None else 0
    seconds = settings.LOGIN_LOCKOUT_SECONDS * 2 ** min(strikes, 16)
    return timedelta(seconds=min(seconds, settings.LOGIN_LOCKOUT_MAX_SECONDS))


class LockoutHandler(AxesCacheHandler):
    """Axes' Redis handler that also remembers each lockout, so the next one lasts
    longer, and slows an account down across addresses (AXES_HANDLER)."""

    def is_locked(self, request: Any, credentials: dict | None = None) -> bool:
        request.login_account_wait = 0
        if super().is_locked(request, credentials):
            return True
        request.login_account_wait = account_wait(request, credentials)
        return request.login_account_wait > 0

    def user_login_failed(
        self, sender: Any, credentials: dict, request: Any = None, **kwargs: Any
    ) -> None:
        # A refused attempt (locked or slowed) was never heard: it does not count.
        refused = request is not None and getattr(request, "axes_locked_out", False)
        super().user_login_failed(sender, credentials, request=request, **kwargs)
        if request is None or refused:
            return
        _account_failed(request, credentials)
        if request.axes_failures_since_start == get_failure_limit(request, credentials):
            key = _strikes_key(request, credentials)
            cache.add(key, 0, timeout=STRIKES_KEPT_SECONDS)
            cache.incr(key)
            cache.touch(key, timeout=STRIKES_KEPT_SECONDS)

    def user_logged_in(self, sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
        super().user_logged_in(sender, request, user, **kwargs)
        _account_signed_in(request, user.get_username())


def _refusal(request: Any, credentials: dict[str, Any] | None) -> tuple[int, str]:
    slowed = getattr(request, "login_account_wait", 0)
    if slowed:
        return slowed, _(
            "Too many failed sign-ins for this account. Try again in %(minutes)s min."
        ) % {"minutes": wait_minutes(slowed)}
    seconds = max(
        [1] + [_seconds_to_live(key) for key in get_client_cache_keys(request, credentials)]
    )
    return seconds, _(
        "Too many failed sign-ins for this account from your connection. "
        "Try again in %(minutes)s min."
    ) % {"minutes": wait_minutes(seconds)}


def refusal(request: Any) -> tuple[int, str] | None:
    """When the last `authenticate()` on this request was refused (the lockout or the
    account's slow-down): the seconds until it may try again, and the message saying
    so; else None."""
    if not getattr(request, "axes_locked_out", False):
        return None
    return _refusal(request, getattr(request, "axes_credentials", None))


def signed_in(request: Any, user: Any) -> None:
    """Tell the lockout of a sign-in that does not go through Django's `login()` (the
    staff API's tokens): it clears the failures and remembers the address."""
    user_logged_in.send(sender=type(user), request=request, user=user)


def login_failed(request: HttpRequest, username: str) -> None:
    """Count a failure that `authenticate()` did not see (a wrong authenticator code
    after the right password)."""
    user_login_failed.send(sender=__name__, credentials={"username": username}, request=request)


def lockout_response(
    request: HttpRequest,
    original_response: HttpResponse | None = None,
    credentials: dict[str, Any] | None = None,
) -> HttpResponse:
    """The answer to a refused sign-in (AXES_LOCKOUT_CALLABLE): the sign-in page as the
    view drew it (with the message saying when to try again), as a 429."""
    seconds, message = _refusal(request, credentials)
    response = original_response or HttpResponse(message)
    response.status_code = 429
    response["Retry-After"] = str(seconds)
    return response
