from rest_framework import serializers

from tenants.models import Merchant


class MerchantProfileSerializer(serializers.ModelSerializer):
    logo = serializers.ImageField(read_only=True, use_url=True)

    class Meta:
        model = Merchant
        fields = ("slug", "name", "name_ar", "category", "city", "logo", "currency", "timezone")
        read_only_fields = fields
