"""Map every API exception to the one error shape with a stable code (loyalty/errors.py
`CODES` gives each code its status)."""

import math
from typing import Any

from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from loyalty.errors import CODES, DomainError
from loyalty.ratelimit import RateLimited

from .errors import error_body

_CODES = {
    exceptions.NotAuthenticated: "not_authenticated",
    exceptions.AuthenticationFailed: "authentication_failed",
    exceptions.PermissionDenied: "permission_denied",
    exceptions.NotFound: "not_found",
    exceptions.MethodNotAllowed: "method_not_allowed",
    exceptions.NotAcceptable: "not_acceptable",
    exceptions.UnsupportedMediaType: "unsupported_media_type",
    exceptions.ParseError: "malformed_request",
    exceptions.ValidationError: "invalid",
}


def _flatten(detail: Any) -> Any:
    if isinstance(detail, dict):
        return {key: _flatten(value) for key, value in detail.items()}
    if isinstance(detail, list):
        return [_flatten(item) if isinstance(item, dict | list) else str(item) for item in detail]
    return str(detail)


def _domain_response(exc: DomainError) -> Response:
    refused = Response(error_body(exc.code, exc.message, exc.fields), status=exc.status)
    if isinstance(exc, RateLimited):
        refused["Retry-After"] = str(exc.retry_after)
    return refused


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    response = _handle(exc, context)
    request = context.get("request")
    if response is not None and request is not None:
        # Errors are JSON even where the view renders something else (the schema's YAML).
        request.accepted_renderer = JSONRenderer()
        request.accepted_media_type = JSONRenderer.media_type
    return response


def _handle(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, exceptions.Throttled):
        # DRF's throttles and loyalty.ratelimit answer alike: one body, one header.
        exc = RateLimited(retry_after=max(1, math.ceil(getattr(exc, "wait", None) or 1)))
    if isinstance(exc, DomainError):
        return _domain_response(exc)
    if isinstance(exc, RequestDataTooBig):
        return Response(
            error_body("request_too_large", "The request body is too large."), status=413
        )
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(
            exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        )

    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        body = error_body("invalid", "Some fields are not valid.", _flatten(exc.detail))
    else:
        own = exc.get_codes() if isinstance(exc, exceptions.APIException) else None
        code = (
            own
            if isinstance(own, str) and own in CODES
            else next((c for cls, c in _CODES.items() if isinstance(exc, cls)), "error")
        )
        body = error_body(code, str(getattr(exc, "detail", exc)))
    response.data = body
    return response
