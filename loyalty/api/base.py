"""Small pieces every API view shares."""

import copy
from collections.abc import Iterable, Sequence
from typing import Any, ClassVar

from django.contrib.auth.models import User
from drf_spectacular.utils import OpenApiParameter, extend_schema_field
from rest_framework import serializers
from rest_framework.authentication import BaseAuthentication
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from points.calculation import AMOUNT_PATTERN
from points.idempotency import KEY_PATTERN, is_replay

from .permissions import IsCustomer, StaffCan
from .tokens import CustomerAuthentication, CustomerPrincipal, StaffAuthentication


class StrictSerializer(serializers.Serializer):
    # An input serializer that refuses fields it does not know (computed ones included)
    # and values of the wrong JSON type: "true" is not a boolean, "12" not an integer, 12
    # not a string (DRF would coerce each). The schema says `additionalProperties: false`.
    # (No docstring: the OpenAPI schema would show it on every input.)

    json_types = True

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, dict):
            unknown = sorted(set(data) - set(self.fields))
            if unknown:
                raise serializers.ValidationError({name: ["Unknown field."] for name in unknown})
            if self.json_types:
                wrong = {
                    name: [message]
                    for name, value in data.items()
                    if (message := _wrong_type(self.fields[name], value))
                }
                if wrong:
                    raise serializers.ValidationError(wrong)
        return super().to_internal_value(data)


def _wrong_type(field: serializers.Field, value: Any) -> str | None:
    if value is None:
        return None  # the field's own allow_null decides
    if isinstance(field, serializers.BooleanField):
        ok = isinstance(value, bool)
    elif isinstance(field, serializers.IntegerField):
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif isinstance(
        field,
        serializers.CharField
        | serializers.ChoiceField
        | serializers.DateField
        | serializers.DateTimeField,
    ):
        ok = isinstance(value, str)
    else:
        return None
    return None if ok else str(field.error_messages.get("invalid", "Not the right type."))


class ModelOut(serializers.ModelSerializer):
    """A read-only ModelSerializer that works out its fields from the model once per
    class, not once per use: DRF's introspection (a field built from each model field)
    was most of what rendering an answer cost. Each use gets fresh copies, made as DRF
    copies declared fields. Only for serializers whose fields depend on nothing but
    their class (no `context`-dependent `get_fields`)."""

    _fields_built: ClassVar[dict[type, dict[str, serializers.Field]]] = {}

    def get_fields(self) -> dict[str, serializers.Field]:
        built = self._fields_built.get(type(self))
        if built is None:
            built = self._fields_built[type(self)] = super().get_fields()
        return copy.deepcopy(built)


_SHARED: dict[type[serializers.Serializer], serializers.Serializer] = {}


def _shared(serializer: type[serializers.Serializer]) -> serializers.Serializer:
    """One instance of `serializer` per process, its fields built once.

    DRF builds a serializer's fields anew for each instance (a deep copy of every
    declared field, nested serializers included): on the counter's earn that was a fifth
    of the request's CPU. The shared instance's fields are built before any thread sees
    it and only read afterwards, and neither call below keeps state on the instance, so
    threads can share it. Only for serializers that read nothing but their input: no
    `context`, no fields that depend on the request."""
    shared = _SHARED.get(serializer)
    if shared is None:
        shared = serializer()
        shared.fields  # noqa: B018
        shared = _SHARED.setdefault(serializer, shared)
    return shared


def represent(serializer: type[serializers.Serializer], instance: Any) -> dict[str, Any]:
    """`serializer(instance).data`, through the shared instance."""
    return _shared(serializer).to_representation(instance)


def represent_many(
    serializer: type[serializers.Serializer], instances: Iterable[Any]
) -> list[dict[str, Any]]:
    """`serializer(instances, many=True).data`, through the shared instance."""
    shared = _shared(serializer)
    return [shared.to_representation(instance) for instance in instances]


def validated(serializer: type[serializers.Serializer], data: Any) -> dict[str, Any]:
    """`serializer(data=data)`'s validated data. Refused input is checked again the usual
    way, which raises the ValidationError `is_valid(raise_exception=True)` raises, with
    its details exactly (DRF reshapes a few of them there)."""
    try:
        return _shared(serializer).run_validation(data)
    except serializers.ValidationError:
        pass
    checked = serializer(data=data)
    checked.is_valid(raise_exception=True)
    return checked.validated_data


class QuerySerializer(StrictSerializer):
    # Query parameters: strings by nature; unknown ones are refused all the same.

    json_types = False


class QueryInt(serializers.IntegerField):
    """An integer query parameter: digits only (DRF would read "12.0" as 12)."""

    def to_internal_value(self, data: Any) -> int:
        if not (isinstance(data, str) and data.isascii() and data.isdigit()):
            self.fail("invalid")
        return super().to_internal_value(data)


class QueryBool(serializers.BooleanField):
    """A boolean query parameter: `true` or `false` (DRF would also read 1, yes, on...)."""

    TRUE_VALUES = {"true"}
    FALSE_VALUES = {"false"}
    NULL_VALUES: set[str | None] = set()


@extend_schema_field(
    {"type": "string", "pattern": AMOUNT_PATTERN, "maxLength": 11, "example": "50.000"}
)
class MoneyIn(serializers.Field):
    """An amount as the client sent it, for the service's one parser (`amount_parse`):
    a JSON number or a string with spaces is `invalid_amount` there, not coerced here."""

    def to_internal_value(self, data: Any) -> Any:
        return data

    def to_representation(self, value: Any) -> Any:
        return value


IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key",
    {"type": "string", "pattern": KEY_PATTERN, "maxLength": 100},
    "header",
    description="A retry with the same key returns the first result, marked with "
    "`Idempotent-Replayed: true`. Keys are yours alone, per operation.",
)


def idempotency_key(request: Request) -> str | None:
    """The Idempotency-Key header; its form is checked where it is claimed."""
    return request.headers.get("Idempotency-Key")


def idempotent(response: Response, result: object) -> Response:
    """Mark the answer to a retry (the first result, stored under its key)."""
    if is_replay(result):
        response["Idempotent-Replayed"] = "true"
    return response


def customer_of(request: Request) -> Any:
    user = request.user
    assert isinstance(user, CustomerPrincipal)
    return user.customer


def staff_of(request: Request) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


class CustomerAPIView(APIView):
    """A customer token is required."""

    authentication_classes: Sequence[type[BaseAuthentication]] = [CustomerAuthentication]
    permission_classes: Sequence[type[BasePermission]] = [IsCustomer]
    throttle_scope = "customer"


class StaffAPIView(APIView):
    """A staff token of this merchant is required, whose role allows `staff_permission`."""

    authentication_classes: Sequence[type[BaseAuthentication]] = [StaffAuthentication]
    permission_classes: Sequence[type[BasePermission]] = [StaffCan]
    throttle_scope = "staff"
    staff_permission = "members.view"
