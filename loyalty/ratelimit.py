"""Counters in the cache (Redis): fixed windows for limits that DRF throttles cannot
express (per phone number, per number prefix), and the sliding window the API's
throttles count with (`sliding_hit`). Keys carry the schema (cache key function), so
merchants never share a counter."""

import math
import time
from typing import Any

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


# The current window's count and the previous window's, weighted by how much of it the
# sliding window still covers: a close estimate of the requests in the last `window`
# seconds, in one round trip. A refused request is not counted (as DRF's throttles).
_SLIDING = """
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
local previous = tonumber(redis.call('GET', KEYS[2]) or '0')
if previous * tonumber(ARGV[2]) + current >= tonumber(ARGV[1]) then
    return {0, current, previous}
end
redis.call('INCR', KEYS[1])
redis.call('EXPIRE', KEYS[1], ARGV[3])
return {1, current, previous}
"""
_scripts: dict[int, Any] = {}


def sliding_hit(key: str, *, limit: int, window: int) -> float | None:
    """Count one request for `key` if fewer than `limit` fell in the last `window`
    seconds and return None; otherwise count nothing and return the seconds to wait."""
    now = time.time()
    bucket, elapsed = divmod(now, window)
    weight = 1 - elapsed / window
    client = cache.client  # type: ignore[attr-defined]  # loyalty.cache.RedisCache
    script = _scripts.get(id(client))
    if script is None:
        script = _scripts[id(client)] = client.register_script(_SLIDING)
    keys = [cache.make_key(f"sw:{key}:{int(bucket) - n}") for n in (0, 1)]
    allowed, current, previous = script(keys=keys, args=[limit, weight, window * 2])
    if allowed:
        return None
    if current < limit:
        # The previous window's share shrinks until the estimate falls under the limit.
        wait = window * (1 - (limit - current) / previous) - elapsed
    else:
        # Next window: this one becomes the previous, whose share must shrink below it.
        wait = window - elapsed + window * (1 - limit / current)
    return max(wait, 0.001)
