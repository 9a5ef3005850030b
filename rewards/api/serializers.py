from typing import Any

from rest_framework import serializers

from loyalty.api.base import QueryBool, QueryInt, StrictSerializer
from loyalty.api.pagination import PageQuery
from points.api.serializers import MemberOut
from points.calculation import money
from points.models import Membership
from rewards.models import Redemption, Reward, RewardCategory
from rewards.selectors import reward_eligible
from tenants.selectors import merchant_current


class CategoryOut(serializers.ModelSerializer):
    class Meta:
        model = RewardCategory
        fields = ("id", "name", "name_ar")
        read_only_fields = fields


class RewardOut(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    name_ar = serializers.CharField()
    description = serializers.CharField()
    description_ar = serializers.CharField()
    category = CategoryOut(allow_null=True)
    kind = serializers.CharField()
    value = serializers.CharField(help_text="Discount amount (3 decimals) or percent")
    points_cost = serializers.IntegerField()
    min_tier = serializers.CharField(allow_null=True)
    in_stock = serializers.BooleanField()
    stock = serializers.IntegerField(allow_null=True)
    per_member_limit = serializers.IntegerField(allow_null=True)
    valid_from = serializers.DateTimeField(allow_null=True)
    valid_to = serializers.DateTimeField(allow_null=True)
    image = serializers.CharField(allow_null=True)
    eligible = serializers.BooleanField(help_text="The member's tier allows it")
    affordable = serializers.BooleanField(help_text="The member has the points now")

    @staticmethod
    def of(reward: Reward, membership: Membership | None, request: Any) -> dict[str, Any]:
        return {
            "id": reward.pk,
            "name": reward.name,
            "name_ar": reward.name_ar,
            "description": reward.description,
            "description_ar": reward.description_ar,
            "category": reward.category,
            "kind": reward.kind,
            "value": money(reward.value, merchant_current().currency)
            if reward.kind == Reward.Kind.FIXED_DISCOUNT
            else f"{reward.value.normalize():f}",
            "points_cost": reward.points_cost,
            "min_tier": reward.min_tier.name if reward.min_tier else None,
            "in_stock": reward.stock is None or reward.stock > 0,
            "stock": reward.stock,
            "per_member_limit": reward.per_member_limit,
            "valid_from": reward.valid_from,
            "valid_to": reward.valid_to,
            "image": request.build_absolute_uri(reward.image.url) if reward.image else None,
            "eligible": reward_eligible(reward, membership),
            "affordable": membership is not None
            and membership.current_points >= reward.points_cost,
        }


class RedemptionOut(serializers.ModelSerializer):
    reward = serializers.SerializerMethodField()

    class Meta:
        model = Redemption
        fields: tuple[str, ...] = (
            "id",
            "reward",
            "points",
            "status",
            "voucher_code",
            "reason",
            "created_at",
            "expires_at",
            "decided_at",
            "used_at",
        )
        read_only_fields: tuple[str, ...] = fields

    def get_reward(self, redemption: Redemption) -> dict[str, Any]:
        return {
            "id": redemption.reward_id,
            "name": redemption.reward.name,
            "name_ar": redemption.reward.name_ar,
        }


class StaffRedemptionOut(RedemptionOut):
    member = serializers.SerializerMethodField()

    class Meta(RedemptionOut.Meta):
        fields = (*RedemptionOut.Meta.fields, "member")
        read_only_fields = fields

    def get_member(self, redemption: Redemption) -> dict[str, Any]:
        viewer = self.context["viewer"]
        return MemberOut(MemberOut.of(redemption.membership, viewer=viewer)).data


class VerifyIn(StrictSerializer):
    code = serializers.CharField(max_length=20)  # typed with spaces or dashes


class RejectIn(StrictSerializer):
    reason = serializers.CharField(max_length=255, required=False, allow_blank=True)
    seen_status = serializers.ChoiceField(
        choices=[Redemption.Status.PENDING, Redemption.Status.APPROVED],
        required=False,
        help_text="The state you decided on; pending unless withdrawing an approval",
    )


class RewardsQuery(PageQuery):
    category = QueryInt(min_value=1, required=False, help_text="A reward category's id")
    affordable = QueryBool(required=False, help_text="Only what I can redeem now")
    eligible = QueryBool(required=False, help_text="Only what my tier allows")


class QueueQuery(PageQuery):
    status = serializers.ChoiceField(
        choices=Redemption.Status.choices, required=False, help_text="pending unless set"
    )
