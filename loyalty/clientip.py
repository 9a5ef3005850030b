"""The client's address, as far as this deployment can trust it.

Every per-address limit (API throttles, sign-in codes, signup, login lockout) keys on
`client_ip(request)`. `X-Forwarded-For` is a header any client can send, so it is read
only when the deployment says how many proxies of its own stand in front of the app
(`TRUSTED_PROXIES`): each proxy appends the address it received the request from, so
with N proxies the client is the N-th address from the right. Anything to the left of
that was written by the client and is ignored. With `TRUSTED_PROXIES = 0` (the default)
the header is ignored and the socket's address is used.
"""

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str:
    remote = request.META.get("REMOTE_ADDR") or "unknown"
    proxies = int(getattr(settings, "TRUSTED_PROXIES", 0))
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if proxies <= 0 or not forwarded:
        return remote
    addresses = [part.strip() for part in forwarded.split(",") if part.strip()]
    if not addresses:
        return remote
    return addresses[-min(proxies, len(addresses))]
