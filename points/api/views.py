"""Membership endpoints. Customer ones answer on a merchant host with the caller's own
membership there (404 when not a member); the root domain lists memberships across
merchants; staff ones need a staff token of this merchant."""

from django.conf import settings
from django.contrib.auth import authenticate
from django.http import Http404, HttpResponse
from django.utils import timezone
from django_tenants.utils import tenant_context
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response

from customers.api.serializers import TokensOut
from customers.api.views import Public, RevokeRefresh, TokenRefreshView
from customers.services import phone_normalize
from loyalty import lockout
from loyalty.api.base import (
    IDEMPOTENCY_KEY,
    CustomerAPIView,
    StaffAPIView,
    customer_of,
    idempotency_key,
    idempotent,
    represent,
    represent_many,
    staff_of,
    validated,
)
from loyalty.api.pagination import PageQuery, page_of, query_of
from loyalty.api.schema import paged, responses
from loyalty.api.tokens import STAFF, tokens_issue
from loyalty.db import connection
from loyalty.errors import DomainError, NotFound
from loyalty.qr import qr_response
from loyalty.ratelimit import RateLimited
from points import selectors, services
from points.card import card_scanned, card_token_make
from points.models import LedgerEntry, Membership
from tenants.roles import can
from tenants.selectors import merchant_current, merchants_active

from .serializers import (
    SCAN_IN,
    AdjustIn,
    CardOut,
    EarnIn,
    EarnOut,
    JoinAnyIn,
    JoinIn,
    LedgerEntryOut,
    MemberFindQuery,
    MemberOut,
    MembershipOut,
    ReferralOut,
    StaffLoginIn,
    VoidIn,
    scan_in,
)

LEDGER_PAGE = paged(LedgerEntryOut, "LedgerPage")


def my_membership(request: Request) -> Membership:
    membership = selectors.membership_for_customer(customer_of(request).pk)
    if membership is None:
        raise Http404
    return membership


def membership_out(membership: Membership) -> dict:
    return summary_out(selectors.membership_summary(membership, at=timezone.now()))


def summary_out(summary: selectors.MembershipSummary) -> dict:
    return {
        **MembershipOut.of(summary, merchant_current().slug),
        "unread_messages": summary.unread_messages,
    }


def my_summary(customer_id: int) -> selectors.MembershipSummary | None:
    """The customer's membership here with its summary, in one statement."""
    return selectors.membership_summary_for_customer(customer_id, at=timezone.now())


# --- customer, root domain ---------------------------------------------------------


class MyMembershipsView(CustomerAPIView):
    @extend_schema(
        parameters=[PageQuery],
        responses=responses(paged(MembershipOut, "MembershipPage")),
        summary="My memberships in every merchant, with balance, tier and progress",
    )
    def get(self, request: Request) -> Response:
        query_of(request, PageQuery)
        customer = customer_of(request)
        result = []
        merchants = merchants_active().filter(customer_links__customer=customer)
        for merchant in merchants.order_by("name"):
            with tenant_context(merchant):
                summary = my_summary(customer.pk)
                if summary is not None:
                    result.append(summary_out(summary))
        return page_of(request, result, lambda page: represent_many(MembershipOut, page))

    @extend_schema(
        request=JoinAnyIn,
        responses=responses(
            MembershipOut,
            201,
            e404="merchant_not_found",
            e403="email_unverified, merchant_inactive, plan_limit_reached",
            e422="invalid_referral_code, customer_inactive, join_failed",
        ),
        summary="Join a merchant by its slug or the join code of its QR poster",
    )
    def post(self, request: Request) -> Response:
        data = JoinAnyIn(data=request.data)
        data.is_valid(raise_exception=True)
        ref = data.validated_data["merchant"].strip()
        merchant = merchants_active().filter(slug=ref.lower()).first() or (
            merchants_active().filter(join_code=ref.upper()).first()
        )
        if merchant is None:
            raise NotFound("merchant_not_found", "No such merchant.")
        with tenant_context(merchant):
            membership = services.membership_join(
                customer=customer_of(request),
                referral_code=data.validated_data.get("referral_code", ""),
            )
            body = represent(MembershipOut, membership_out(membership))
        return Response(body, status=status.HTTP_201_CREATED)


