"""Fixed-window counters in the cache (Redis), for limits that DRF throttles cannot
express (per phone number, per number prefix). Keys carry the schema (cache key
function), so merchants never share a counter."""

import math
import time

from django.core.cache import cache

from loyalty.errors import DomainError


class RateLimited(DomainError):
    """Every 429 alike: `rate_limited` with `fields.retry_after` (seconds); `reason`, when
    an app may want to tell limits apart, goes to `fields.limit`."""

    status = 429

    def __init__(
        self,
        retry_after: int,
        message: str = "Too many requests; try again later.",
        reason: str | None = None,
    ):
        fields: dict[str, object] = {"retry_after": retry_after}
        if reason is not None:
            fields["limit"] = reason
        super().__init__("rate_limited", message, fields=fields)
        self.retry_after = retry_after


def wait_minutes(seconds: int) -> int:
    """The minutes to tell someone who must wait `seconds` ("Try again in N min"):
    rounded up, so they never come back too early, and at least 1."""
    return max(1, math.ceil(seconds / 60))


def hit(
    key: str,
    *,
    limit: int,
    window: int,
    message: str = "Too many requests; try again later.",
    reason: str | None = None,
) -> None:
    """Count one event for `key`; refuse (RateLimited, `reason` in its fields) when more
    than `limit` fall in the window."""
    bucket = int(time.time() // window)
    full = f"rl:{key}:{bucket}"
    cache.add(full, 0, timeout=window + 5)
    count = cache.incr(full)
    if count > limit:
        raise RateLimited(window - int(time.time() % window), message, reason=reason)


def cooldown(key: str, *, seconds: int) -> None:
    """Refuse a second event for `key` within `seconds` of the first."""
    name = f"cd:{key}"
    if not cache.add(name, 1, timeout=seconds):
        raise RateLimited(retry_after=_seconds_left(name, seconds))


def _seconds_left(name: str, default: int) -> int:
    full = cache.make_key(name)
    client = cache._cache.get_client(full)  # type: ignore[attr-defined]
    ttl = client.ttl(full)
    return int(ttl) if ttl and ttl > 0 else default
