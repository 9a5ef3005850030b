from drf_spectacular.utils import extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from .serializers import MerchantProfileSerializer


class MerchantProfileView(APIView):
    """The public profile of the merchant this host serves."""

    permission_classes = [AllowAny]
    authentication_classes: list[type] = []

    @extend_schema(responses=MerchantProfileSerializer, operation_id="merchant_profile")
    def get(self, request: Request) -> Response:
        serializer = MerchantProfileSerializer(request.tenant, context={"request": request})
        return Response(serializer.data)
