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
from django.contrib.auth.signals import user_login_failed
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from loyalty.clientip import client_key
from loyalty.db import connection

STRIKES_KEPT_SECONDS = 24 * 3600


def account_of(request: Any, credentials: dict[str, Any] | None = None) -> str:
    """The account a sign-in is for: `<schema>:<email>` (AXES_USERNAME_CALLABLE)."""
    raw = (credentials or {}).get("username")
    if raw is None and request is not None:
        data = getattr(request, "data", None) or getattr(request, "POST", {})
        raw = data.get("username") or data.get("email")
    return f"{connection.schema_name}:{str(raw or '').strip().lower()}"


def _strikes_key(request: Any, credentials: dict[str, Any] | None = None) -> str:
    who = f"{account_of(request, credentials)}|{client_key(request)}"
    return "lockout-strikes:" + hashlib.sha256(who.encode()).hexdigest()


def cool_off(request: Any = None) -> timedelta:
    """How long the next lockout of this account from this address lasts
    (AXES_COOLOFF_TIME): doubled by each lockout in the last day."""
    strikes = int(cache.get(_strikes_key(request), 0)) if request is not None else 0
    seconds = settings.LOGIN_LOCKOUT_SECONDS * 2 ** min(strikes, 16)
    return timedelta(seconds=min(seconds, settings.LOGIN_LOCKOUT_MAX_SECONDS))


class LockoutHandler(AxesCacheHandler):
    """Axes' Redis handler that also remembers each lockout, so the next one lasts
    longer (AXES_HANDLER)."""

    def user_login_failed(
        self, sender: Any, credentials: dict, request: Any = None, **kwargs: Any
    ) -> None:
        super().user_login_failed(sender, credentials, request=request, **kwargs)
        if request is None:
            return
        if request.axes_failures_since_start == get_failure_limit(request, credentials):
            key = _strikes_key(request, credentials)
            cache.add(key, 0, timeout=STRIKES_KEPT_SECONDS)
            cache.incr(key)
            cache.touch(key, timeout=STRIKES_KEPT_SECONDS)


def _seconds_left(request: Any, credentials: dict[str, Any] | None) -> int:
    longest = 0
    for key in get_client_cache_keys(request, credentials):
        full = cache.make_key(key)
        client = cache._cache.get_client(full)  # type: ignore[attr-defined]
        longest = max(longest, int(client.pttl(full)))
    return max(1, math.ceil(longest / 1000))


def seconds_refused(request: Any) -> int | None:
    """When the last `authenticate()` on this request was refused by the lockout, the
    seconds until this account may try again from this address; else None."""
    if not getattr(request, "axes_locked_out", False):
        return None
    return _seconds_left(request, getattr(request, "axes_credentials", None))


def refusal_message(seconds: int) -> str:
    minutes = max(1, math.ceil(seconds / 60))
    return _(
        "Too many failed sign-ins for this account from your connection. "
        "Try again in %(minutes)s min."
    ) % {"minutes": minutes}


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
    seconds = _seconds_left(request, credentials)
    response = original_response or HttpResponse(refusal_message(seconds))
    response.status_code = 429
    response["Retry-After"] = str(seconds)
    return response