# --- customer, merchant host -------------------------------------------------------


class JoinView(CustomerAPIView):
    @extend_schema(
        request=JoinIn,
        responses=responses(
            MembershipOut,
            201,
            e403="email_unverified, merchant_inactive, plan_limit_reached",
            e422="invalid_join_code, invalid_referral_code, customer_inactive, join_failed",
        ),
        summary="Join this merchant (welcome bonus on the first join)",
        examples=[
            OpenApiExample(
                "From the shop's QR poster", value={"join_code": "K7M2QX9P"}, request_only=True
            )
        ],
    )
    def post(self, request: Request) -> Response:
        data = JoinIn(data=request.data)
        data.is_valid(raise_exception=True)
        code = data.validated_data.get("join_code", "")
        if code and code.strip().upper() != merchant_current().join_code:
            raise DomainError("invalid_join_code", "This join code is not this shop's.")
        membership = services.membership_join(
            customer=customer_of(request),
            referral_code=data.validated_data.get("referral_code", ""),
        )
        return Response(represent(MembershipOut, membership_out(membership)), status=201)


class MembershipView(CustomerAPIView):
    @extend_schema(responses=responses(MembershipOut, e404="not_found"), summary="My membership")
    def get(self, request: Request) -> Response:
        summary = my_summary(customer_of(request).pk)
        if summary is None:
            raise Http404
        return Response(represent(MembershipOut, summary_out(summary)))


class CardView(CustomerAPIView):
    @extend_schema(
        responses=responses(CardOut, e404="not_found"),
        summary="My card: a QR token valid about a minute (fetch a new one each minute)",
    )
    def get(self, request: Request) -> Response:
        membership = my_membership(request)
        return Response(
            {
                "token": card_token_make(membership),
                "member_number": membership.member_number,
                "expires_in": settings.CARD_TOKEN_SECONDS,
            }
        )


class CardImageView(CustomerAPIView):
    @extend_schema(
        parameters=[OpenApiParameter("image_format", str, "path", enum=["svg", "png"])],
        responses={(200, "image/svg+xml"): bytes, (200, "image/png"): bytes},
        summary="My card QR as an image",
    )
    def get(self, request: Request, image_format: str) -> HttpResponse:
        return qr_response(card_token_make(my_membership(request)), image_format)


class HistoryView(CustomerAPIView):
    @extend_schema(
        responses=responses(LEDGER_PAGE, e404="not_found"),
        parameters=[PageQuery],
        summary="My points history with explanations, newest first",
    )
    def get(self, request: Request) -> Response:
        query_of(request, PageQuery)
        entries = selectors.LedgerPages(my_membership(request))
        return page_of(request, entries, lambda page: represent_many(LedgerEntryOut, page))


class ReferralView(CustomerAPIView):
    @extend_schema(responses=responses(ReferralOut, e404="not_found"), summary="My referral code")
    def get(self, request: Request) -> Response:
        membership = my_membership(request)
        settings_ = selectors.points_settings()
        return Response(
            {
                "referral_code": membership.referral_code,
                "referrals": membership.referrals.count(),
                "bonus_for_you": settings_.referral_bonus_referrer,
                "bonus_for_friend": settings_.referral_bonus_referred,
            }
        )


# --- staff, merchant host ----------------------------------------------------------


