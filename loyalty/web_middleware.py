"""Middleware the API does without.

Requests under `/api/v1/` carry a bearer token and get JSON back: they have no session,
no dashboard sign-in or second factor, no flash messages and no static files. Each
class here is the middleware of the same name, subclassed so that such a request passes
straight through it; every other request (pages, the dashboards, the API's schema and
docs) gets the middleware as before. On the counter's earn, these five layers were
about 3% of a request's CPU.

They stay subclasses, so Django's system checks still find them. CSRF's middleware is
left whole (`check --deploy` asks for it by name, and it costs little): a view under
`/api/v1/` that is not exempt from CSRF is refused as before, not let through.

What the API keeps (settings `MIDDLEWARE`): the request guard, the merchant's schema,
the security headers, the language (its error messages are translated), the content
length, CSRF, `X-Frame-Options` and the sign-in lockout's answer.
"""

from typing import Any

from django.contrib.auth import middleware as auth
from django.contrib.messages import middleware as messages
from django.contrib.sessions import middleware as sessions
from django.http import HttpRequest, HttpResponseBase
from django_otp import middleware as otp
from whitenoise import middleware as whitenoise

API_PREFIX = "/api/v1/"


def is_api(request: HttpRequest) -> bool:
    return request.path_info.startswith(API_PREFIX)


class _WebOnly:
    get_response: Any

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if is_api(request):
            return self.get_response(request)  # type: ignore[no-any-return]
        return super().__call__(request)  # type: ignore[misc,no-any-return]


class WhiteNoiseMiddleware(_WebOnly, whitenoise.WhiteNoiseMiddleware):
    pass


class SessionMiddleware(_WebOnly, sessions.SessionMiddleware):
    pass


class AuthenticationMiddleware(_WebOnly, auth.AuthenticationMiddleware):
    pass


class OTPMiddleware(_WebOnly, otp.OTPMiddleware):
    pass


class MessageMiddleware(_WebOnly, messages.MessageMiddleware):
    pass
