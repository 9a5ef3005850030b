from rest_framework import serializers

from loyalty.api.base import StrictSerializer
from loyalty.api.pagination import PageQuery
from tenants.models import Merchant
from tenants.roles import ROLES
from tenants.selectors import merchant_url


class MerchantProfileSerializer(serializers.ModelSerializer):
    logo = serializers.ImageField(read_only=True, use_url=True)

    class Meta:
        model = Merchant
        fields: tuple[str, ...] = (
            "slug",
            "name",
            "name_ar",
            "category",
            "city",
            "logo",
            "currency",
            "timezone",
        )
        read_only_fields: tuple[str, ...] = fields


class MerchantSearchOut(MerchantProfileSerializer):
    api_base = serializers.SerializerMethodField(
        help_text="Where this merchant's API answers (join, card, rewards)"
    )

    class Meta(MerchantProfileSerializer.Meta):
        fields = (*MerchantProfileSerializer.Meta.fields, "api_base")
        read_only_fields = fields

    def get_api_base(self, merchant: Merchant) -> str:
        return merchant_url(self.context["request"], merchant) + "/api/v1/"


class MerchantSearchQuery(PageQuery):
    q = serializers.CharField(
        max_length=80, required=False, allow_blank=True, help_text="Name (English or Arabic)"
    )
    category = serializers.ChoiceField(choices=Merchant.Category.choices, required=False)
    city = serializers.CharField(max_length=80, required=False, allow_blank=True)


class StaffInvitationIn(StrictSerializer):
    email = serializers.EmailField(max_length=150)
    role = serializers.ChoiceField(choices=[role.value for role in ROLES])
    name = serializers.CharField(max_length=150, required=False, allow_blank=True, default="")


class StaffMemberOut(serializers.Serializer):
    id = serializers.IntegerField()
    email = serializers.EmailField()
    name = serializers.CharField()
    role = serializers.ChoiceField(choices=[role.value for role in ROLES])
    invited = serializers.BooleanField(help_text="True until they choose a password.")
