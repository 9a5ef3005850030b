"""The customer's API on the root domain: sign-in, profile, devices, data."""

from django.http import Http404
from django.utils import translation
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from customers import services
from customers.models import Customer, Device
from loyalty.api.base import CustomerAPIView, customer_of
from loyalty.api.pagination import PageQuery, page_of, query_of
from loyalty.api.schema import paged, responses
from loyalty.api.tokens import CUSTOMER, tokens_issue, tokens_refresh, tokens_revoke
from loyalty.clientip import client_ip

from .serializers import (
    CustomerOut,
    DeviceIn,
    DeviceOut,
    OtpRequestIn,
    OtpVerifyIn,
    PhoneChangeConfirmIn,
    PhoneChangeRequestIn,
    PreferencesSerializer,
    ProfileIn,
    RefreshIn,
    SignInOut,
    TokensOut,
)


class Public(APIView):
    authentication_classes: list[type] = []
    permission_classes: list[type] = []
    throttle_scope = "auth"


def asked_language(request: Request) -> str:
    """The app's Accept-Language when it sends one (en or ar), else Arabic."""
    if request.headers.get("Accept-Language"):
        return translation.get_language_from_request(request._request)
    return Customer.Language.ARABIC


class OtpRequestView(Public):
    throttle_scope = "otp"

    @extend_schema(
        request=OtpRequestIn,
        responses=responses(
            None,
            202,
            e422="invalid_phone, phone_not_mobile, phone_country_not_served",
            e502="sms_failed",
        ),
        summary="Send a sign-in code by SMS",
        auth=[],
        examples=[
            OpenApiExample("Jordanian number", value={"phone": "0791234567"}, request_only=True)
        ],
    )
    def post(self, request: Request) -> Response:
        data = OtpRequestIn(data=request.data)
        data.is_valid(raise_exception=True)
        services.otp_request(
            phone=data.validated_data["phone"],
            ip=client_ip(request),
            language=data.validated_data.get("language") or asked_language(request),
            device_token=data.validated_data.get("device_token"),
        )
        return Response(status=status.HTTP_202_ACCEPTED)


class OtpVerifyView(Public):
    @extend_schema(
        request=OtpVerifyIn,
        responses=responses(
            SignInOut,
            e422="otp_invalid, otp_expired, otp_attempts_exceeded, invalid_phone, "
            "customer_inactive",
        ),
        summary="Sign in with the code: returns access and refresh tokens",
        auth=[],
        examples=[
            OpenApiExample(
                "Code from the SMS",
                value={"phone": "+962791234567", "code": "482913"},
                request_only=True,
            )
        ],
    )
    def post(self, request: Request) -> Response:
        data = OtpVerifyIn(data=request.data)
        data.is_valid(raise_exception=True)
        customer, created = services.customer_sign_in(**data.validated_data)
        tokens = tokens_issue(kind=CUSTOMER, subject_id=customer.pk)
        return Response(
            {
                **tokens,
                "customer": CustomerOut(customer).data,
                "is_new": created,
                "device_token": services.device_token_issue(phone=customer.phone),
            }
        )


class TokenRefreshView(Public):
    """Rotate a refresh token of `token_kind` (customer here, staff on merchant hosts)."""

    token_kind = CUSTOMER

    @extend_schema(
        request=RefreshIn,
        responses=responses(TokensOut, e401="token_invalid"),
        summary="Rotate a refresh token",
        auth=[],
    )
    def post(self, request: Request) -> Response:
        data = RefreshIn(data=request.data)
        data.is_valid(raise_exception=True)
        return Response(tokens_refresh(raw=data.validated_data["refresh"], kind=self.token_kind))


class RevokeRefresh:
    """Sign out: the refresh token of `token_kind` is revoked."""

    token_kind = CUSTOMER

    @extend_schema(
        request=RefreshIn,
        responses=responses(None, 204, e401="token_invalid"),
        summary="Sign out: the refresh token is revoked",
    )
    def post(self, request: Request) -> Response:
        data = RefreshIn(data=request.data)
        data.is_valid(raise_exception=True)
        tokens_revoke(raw=data.validated_data["refresh"], kind=self.token_kind)
        return Response(status=status.HTTP_204_NO_CONTENT)


class LogoutView(RevokeRefresh, CustomerAPIView):
    pass


