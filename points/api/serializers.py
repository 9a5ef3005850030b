from decimal import ROUND_CEILING, Decimal
from typing import Any

from drf_spectacular.utils import PolymorphicProxySerializer, extend_schema_field
from rest_framework import serializers

from loyalty.api.base import ModelOut, MoneyIn, QuerySerializer, StrictSerializer, validated
from points.calculation import money
from points.models import LedgerEntry, Tier, TierBasis
from points.selectors import MembershipSummary, phone_last_digits, phone_whole_for
from tenants.selectors import merchant_current


class TierOut(ModelOut):
    multiplier = serializers.DecimalField(max_digits=5, decimal_places=2, coerce_to_string=True)
    threshold = serializers.DecimalField(max_digits=14, decimal_places=3, coerce_to_string=True)

    class Meta:
        model = Tier
        fields = (
            "id",
            "name",
            "name_ar",
            "rank",
            "threshold",
            "multiplier",
            "benefits",
            "benefits_ar",
            "colour",
        )
        read_only_fields = fields


class MembershipOut(serializers.Serializer):
    """A membership as its member sees it. Every field is computed: read-only."""

    id = serializers.IntegerField()
    merchant = serializers.CharField(help_text="Merchant slug")
    member_number = serializers.CharField()
    status = serializers.CharField()
    joined_at = serializers.DateTimeField()
    current_points = serializers.IntegerField()
    total_earned = serializers.IntegerField()
    total_redeemed = serializers.IntegerField()
    total_visits = serializers.IntegerField()
    total_spend = serializers.CharField(help_text="Money, 3 decimals")
    tier = TierOut(allow_null=True)
    next_tier = TierOut(allow_null=True)
    tier_basis = serializers.ChoiceField(
        choices=TierBasis.choices, help_text="What tiers count: the *_tier fields of it are set"
    )
    points_to_next_tier = serializers.IntegerField(allow_null=True, min_value=0)
    visits_to_next_tier = serializers.IntegerField(allow_null=True, min_value=0)
    spend_to_next_tier = serializers.CharField(allow_null=True, help_text="Money")
    points_to_keep_tier = serializers.IntegerField(allow_null=True, min_value=0)
    visits_to_keep_tier = serializers.IntegerField(allow_null=True, min_value=0)
    spend_to_keep_tier = serializers.CharField(allow_null=True, help_text="Money")
    tier_review_on = serializers.DateField(allow_null=True)
    expiring_points = serializers.IntegerField(help_text="Points expiring in the next 30 days")
    expiring_first_on = serializers.DateField(allow_null=True)
    unread_messages = serializers.IntegerField(help_text="Unread messages in the inbox here")

    @staticmethod
    def of(summary: MembershipSummary, merchant_slug: str) -> dict[str, Any]:
        m, p = summary.membership, summary.progress
        currency = merchant_current().currency
        return {
            "id": m.pk,
            "merchant": merchant_slug,
            "member_number": m.member_number,
            "status": m.status,
            "joined_at": m.joined_at,
            "current_points": m.current_points,
            "total_earned": m.total_earned,
            "total_redeemed": m.total_redeemed,
            "total_visits": m.total_visits,
            "total_spend": money(m.total_spend, currency),
            "tier": p.tier,
            "next_tier": p.next_tier,
            "tier_basis": p.basis,
            **_by_basis("to_next_tier", p.needed_for_next, p.basis, currency),
            **_by_basis("to_keep_tier", p.needed_to_keep, p.basis, currency),
            "tier_review_on": p.review_on,
            "expiring_points": summary.expiring_points,
            "expiring_first_on": summary.expiring_first_on,
        }


def _by_basis(suffix: str, value: Decimal | None, basis: str, currency: str) -> dict[str, Any]:
    """`points_<suffix>` and `visits_<suffix>` as integers, `spend_<suffix>` as money:
    the one of the tier basis is set, the others are null."""
    whole = None if value is None else int(value.to_integral_value(ROUND_CEILING))
    return {
        f"points_{suffix}": whole if basis == "points" else None,
        f"visits_{suffix}": whole if basis == "visits" else None,
        f"spend_{suffix}": money(value, currency)
        if basis == "spend" and value is not None
        else None,
    }


