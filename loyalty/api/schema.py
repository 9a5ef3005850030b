"""OpenAPI: each operation's error answers, generated from the one registry of codes
(loyalty/errors.py `CODES`), and request bodies that say they refuse unknown fields.

A view names the codes of its own rules (`responses(Out, 201, e422="out_of_stock")`, the
number checked against the registry); `AutoSchema` adds the codes every operation of its
kind can answer: 400 `invalid` for a body or query parameters, 401 for a token, 403 for
staff roles, 404 for a path id, 406, 415 for a body, and 429 `rate_limited` with its
Retry-After header. Each error response lists its codes as an enum."""

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.utils import OpenApiResponse, inline_serializer
from rest_framework import serializers

from loyalty.errors import CODES

from .base import StrictSerializer
from .permissions import StaffCan

ErrorOut = inline_serializer(
    name="Error",
    fields={
        "error": inline_serializer(
            name="ErrorBody",
            fields={
                "code": serializers.CharField(),
                "message": serializers.CharField(),
                "fields": serializers.DictField(required=False),
            },
        )
    },
)


class ErrorCodes(OpenApiResponse):
    """The codes of one status a view declares; AutoSchema turns them into the response."""

    def __init__(self, status: int, codes: list[str]) -> None:
        wrong = [c for c in codes if c not in CODES or CODES[c].status != status]
        if wrong:
            raise ValueError(
                f"Not {status} in loyalty.errors.CODES: "
                + ", ".join(f"{c} ({CODES[c].status if c in CODES else 'missing'})" for c in wrong)
            )
        super().__init__(ErrorOut, description=", ".join(codes))
        self.codes = codes


def errors(**by_status: str) -> dict[int, OpenApiResponse]:
    """`errors(e400="invalid_amount", e404="member_not_found")`."""
    result: dict[int, OpenApiResponse] = {}
    for key, codes in by_status.items():
        status = int(key.lstrip("e"))
        result[status] = ErrorCodes(status, [c.strip() for c in codes.split(",") if c.strip()])
    return result


def responses(ok: Any, status: int = 200, **error_codes: str) -> dict[int, Any]:
    """The success answer and the codes of the view's own rules (see `errors`)."""
    return {status: ok, **errors(**error_codes)}


RETRY_AFTER = {
    "schema": {"type": "integer", "minimum": 1},
    "required": True,
    "description": "Seconds to wait (also `fields.retry_after`)",
}
REPLAYED = {
    "schema": {"type": "string", "enum": ["true"]},
    "description": "Present on the stored answer to a retry with the same Idempotency-Key",
}


def error_schema(codes: list[str]) -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["error"],
        "additionalProperties": False,
        "properties": {
            "error": {
                "type": "object",
                "required": ["code", "message"],
                "additionalProperties": False,
                "properties": {
                    "code": {"type": "string", "enum": codes},
                    "message": {"type": "string"},
                    "fields": {"type": "object", "description": "Field name: what is wrong"},
                },
            }
        },
    }


class AutoSchema(SpectacularAutoSchema):
    def _postprocess_serializer_schema(self, schema: Any, serializer: Any, direction: Any) -> Any:
        schema = super()._postprocess_serializer_schema(schema, serializer, direction)
        if isinstance(serializer, StrictSerializer) and isinstance(schema, dict):
            schema["additionalProperties"] = False
        return schema

    def get_operation_id(self) -> str:
        operation_id = super().get_operation_id()
        declared = self.get_response_serializers()
        ok = declared.get(200) if isinstance(declared, dict) else declared
        if getattr(ok, "is_page", False) and operation_id.endswith("_retrieve"):
            return operation_id.removesuffix("_retrieve") + "_list"
        return operation_id

    def get_operation(self, *args: Any, **kwargs: Any) -> dict[str, Any] | None:
        operation = super().get_operation(*args, **kwargs)
        if operation is None:
            return None
        codes = self._operation_codes(operation)
        bodies = operation["responses"]
        for status in sorted({CODES[c].status for c in codes}):
            mine = sorted(c for c in codes if CODES[c].status == status)
            response: dict[str, Any] = {
                "description": "\n".join(f"- `{c}`: {CODES[c].meaning}" for c in mine),
                "content": {"application/json": {"schema": error_schema(mine)}},
            }
            if status == 429:
                response["headers"] = {"Retry-After": RETRY_AFTER}
            bodies[str(status)] = response
        if any(p["name"] == "Idempotency-Key" for p in operation.get("parameters", [])):
            for status, body in bodies.items():
                if status.startswith("2"):
                    body.setdefault("headers", {})["Idempotent-Replayed"] = REPLAYED
        operation["responses"] = dict(sorted(bodies.items()))
        return operation

    def _operation_codes(self, operation: dict[str, Any]) -> set[str]:
        declared = self.get_response_serializers()
        codes = {"rate_limited", "not_acceptable"}
        if isinstance(declared, dict):
            for answer in declared.values():
                if isinstance(answer, ErrorCodes):
                    codes.update(answer.codes)
        parameters = operation.get("parameters", [])
        if operation.get("requestBody") or self.method in ("POST", "PUT", "PATCH"):
            codes.update({"invalid", "malformed_request", "unsupported_media_type"})
        if any(p["in"] == "query" for p in parameters):
            codes.add("invalid")
        if any(p["name"] == "Idempotency-Key" for p in parameters):
            codes.add("invalid_idempotency_key")
        if any(p["in"] == "path" for p in parameters):
            codes.add("not_found")
        if getattr(self.view, "authentication_classes", None):
            codes.update({"not_authenticated", "authentication_failed", "wrong_token_type"})
        if any(p is StaffCan for p in getattr(self.view, "permission_classes", [])):
            codes.add("permission_denied")
        return codes

    def _map_serializer_field(self, field: Any, direction: Any, bypass_extensions: bool = False):  # type: ignore[no-untyped-def]
        schema = super()._map_serializer_field(field, direction, bypass_extensions)
        if (
            direction == "request"
            and isinstance(schema, dict)
            and type(field) is serializers.CharField
            and not field.allow_blank
            and field.trim_whitespace
            and "pattern" not in schema
        ):
            schema["pattern"] = r"\S"  # blank after trimming is refused
        return schema


class CustomerTokenScheme(OpenApiAuthenticationExtension):
    target_class = "loyalty.api.tokens.CustomerAuthentication"
    name = "customerToken"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "JWT",
            "description": "Customer access token from /api/v1/auth/otp/verify (root domain)",
        }


class StaffTokenScheme(OpenApiAuthenticationExtension):
    target_class = "loyalty.api.tokens.StaffAuthentication"
    name = "staffToken"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "JWT",
            "description": "Staff access token from /api/v1/staff/auth/login on this host",
        }


def paged(item: type[serializers.Serializer], name: str, **extra: Any) -> serializers.Serializer:
    """A page of `item` (loyalty/api/pagination.py): {count, next, previous, results}."""
    page = inline_serializer(
        name=name,
        fields={
            **extra,
            "count": serializers.IntegerField(min_value=0),
            "next": serializers.URLField(allow_null=True),
            "previous": serializers.URLField(allow_null=True),
            "results": item(many=True),
        },
    )
    page.is_page = True  # type: ignore[attr-defined]  # its operation is a list
    return page
