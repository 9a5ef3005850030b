"""The one error shape of the API: {"error": {"code", "message", "fields"}}."""

from typing import Any

from django.http import JsonResponse


def error_body(code: str, message: str, fields: dict[str, Any] | None = None) -> dict[str, Any]:
    error: dict[str, Any] = {"code": code, "message": message}
    if fields:
        error["fields"] = fields
    return {"error": error}


def error_response(
    code: str, message: str, *, status: int, fields: dict[str, Any] | None = None
) -> JsonResponse:
    return JsonResponse(error_body(code, message, fields), status=status)
