"""The one error shape of the API: {"error": {"code", "message", "fields"}}."""

from typing import Any

from django.http import JsonResponse

from loyalty.errors import DomainError
from loyalty.ratelimit import RateLimited


def error_body(code: str, message: str, fields: dict[str, Any] | None = None) -> dict[str, Any]:
    error: dict[str, Any] = {"code": code, "message": message}
    if fields:
        error["fields"] = fields
    return {"error": error}


def error_response(
    code: str, message: str, *, status: int, fields: dict[str, Any] | None = None
) -> JsonResponse:
    return JsonResponse(error_body(code, message, fields), status=status)


def domain_error_response(error: DomainError) -> JsonResponse:
    """A service's refusal for a plain Django view that answers JSON (the dashboard's
    counter), as the API's exception handler answers it."""
    response = error_response(error.code, error.message, status=error.status, fields=error.fields)
    if isinstance(error, RateLimited):
        response["Retry-After"] = str(error.retry_after)
    return response
