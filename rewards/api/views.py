"""Rewards and redemptions: the member's catalogue and vouchers; staff's queue."""

from typing import Any

from django.http import Http404, HttpResponse
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response

from loyalty.api.base import (
    IDEMPOTENCY_KEY,
    CustomerAPIView,
    StaffAPIView,
    idempotency_key,
    idempotent,
    represent,
    represent_many,
    staff_of,
)
from loyalty.api.pagination import PageQuery, page_of, query_of
from loyalty.api.schema import paged, responses
from loyalty.errors import DomainError, NotFound
from loyalty.qr import qr_response
from points.api.views import my_membership
from rewards import selectors, services
from rewards.models import Redemption

from .serializers import (
    QueueQuery,
    RedemptionOut,
    RejectIn,
    RewardOut,
    RewardsQuery,
    StaffRedemptionOut,
    VerifyIn,
)

REDEEM_ERRORS = (
    "reward_inactive, reward_not_yet_available, reward_expired, tier_too_low, "
    "redemption_limit_reached, out_of_stock, insufficient_points, member_inactive"
)


class RewardsView(CustomerAPIView):
    @extend_schema(
        parameters=[RewardsQuery],
        responses=responses(
            paged(RewardOut, "RewardPage"), e404="not_found", e422="unknown_category"
        ),
        summary="This merchant's rewards (for members), marked affordable and eligible for me",
    )
    def get(self, request: Request) -> Response:
        query = query_of(request, RewardsQuery)
        membership = my_membership(request)
        if "category" in query and not selectors.category_exists(query["category"]):
            raise DomainError(
                "unknown_category",
                "No reward category with this id.",
                fields={"category": ["No such category."]},
            )
        rewards = selectors.rewards_available(at=timezone.now(), category_id=query.get("category"))
        items = [RewardOut.of(r, membership, request) for r in rewards]
        if query.get("affordable"):
            items = [i for i in items if i["affordable"] and i["eligible"] and i["in_stock"]]
        if query.get("eligible"):
            items = [i for i in items if i["eligible"]]
        return page_of(request, items, lambda page: represent_many(RewardOut, page))


class RewardView(CustomerAPIView):
    @extend_schema(responses=responses(RewardOut, e404="not_found"), summary="A reward")
    def get(self, request: Request, pk: int) -> Response:
        found = selectors.rewards_available(at=timezone.now(), pk=pk)
        if not found:
            raise Http404
        reward, membership = found[0], my_membership(request)
        return Response(represent(RewardOut, RewardOut.of(reward, membership, request)))


class RedeemView(CustomerAPIView):
    @extend_schema(
        request=None,
        parameters=[IDEMPOTENCY_KEY],
        responses=responses(
            RedemptionOut,
            201,
            e422=REDEEM_ERRORS,
            e403="merchant_inactive",
            e404="not_found, reward_not_found",
            e409="idempotency_key_reused",
        ),
        summary="Redeem a reward: a pending voucher and the points taken at once",
    )
    def post(self, request: Request, pk: int) -> Response:
        membership = my_membership(request)
        redemption = services.redemption_create(
            membership_id=membership.pk, reward_id=pk, idempotency_key=idempotency_key(request)
        )
        return idempotent(
            Response(RedemptionOut(redemption).data, status=status.HTTP_201_CREATED), redemption
        )


class MyRedemptionsView(CustomerAPIView):
    @extend_schema(
        parameters=[PageQuery],
        responses=responses(paged(RedemptionOut, "RedemptionPage"), e404="not_found"),
        summary="My redemptions, newest first",
    )
    def get(self, request: Request) -> Response:
        query_of(request, PageQuery)
        redemptions = selectors.redemptions_of_member(my_membership(request)).order_by("-id")
        return page_of(request, redemptions, lambda page: RedemptionOut(page, many=True).data)


def my_redemption(request: Request, pk: int) -> Redemption:
    redemption = selectors.redemptions_of_member(my_membership(request)).filter(pk=pk).first()
    if redemption is None:
        raise Http404
    return redemption


