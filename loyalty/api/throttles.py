from typing import Any

from rest_framework.request import Request
from rest_framework.throttling import ScopedRateThrottle

from loyalty.clientip import client_key

from .tokens import CustomerPrincipal


class ScopedThrottle(ScopedRateThrottle):
    """Rate limits per view scope (`throttle_scope`, "default" when unset), counted per
    customer, per staff user or per client IP. Keys carry the schema (cache key
    function), so the same staff id in two merchants has two counters."""

    def get_ident(self, request: Request) -> str:
        # The one key every per-address limit counts (TRUSTED_PROXIES, IPv6 by /64).
        return client_key(request)

    def allow_request(self, request: Request, view: Any) -> bool:
        if not getattr(view, "throttle_scope", None):
            view.throttle_scope = "default"
        return super().allow_request(request, view)

    def get_cache_key(self, request: Request, view: Any) -> str:
        user = request.user
        if isinstance(user, CustomerPrincipal):
            ident = f"customer-{user.customer.pk}"
        elif user is not None and user.is_authenticated:
            ident = f"staff-{user.pk}"
        else:
            ident = f"ip-{self.get_ident(request)}"
        return self.cache_format % {"scope": self.scope, "ident": ident}
