from django.db.models import Q
from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from loyalty.api.pagination import page_of, query_of
from loyalty.api.schema import paged, responses
from tenants.selectors import merchants_active

from .serializers import MerchantProfileSerializer, MerchantSearchOut, MerchantSearchQuery


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