class MyRedemptionView(CustomerAPIView):
    @extend_schema(responses=responses(RedemptionOut, e404="not_found"), summary="A redemption")
    def get(self, request: Request, pk: int) -> Response:
        return Response(RedemptionOut(my_redemption(request, pk)).data)


class MyRedemptionQrView(CustomerAPIView):
    @extend_schema(
        parameters=[OpenApiParameter("image_format", str, "path", enum=["svg", "png"])],
        responses={(200, "image/svg+xml"): bytes, (200, "image/png"): bytes},
        summary="The voucher's QR code",
    )
    def get(self, request: Request, pk: int, image_format: str) -> HttpResponse:
        return qr_response(my_redemption(request, pk).voucher_code, image_format)


class CancelView(CustomerAPIView):
    @extend_schema(
        request=None,
        responses=responses(RedemptionOut, e404="not_found", e409="invalid_redemption_state"),
        summary="Cancel my redemption before it is used: points and stock come back",
    )
    def post(self, request: Request, pk: int) -> Response:
        redemption = services.redemption_cancel(
            redemption_id=my_redemption(request, pk).pk, membership_id=my_membership(request).pk
        )
        return Response(RedemptionOut(redemption).data)


# --- staff -------------------------------------------------------------------------


def _seen_by(request: Request) -> dict[str, Any]:
    """The serializer context of a staff answer: who looks (members' phone numbers)."""
    return {"viewer": staff_of(request)}


class QueueView(StaffAPIView):
    staff_permission = "redemptions.view"

    @extend_schema(
        parameters=[QueueQuery],
        responses=responses(paged(StaffRedemptionOut, "StaffRedemptionPage")),
        summary="Redemptions: the pending queue (oldest first) or by status",
    )
    def get(self, request: Request) -> Response:
        query = query_of(request, QueueQuery)
        queue = selectors.redemptions_queue(status=query.get("status", Redemption.Status.PENDING))
        return page_of(
            request,
            queue,
            lambda page: StaffRedemptionOut(page, many=True, context=_seen_by(request)).data,
        )


class VerifyView(StaffAPIView):
    staff_permission = "redemptions.view"
    throttle_scope = "lookup"

    @extend_schema(
        request=VerifyIn,
        responses=responses(StaffRedemptionOut, e404="voucher_not_found"),
        summary="Look up a voucher by its code (typed or scanned)",
    )
    def post(self, request: Request) -> Response:
        data = VerifyIn(data=request.data)
        data.is_valid(raise_exception=True)
        redemption = selectors.redemption_by_code(data.validated_data["code"])
        if redemption is None:
            raise NotFound("voucher_not_found", "No voucher with this code.")
        return Response(StaffRedemptionOut(redemption, context=_seen_by(request)).data)


class DecisionView(StaffAPIView):
    staff_permission = "redemptions.decide"

    def respond(self, redemption: Redemption) -> Response:
        fresh = selectors.redemptions_queue().get(pk=redemption.pk)
        return Response(StaffRedemptionOut(fresh, context=_seen_by(self.request)).data)


DECISION_RESPONSES = responses(
    StaffRedemptionOut,
    e403="not_allowed, merchant_inactive",
    e404="redemption_not_found",
    e409="invalid_redemption_state",
)


class ApproveView(DecisionView):
    @extend_schema(
        request=None, responses=DECISION_RESPONSES, summary="Approve a pending redemption"
    )
    def post(self, request: Request, pk: int) -> Response:
        return self.respond(services.redemption_approve(redemption_id=pk, actor=staff_of(request)))


class RejectView(DecisionView):
    @extend_schema(
        request=RejectIn,
        responses=DECISION_RESPONSES,
        summary="Reject a redemption: points and stock refunded",
    )
    def post(self, request: Request, pk: int) -> Response:
        data = RejectIn(data=request.data)
        data.is_valid(raise_exception=True)
        return self.respond(
            services.redemption_reject(
                redemption_id=pk, actor=staff_of(request), **data.validated_data
            )
        )


class UseView(DecisionView):
    @extend_schema(
        request=None, responses=DECISION_RESPONSES, summary="Mark an approved voucher used"
    )
    def post(self, request: Request, pk: int) -> Response:
        return self.respond(services.redemption_use(redemption_id=pk, actor=staff_of(request)))
