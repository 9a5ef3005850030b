"""The client's address, as far as this deployment can trust it, and the key that
per-address limits count.

`client_ip(request)` is the real address (for logs and records). Every per-address
limit (API throttles, sign-in codes, signup, password reset, login lockout) counts
`client_key(request)` instead: IPv4 addresses whole, IPv6 addresses by their /64 (one
subscriber's network, 2^64 addresses an attacker could otherwise rotate through), and an
IPv4-mapped IPv6 address (`::ffff:a.b.c.d`) as its IPv4 address.

`X-Forwarded-For` is a header any client can send, so it is read only when the
deployment says how many proxies of its own stand in front of the app
(`TRUSTED_PROXIES`): each proxy appends the address it received the request from, so
with N proxies the client is the N-th address from the right. Anything to the left of
that was written by the client and is ignored. With `TRUSTED_PROXIES = 0` (the default)
the header is ignored and the socket's address is used.
"""

import ipaddress

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


def address_key(ip: str) -> str:
    """What a per-address limit counts for `ip`: the IPv4 address, or the IPv6 /64."""
    try:
        address = ipaddress.ip_address(ip.split("%", 1)[0])
    except ValueError:
        return ip
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network(f"{address}/64", strict=False))
    return str(address)


def client_key(request: HttpRequest) -> str:
    """The key every per-address limit counts for this request (see the module doc)."""
    return address_key(client_ip(request))
