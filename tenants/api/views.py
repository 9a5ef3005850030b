from django.db.models import Q
from django.http import Http404
from django.utils import translation
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from loyalty.api.base import StaffAPIView, staff_of
from loyalty.api.pagination import page_of, query_of
from loyalty.api.schema import paged, responses
from tenants.roles import Role
from tenants.selectors import merchant_current, merchant_url, merchants_active
from tenants.services import staff_invite

from .serializers import (
    MerchantProfileSerializer,
    MerchantSearchOut,
    MerchantSearchQuery,
    StaffInvitationIn,
    StaffMemberOut,
)


class MerchantProfileView(APIView):
    """The public profile of the merchant this host serves."""

    permission_classes = [AllowAny]
    authentication_classes: list[type] = []

    @extend_schema(responses=MerchantProfileSerializer, operation_id="merchant_profile", auth=[])
    def get(self, request: Request) -> Response:
        serializer = MerchantProfileSerializer(request.tenant, context={"request": request})
        return Response(serializer.data)


class MerchantSearchView(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list[type] = []

    @extend_schema(
        parameters=[MerchantSearchQuery],
        responses=responses(paged(MerchantSearchOut, "MerchantPage")),
        summary="Find merchants by name, category and city",
        auth=[],
    )
    def get(self, request: Request) -> Response:
        query = query_of(request, MerchantSearchQuery)
        merchants = merchants_active()
        q = query.get("q", "").strip()
        if q:
            merchants = merchants.filter(Q(name__icontains=q) | Q(name_ar__icontains=q))
        if query.get("category"):
            merchants = merchants.filter(category=query["category"])
        if query.get("city", "").strip():
            merchants = merchants.filter(city__iexact=query["city"].strip())
        return page_of(
            request,
            merchants.order_by("name", "pk"),
            lambda page: MerchantSearchOut(page, many=True, context={"request": request}).data,
        )


class MerchantDetailView(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list[type] = []

    @extend_schema(
        responses=responses(MerchantSearchOut, e404="not_found"),
        summary="A merchant's public profile",
        auth=[],
    )
    def get(self, request: Request, slug: str) -> Response:
        merchant = merchants_active().filter(slug=slug).first()
        if merchant is None:
            raise Http404
        return Response(MerchantSearchOut(merchant, context={"request": request}).data)


class StaffInvitationView(StaffAPIView):
    """The owner invites a staff member: the account is made without a password and
    the invitation mailed, as from the dashboard's staff page (tenants.services)."""

    staff_permission = "staff.manage"

    @extend_schema(
        request=StaffInvitationIn,
        responses=responses(
            StaffMemberOut,
            201,
            e403="email_unverified, merchant_inactive, plan_limit_reached",
            e409="staff_email_taken",
        ),
        summary="Invite a staff member by email (owners); within the plan's staff limit",
        examples=[
            OpenApiExample(
                "A new cashier",
                value={"email": "lina@example.com", "role": "cashier", "name": "Lina Saleh"},
                request_only=True,
            )
        ],
    )
    def post(self, request: Request) -> Response:
        data = StaffInvitationIn(data=request.data)
        data.is_valid(raise_exception=True)
        inviter = staff_of(request)
        user = staff_invite(
            email=data.validated_data["email"],
            role=Role(data.validated_data["role"]),
            name=data.validated_data["name"].strip(),
            inviter=inviter.get_full_name() or inviter.email,
            base_url=merchant_url(request, merchant_current()),
            language=(translation.get_language() or "en")[:2],
        )
        body = {
            "id": user.pk,
            "email": user.email,
            "name": user.get_full_name(),
            "role": data.validated_data["role"],
            "invited": not user.has_usable_password(),
        }
        return Response(StaffMemberOut(body).data, status=status.HTTP_201_CREATED)
