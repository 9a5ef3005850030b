from typing import Any

from rest_framework.request import Request
from rest_framework.throttling import ScopedRateThrottle

from loyalty.clientip import client_key
from loyalty.ratelimit import sliding_hit

from .tokens import CustomerPrincipal


class ScopedThrottle(ScopedRateThrottle):
    """Rate limits per view scope (`throttle_scope`, "default" when unset), counted per
    customer, per staff user or per client IP. Keys carry the schema (cache key
    function), so the same staff id in two merchants has two counters.

    Counted over a sliding window in one Redis round trip (`loyalty.ratelimit.
    sliding_hit`), instead of DRF's list of timestamps read and written back."""

    def get_ident(self, request: Request) -> str:
        # The one key every per-address limit counts (TRUSTED_PROXIES, IPv6 by /64).
        return client_key(request)

    def allow_request(self, request: Request, view: Any) -> bool:
        self.scope = getattr(view, "throttle_scope", None) or "default"
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)
        if self.num_requests is None or self.duration is None:
            return True
        self.key = self.get_cache_key(request, view)
        self.waiting = sliding_hit(self.key, limit=self.num_requests, window=self.duration)
        return self.waiting is None

    def wait(self) -> float | None:
        return self.waiting

    def get_cache_key(self, request: Request, view: Any) -> str:
        user = request.user
        if isinstance(user, CustomerPrincipal):
            ident = f"customer-{user.customer.pk}"
        elif user is not None and user.is_authenticated:
            ident = f"staff-{user.pk}"
        else:
            ident = f"ip-{self.get_ident(request)}"
        return self.cache_format % {"scope": self.scope, "ident": ident}