class ProfileView(CustomerAPIView):
    @extend_schema(responses=responses(CustomerOut), summary="My profile")
    def get(self, request: Request) -> Response:
        return Response(CustomerOut(customer_of(request)).data)

    @extend_schema(
        request=ProfileIn,
        responses=responses(CustomerOut, e422="birthday_locked, unknown_time_zone"),
        summary="Change my profile",
    )
    def patch(self, request: Request) -> Response:
        data = ProfileIn(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        customer = services.customer_update(customer=customer_of(request), **data.validated_data)
        return Response(CustomerOut(customer).data)

    @extend_schema(responses=responses(None, 204), summary="Close my account")
    def delete(self, request: Request) -> Response:
        services.customer_delete(customer=customer_of(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


class PreferencesView(CustomerAPIView):
    @extend_schema(
        responses=responses(PreferencesSerializer), summary="My notification preferences"
    )
    def get(self, request: Request) -> Response:
        return Response(PreferencesSerializer(services.preferences_of(customer_of(request))).data)

    @extend_schema(
        request=PreferencesSerializer,
        responses=responses(PreferencesSerializer),
        summary="Change my notification preferences (any subset of the fields)",
    )
    def patch(self, request: Request) -> Response:
        data = PreferencesSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        preference = services.preferences_update(
            customer=customer_of(request), **data.validated_data
        )
        return Response(PreferencesSerializer(preference).data)


class ExportView(CustomerAPIView):
    @extend_schema(
        responses=responses(OpenApiTypes.OBJECT), summary="Everything held about me, as JSON"
    )
    def get(self, request: Request) -> Response:
        return Response(services.customer_export(customer=customer_of(request)))


class PhoneChangeRequestView(CustomerAPIView):
    throttle_scope = "otp"

    @extend_schema(
        request=PhoneChangeRequestIn,
        responses=responses(
            None, 202, e422="invalid_phone, phone_not_mobile, phone_country_not_served"
        ),
        summary="Send a code to a new phone number",
        description=(
            "Answers 202 whether or not the number belongs to another account (the code "
            "is sent either way); `phone_taken` answers the confirmation only."
        ),
    )
    def post(self, request: Request) -> Response:
        data = PhoneChangeRequestIn(data=request.data)
        data.is_valid(raise_exception=True)
        services.phone_change_request(
            customer=customer_of(request),
            phone=data.validated_data["phone"],
            ip=client_ip(request),
        )
        return Response(status=status.HTTP_202_ACCEPTED)


class PhoneChangeConfirmView(CustomerAPIView):
    @extend_schema(
        request=PhoneChangeConfirmIn,
        responses=responses(
            CustomerOut,
            e409="phone_taken",
            e422="otp_invalid, otp_expired, otp_attempts_exceeded, invalid_phone",
        ),
        summary="Confirm the new phone number with its code",
    )
    def post(self, request: Request) -> Response:
        data = PhoneChangeConfirmIn(data=request.data)
        data.is_valid(raise_exception=True)
        customer = services.phone_change_confirm(
            customer=customer_of(request), **data.validated_data
        )
        return Response(CustomerOut(customer).data)


class DevicesView(CustomerAPIView):
    @extend_schema(
        parameters=[PageQuery],
        responses=responses(paged(DeviceOut, "DevicePage")),
        summary="My devices",
    )
    def get(self, request: Request) -> Response:
        query_of(request, PageQuery)
        devices = Device.objects.filter(customer=customer_of(request)).order_by("-id")
        return page_of(request, devices, lambda page: DeviceOut(page, many=True).data)

    @extend_schema(
        request=DeviceIn, responses=responses(DeviceOut, 201), summary="Register a push token"
    )
    def post(self, request: Request) -> Response:
        data = DeviceIn(data=request.data)
        data.is_valid(raise_exception=True)
        device = services.device_register(customer=customer_of(request), **data.validated_data)
        return Response(DeviceOut(device).data, status=status.HTTP_201_CREATED)


class DeviceView(CustomerAPIView):
    @extend_schema(responses=responses(None, 204, e404="not_found"), summary="Forget a device")
    def delete(self, request: Request, pk: int) -> Response:
        deleted, _ = Device.objects.filter(pk=pk, customer=customer_of(request)).delete()
        if not deleted:
            raise Http404
        return Response(status=status.HTTP_204_NO_CONTENT)
