from rest_framework import serializers

from customers.models import Customer, Device, NotificationPreference
from loyalty.api.base import StrictSerializer


class OtpRequestIn(StrictSerializer):
    phone = serializers.CharField(max_length=32)
    language = serializers.ChoiceField(
        choices=Customer.Language.choices,
        required=False,
        help_text="The SMS's language and a new customer's; else Accept-Language, else ar",
    )
    device_token = serializers.CharField(
        max_length=500,
        required=False,
        help_text="The `device_token` of this device's last sign-in with this phone, if any: "
        "a known device has its own allowance of codes that nobody else can use up.",
    )


class OtpVerifyIn(StrictSerializer):
    phone = serializers.CharField(max_length=32)
    code = serializers.RegexField(r"^\d{6}$", max_length=6)


class RefreshIn(StrictSerializer):
    refresh = serializers.CharField(max_length=2000)


class TokensOut(serializers.Serializer):
    access = serializers.CharField()
    refresh = serializers.CharField()
    access_expires_in = serializers.IntegerField(help_text="Seconds")


class CustomerOut(serializers.ModelSerializer):
    email = serializers.CharField(help_text="Empty when not given")

    class Meta:
        model = Customer
        fields = (
            "id",
            "phone",
            "name",
            "email",
            "birthday",
            "language",
            "marketing_consent",
            "time_zone",
            "created_at",
        )
        read_only_fields = fields


class SignInOut(TokensOut):
    customer = CustomerOut()
    is_new = serializers.BooleanField()
    device_token = serializers.CharField(
        help_text="Keep it on the device and send it with later code requests for this phone."
    )


class ProfileIn(StrictSerializer):
    name = serializers.CharField(max_length=120, required=False, allow_blank=True)
    email = serializers.EmailField(required=False, allow_blank=True)
    birthday = serializers.DateField(required=False)
    language = serializers.ChoiceField(choices=Customer.Language.choices, required=False)
    marketing_consent = serializers.BooleanField(required=False)
    time_zone = serializers.CharField(
        max_length=64, required=False, help_text="IANA name, e.g. Asia/Amman"
    )


class PreferencesSerializer(StrictSerializer, serializers.ModelSerializer):
    """Channels the customer accepts, for transactional messages (points, rewards,
    tiers) and for marketing (offers, broadcasts; also needs marketing consent)."""

    class Meta:
        model = NotificationPreference
        fields = (
            "push_transactional",
            "push_marketing",
            "email_transactional",
            "email_marketing",
            "sms_transactional",
            "sms_marketing",
            "whatsapp_transactional",
            "whatsapp_marketing",
        )


class PhoneChangeRequestIn(StrictSerializer):
    phone = serializers.CharField(max_length=32)


class PhoneChangeConfirmIn(StrictSerializer):
    phone = serializers.CharField(max_length=32)
    code = serializers.RegexField(r"^\d{6}$", max_length=6)


class DeviceIn(StrictSerializer):
    token = serializers.CharField(max_length=512)
    platform = serializers.ChoiceField(choices=Device.Platform.choices)


class DeviceOut(serializers.ModelSerializer):
    class Meta:
        model = Device
        fields = ("id", "platform", "created_at")
        read_only_fields = fields
