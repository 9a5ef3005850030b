"""The member's inbox at this merchant (merchant host, customer token)."""

from django.db.models import BooleanField, ExpressionWrapper, Q
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from loyalty.api.base import CustomerAPIView
from loyalty.api.pagination import PageQuery, page_of, query_of
from loyalty.api.schema import paged, responses
from notifications import services
from notifications.models import InboxItem
from notifications.selectors import unread_count
from points.api.views import my_membership


class InboxItemOut(serializers.ModelSerializer):
    is_read = serializers.SerializerMethodField()

    class Meta:
        model = InboxItem
        fields = (
            "id",
            "event",
            "kind",
            "title",
            "body",
            "data",
            "is_read",
            "read_at",
            "created_at",
        )
        read_only_fields = fields

    def get_is_read(self, item: InboxItem) -> bool:
        return item.read_at is not None


INBOX_PAGE = paged(InboxItemOut, "InboxPage", unread=serializers.IntegerField(min_value=0))
COUNT = inline_serializer(name="UnreadCount", fields={"unread": serializers.IntegerField()})
MARKED = inline_serializer(name="MarkedRead", fields={"marked": serializers.IntegerField()})


class InboxView(CustomerAPIView):
    @extend_schema(
        responses=responses(INBOX_PAGE, e404="not_found"),
        parameters=[PageQuery],
        summary="My messages from this merchant: unread first, then newest first",
    )
    def get(self, request: Request) -> Response:
        query_of(request, PageQuery)
        membership = my_membership(request)
        items = (
            InboxItem.objects.filter(membership=membership)
            .annotate(
                is_unread=ExpressionWrapper(Q(read_at__isnull=True), output_field=BooleanField())
            )
            .order_by("-is_unread", "-id")
        )
        return page_of(
            request,
            items,
            lambda page: InboxItemOut(page, many=True).data,
            unread=unread_count(membership.pk),
        )


class UnreadCountView(CustomerAPIView):
    @extend_schema(responses=responses(COUNT, e404="not_found"), summary="How many unread")
    def get(self, request: Request) -> Response:
        return Response({"unread": unread_count(my_membership(request).pk)})


class ReadView(CustomerAPIView):
    @extend_schema(
        request=None,
        responses=responses(InboxItemOut, e404="not_found, inbox_item_not_found"),
        summary="Mark one message read",
    )
    def post(self, request: Request, pk: int) -> Response:
        item = services.inbox_mark_read(membership=my_membership(request), item_id=pk)
        return Response(InboxItemOut(item).data)


class ReadAllView(CustomerAPIView):
    @extend_schema(
        request=None, responses=responses(MARKED, e404="not_found"), summary="Mark all read"
    )
    def post(self, request: Request) -> Response:
        return Response({"marked": services.inbox_mark_all_read(membership=my_membership(request))})
