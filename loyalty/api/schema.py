"""OpenAPI helpers: the one error shape, and each operation's error responses."""

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, inline_serializer
from rest_framework import serializers

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


def errors(**by_status: str) -> dict[int, OpenApiResponse]:
    """`errors(e400="invalid_amount, too_many_decimals", e404="member_not_found")`."""
    responses: dict[int, OpenApiResponse] = {}
    for key, codes in by_status.items():
        status = int(key.lstrip("e"))
        first = codes.split(",")[0].strip()
        responses[status] = OpenApiResponse(
            ErrorOut,
            description=f"Error codes: {codes}",
            examples=[
                OpenApiExample(
                    first,
                    value={"error": {"code": first, "message": "..."}},
                    response_only=True,
                    status_codes=[str(status)],
                )
            ],
        )
    return responses


def responses(ok: Any, status: int = 200, **error_codes: str) -> dict[int, Any]:
    result: dict[int, Any] = {status: ok}
    result.update(errors(e401="not_authenticated, authentication_failed", **error_codes))
    result.update(errors(e429="rate_limited"))
    return result


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
    return inline_serializer(
        name=name,
        fields={
            **extra,
            "count": serializers.IntegerField(min_value=0),
            "next": serializers.URLField(allow_null=True),
            "previous": serializers.URLField(allow_null=True),
            "results": item(many=True),
        },
    )