class LedgerEntryOut(ModelOut):
    bonus_kind = serializers.ChoiceField(
        choices=LedgerEntry.BonusKind.choices, allow_blank=True, help_text="Empty unless a bonus"
    )
    amount = serializers.SerializerMethodField()

    class Meta:
        model = LedgerEntry
        fields = (
            "id",
            "kind",
            "bonus_kind",
            "points",
            "balance_after",
            "amount",
            "currency",
            "description",
            "description_ar",
            "explanation",
            "created_at",
        )
        read_only_fields = fields

    @extend_schema_field({"type": "string", "nullable": True, "example": "50.000"})
    def get_amount(self, entry: LedgerEntry) -> str | None:
        return None if entry.amount is None else money(entry.amount, entry.currency)


class JoinIn(StrictSerializer):
    join_code = serializers.CharField(max_length=12, required=False, allow_blank=True)
    referral_code = serializers.CharField(max_length=12, required=False, allow_blank=True)


class JoinAnyIn(StrictSerializer):
    merchant = serializers.CharField(max_length=40, help_text="Merchant slug or join code")
    referral_code = serializers.CharField(max_length=12, required=False, allow_blank=True)


class CardOut(serializers.Serializer):
    token = serializers.CharField(help_text="Put this in the QR code; valid about a minute")
    member_number = serializers.CharField()
    expires_in = serializers.IntegerField(help_text="Seconds")


class ReferralOut(serializers.Serializer):
    referral_code = serializers.CharField()
    referrals = serializers.IntegerField()
    bonus_for_you = serializers.IntegerField()
    bonus_for_friend = serializers.IntegerField()


class StaffLoginIn(StrictSerializer):
    email = serializers.EmailField()
    password = serializers.CharField(max_length=128, trim_whitespace=False)


class ScanTokenIn(StrictSerializer):
    token = serializers.CharField(
        max_length=500,
        help_text="The card QR's content: the card token, or a wallet pass's member number",
    )


class ScanNumberIn(StrictSerializer):
    member_number = serializers.RegexField(r"^[0-9]{6,12}$", help_text="Typed by hand")


SCAN_IN = PolymorphicProxySerializer(
    component_name="ScanIn",
    serializers=[ScanTokenIn, ScanNumberIn],
    resource_type_field_name=None,
)


def scan_in(data: Any) -> dict[str, Any]:
    """The card token or the member number (one of the two), checked."""
    shape = ScanTokenIn if isinstance(data, dict) and "token" in data else ScanNumberIn
    return validated(shape, data)


class MemberOut(serializers.Serializer):
    """A member as staff at the counter see them. The phone number follows the
    dashboard's rule (`points.selectors.phone_whole_for`): managers and owners see it
    whole, cashiers only its last four digits."""

    id = serializers.IntegerField()
    member_number = serializers.CharField()
    name = serializers.CharField()
    phone = serializers.CharField(
        allow_null=True,
        help_text="The whole number (E.164) for managers and owners; null for cashiers.",
    )
    phone_last_digits = serializers.CharField(help_text="The last four digits, for everyone.")
    status = serializers.CharField()
    current_points = serializers.IntegerField()
    total_visits = serializers.IntegerField()
    tier = TierOut(allow_null=True)
    last_visit_at = serializers.DateTimeField(allow_null=True)
    joined_at = serializers.DateTimeField()

    @staticmethod
    def of(m: Any, *, viewer: Any) -> dict[str, Any]:
        """The member as the staff member `viewer` may see them."""
        return {
            "id": m.pk,
            "member_number": m.member_number,
            "name": m.customer.name,
            "phone": m.customer.phone if phone_whole_for(viewer) else None,
            "phone_last_digits": phone_last_digits(m.customer.phone),
            "status": m.status,
            "current_points": m.current_points,
            "total_visits": m.total_visits,
            "tier": m.tier,
            "last_visit_at": m.last_visit_at,
            "joined_at": m.joined_at,
        }


class EarnIn(StrictSerializer):
    member_id = serializers.IntegerField(min_value=1)
    amount = MoneyIn(
        help_text='Purchase amount: a string with at most the currency\'s decimals, e.g. "50.000"'
    )
    category_id = serializers.IntegerField(min_value=1, required=False)


class EarnOut(serializers.Serializer):
    entry = LedgerEntryOut()
    member = MemberOut()


class VoidIn(StrictSerializer):
    reason = serializers.CharField(max_length=255, required=False, allow_blank=True)


class AdjustIn(StrictSerializer):
    points = serializers.IntegerField(min_value=-1_000_000, max_value=1_000_000)
    reason = serializers.CharField(max_length=255)


class MemberFindQuery(QuerySerializer):
    phone = serializers.CharField(max_length=32, required=False)
    member_number = serializers.RegexField(r"^\d{6,12}$", required=False)
