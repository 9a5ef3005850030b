from django.db.models import Q
from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from loyalty.api.schema import errors
from tenants.selectors import merchants_active

from .serializers import MerchantProfileSerializer, MerchantSearchOut


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
        parameters=[
            OpenApiParameter("q", str, description="Name (English or Arabic)"),
            OpenApiParameter("category", str),
            OpenApiParameter("city", str),
        ],
        responses={200: MerchantSearchOut(many=True), **errors(e429="rate_limited")},
        summary="Find merchants by name, category and city",
        auth=[],
    )
    def get(self, request: Request) -> Response:
        merchants = merchants_active()
        q = request.query_params.get("q", "").strip()[:80]
        if q:
            merchants = merchants.filter(Q(name__icontains=q) | Q(name_ar__icontains=q))
        if request.query_params.get("category"):
            merchants = merchants.filter(category=request.query_params["category"])
        if request.query_params.get("city"):
            merchants = merchants.filter(city__iexact=request.query_params["city"].strip())
        data = MerchantSearchOut(
            merchants.order_by("name")[:50], many=True, context={"request": request}
        ).data
        return Response(data)


class MerchantDetailView(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list[type] = []

    @extend_schema(
        responses={200: MerchantSearchOut, **errors(e404="not_found")},
        summary="A merchant's public profile",
        auth=[],
    )
    def get(self, request: Request, slug: str) -> Response:
        merchant = merchants_active().filter(slug=slug).first()
        if merchant is None:
            raise Http404
        return Response(MerchantSearchOut(merchant, context={"request": request}).data)