class StaffLoginView(Public):
    @extend_schema(
        request=StaffLoginIn,
        responses=responses(TokensOut, e401="invalid_credentials"),
        summary="Staff sign-in on this merchant's host",
        auth=[],
    )
    def post(self, request: Request) -> Response:
        data = StaffLoginIn(data=request.data)
        data.is_valid(raise_exception=True)
        email = data.validated_data["email"].lower()
        user = authenticate(request, username=email, password=data.validated_data["password"])
        refused = lockout.refusal(request)
        if refused is not None:
            raise RateLimited(retry_after=refused[0], message=refused[1])
        if user is None or not user.is_active or not can(user, "members.view"):
            raise DomainError("invalid_credentials", "Wrong email or password.")
        lockout.signed_in(request, user)
        return Response(tokens_issue(kind=STAFF, subject_id=user.pk, schema=connection.schema_name))


class StaffRefreshView(TokenRefreshView):
    token_kind = STAFF


class StaffLogoutView(RevokeRefresh, StaffAPIView):
    token_kind = STAFF


class ScanView(StaffAPIView):
    staff_permission = "members.lookup"
    throttle_scope = "lookup"

    @extend_schema(
        request=SCAN_IN,
        responses=responses(MemberOut, e404="member_not_found", e422="qr_expired, qr_invalid"),
        summary="Scan a card QR (or type a member number): the member's summary",
    )
    def post(self, request: Request) -> Response:
        data = scan_in(request.data)
        membership: Membership | None
        if data.get("token"):
            membership = card_scanned(data["token"])
        else:
            membership = selectors.membership_by_number(data["member_number"])
        if membership is None:
            raise NotFound("member_not_found", "No member with this number.")
        return Response(represent(MemberOut, MemberOut.of(membership, viewer=staff_of(request))))


class MemberFindView(StaffAPIView):
    staff_permission = "members.lookup"
    throttle_scope = "lookup"

    @extend_schema(
        parameters=[MemberFindQuery],
        responses=responses(
            MemberOut,
            e404="member_not_found",
            e422="invalid_phone, phone_or_member_number_required",
        ),
        summary="Find a member by phone or member number (one of the two)",
    )
    def get(self, request: Request) -> Response:
        query = query_of(request, MemberFindQuery)
        found: Membership | None
        if bool(query.get("phone")) == bool(query.get("member_number")):
            raise DomainError(
                "phone_or_member_number_required", "Give a phone or a member number (one)."
            )
        if query.get("phone"):
            found = selectors.membership_by_phone(phone_normalize(query["phone"]))
        else:
            found = selectors.membership_by_number(query["member_number"])
        if found is None:
            raise NotFound("member_not_found", "No such member.")
        return Response(represent(MemberOut, MemberOut.of(found, viewer=staff_of(request))))


def _member_of(entry: LedgerEntry) -> Membership:
    """The entry's membership as the service left it (locked, updated, committed), or
    read again when the entry came without it (a replayed request)."""
    if LedgerEntry.membership.is_cached(entry):
        return entry.membership
    return Membership.objects.select_related("tier", "customer").get(pk=entry.membership_id)


class EarnView(StaffAPIView):
    staff_permission = "points.earn"

    @extend_schema(
        request=EarnIn,
        parameters=[IDEMPOTENCY_KEY],
        responses=responses(
            EarnOut,
            201,
            e400="invalid_amount",
            e422="too_many_decimals, amount_too_large, below_minimum_purchase, member_inactive, "
            "unknown_category",
            e403="email_unverified, merchant_inactive",
            e404="member_not_found",
            e409="idempotency_key_reused, setting_invalid",
        ),
        summary="Award points for a purchase; returns the points and the explanation",
        examples=[
            OpenApiExample(
                "50 JOD purchase", value={"member_id": 42, "amount": "50.000"}, request_only=True
            ),
            OpenApiExample(
                "750 points at Silver",
                response_only=True,
                status_codes=["201"],
                value={
                    "entry": {
                        "id": 981,
                        "kind": "earn",
                        "bonus_kind": "",
                        "points": 750,
                        "balance_after": 750,
                        "amount": "50.000",
                        "currency": "JOD",
                        "description": "50.000 JOD × 10 points/JOD × 1.5 (Silver) = 750 points",
                        "description_ar": "50.000 دينار × 10 نقاط لكل دينار × 1.5 (فضي) = 750 نقطة",
                        "explanation": {"points": 750},
                        "created_at": "2026-11-25T10:00:00+03:00",
                    },
                    "member": {
                        "id": 42,
                        "member_number": "48213977",
                        "name": "Rania",
                        "phone": "+962791234567",
                        "phone_last_digits": "4567",
                        "status": "active",
                        "current_points": 750,
                        "total_visits": 1,
                        "tier": None,
                        "last_visit_at": "2026-11-25T10:00:00+03:00",
                        "joined_at": "2026-11-01T09:00:00+03:00",
                    },
                },
            ),
        ],
    )
    def post(self, request: Request) -> Response:
        data = validated(EarnIn, request.data)
        entry = services.points_earn(
            membership_id=data["member_id"],
            amount=data["amount"],
            category_id=data.get("category_id"),
            actor=staff_of(request),
            idempotency_key=idempotency_key(request),
        )
        member = _member_of(entry)
        return idempotent(
            Response(
                {
                    "entry": represent(LedgerEntryOut, entry),
                    "member": represent(MemberOut, MemberOut.of(member, viewer=staff_of(request))),
                },
                status=status.HTTP_201_CREATED,
            ),
            entry,
        )


class VoidView(StaffAPIView):
    staff_permission = "points.void_recent"

    @extend_schema(
        request=VoidIn,
        parameters=[IDEMPOTENCY_KEY],
        responses=responses(
            LedgerEntryOut,
            201,
            e422="not_an_earn, already_voided, insufficient_points",
            e403="void_window_passed, not_allowed, merchant_inactive",
            e404="entry_not_found",
            e409="idempotency_key_reused",
        ),
        summary="Void a mistaken earn (cashiers within minutes, managers any time)",
    )
    def post(self, request: Request, pk: int) -> Response:
        data = VoidIn(data=request.data)
        data.is_valid(raise_exception=True)
        entry = services.points_void(
            entry_id=pk,
            actor=staff_of(request),
            reason=data.validated_data.get("reason", ""),
            idempotency_key=idempotency_key(request),
        )
        return idempotent(
            Response(represent(LedgerEntryOut, entry), status=status.HTTP_201_CREATED), entry
        )


class AdjustView(StaffAPIView):
    staff_permission = "points.adjust"

    @extend_schema(
        request=AdjustIn,
        parameters=[IDEMPOTENCY_KEY],
        responses=responses(
            LedgerEntryOut,
            201,
            e403="not_allowed, email_unverified, merchant_inactive",
            e422="reason_required, invalid_points, insufficient_points",
            e404="member_not_found",
            e409="idempotency_key_reused",
        ),
        summary="Adjust a member's points, with a reason (managers)",
    )
    def post(self, request: Request, pk: int) -> Response:
        data = AdjustIn(data=request.data)
        data.is_valid(raise_exception=True)
        entry = services.points_adjust(
            membership_id=pk,
            actor=staff_of(request),
            idempotency_key=idempotency_key(request),
            **data.validated_data,
        )
        return idempotent(
            Response(represent(LedgerEntryOut, entry), status=status.HTTP_201_CREATED), entry
        )


class MemberHistoryView(StaffAPIView):
    staff_permission = "members.view"

    @extend_schema(
        responses=responses(LEDGER_PAGE, e404="not_found"),
        parameters=[PageQuery],
        summary="A member's points history, newest first",
    )
    def get(self, request: Request, pk: int) -> Response:
        query_of(request, PageQuery)
        membership = selectors.membership_by_id(pk)
        if membership is None:
            raise Http404
        entries = selectors.LedgerPages(membership)
        return page_of(request, entries, lambda page: represent_many(LedgerEntryOut, page))
