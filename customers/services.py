"""Writes about customers (the public identity): sign-in codes, profile, phone change,
devices, export and deletion."""

import datetime
import hashlib
import hmac
import secrets
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers
from django.conf import settings
from django.core import signing
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tenants.utils import tenant_context

from loyalty.clientip import address_key
from loyalty.errors import DomainError
from loyalty.formatting import isolate
from loyalty.ratelimit import cooldown, hit
from messaging.sms import sms_send

from .models import Customer, Device, MerchantLink, NotificationPreference, OtpChallenge
from .signals import customer_closed


def phone_normalize(raw: str) -> str:
    """A phone number in E.164; numbers without a country code are Jordanian."""
    try:
        number = phonenumbers.parse(str(raw), settings.PHONE_DEFAULT_REGION)
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        raise DomainError("invalid_phone", _("This is not a valid mobile phone number."))
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def customer_get_or_create(
    *,
    phone: str,
    name: str = "",
    language: str = Customer.Language.ARABIC,
    birthday: datetime.date | None = None,
) -> Customer:
    """The customer with this E.164 phone number, created if new."""
    with transaction.atomic():
        customer, _created = Customer.objects.get_or_create(
            phone=phone, defaults={"name": name, "language": language, "birthday": birthday}
        )
    return customer


def _code_hash(phone: str, purpose: str, code: str) -> str:
    message = f"{phone}:{purpose}:{code}".encode()
    return hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).hexdigest()


DEVICE_SALT = "loyalty.customers.sign-in-device"


def _phone_key(phone: str) -> str:
    return hmac.new(settings.SECRET_KEY.encode(), phone.encode(), hashlib.sha256).hexdigest()[:20]


def device_token_issue(*, phone: str) -> str:
    """A signed token for the device that just signed in with `phone` (E.164). Sent back
    with later code requests for that phone, it marks the device as known: it gets an
    allowance of its own that strangers cannot use up (see `otp_request`)."""
    return signing.dumps({"p": _phone_key(phone), "d": secrets.token_urlsafe(12)}, salt=DEVICE_SALT)


def device_known(*, token: str | None, phone: str) -> str | None:
    """The device's id when `token` was issued to a device signed in with `phone`."""
    if not token:
        return None
    try:
        data = signing.loads(
            token, salt=DEVICE_SALT, max_age=datetime.timedelta(days=settings.OTP_DEVICE_DAYS)
        )
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or data.get("p") != _phone_key(phone):
        return None
    device = data.get("d")
    return device if isinstance(device, str) else None


def otp_phone_check(phone: str) -> None:
    """Codes go only to mobile numbers of the countries the platform serves: a text to
    a landline or abroad costs money and signs nobody in (SMS pumping)."""
    number = phonenumbers.parse(phone)
    region = phonenumbers.region_code_for_number(number)
    if region not in settings.OTP_COUNTRIES:
        raise DomainError(
            "phone_country_not_served",
            _("Sign-in codes are sent only to numbers in: %(countries)s.")
            % {"countries": ", ".join(settings.OTP_COUNTRIES)},
            fields={"phone": [_("This country is not served.")]},
        )
    if phonenumbers.number_type(number) not in (
        phonenumbers.PhoneNumberType.MOBILE,
        phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
    ):
        raise DomainError(
            "phone_not_mobile",
            _("Sign-in codes are sent only to mobile numbers."),
            fields={"phone": [_("This is not a mobile number.")]},
        )


def _otp_limits(phone: str, ip: str | None, device: str | None) -> None:
    """The limits on sending codes (docs/api.md, "Sign-in codes"). A device that signed
    in with this phone before has its own cooldown and hourly allowance and skips the
    shared buckets, so no stranger can lock its owner out. Everyone else shares the
    phone's cooldown and hourly limit, the client address's and the number prefix's
    (SMS pumping sprays one prefix), and the country's hourly budget."""
    hour = 3600
    if device is not None:
        cooldown(f"otp:{phone}:device:{device}", seconds=settings.OTP_RESEND_SECONDS)
        hit(f"otp:device:{device}", limit=settings.OTP_SENDS_PER_PHONE_PER_HOUR, window=hour)
        return
    cooldown(f"otp:{phone}", seconds=settings.OTP_RESEND_SECONDS)
    hit(f"otp:phone:{phone}", limit=settings.OTP_SENDS_PER_PHONE_PER_HOUR, window=hour)
    if ip:
        hit(f"otp:ip:{address_key(ip)}", limit=settings.OTP_SENDS_PER_IP_PER_HOUR, window=hour)
    hit(f"otp:prefix:{phone[:7]}", limit=settings.OTP_SENDS_PER_PREFIX_PER_HOUR, window=hour)
    region = phonenumbers.region_code_for_number(phonenumbers.parse(phone))
    hit(
        f"otp:country:{region}",
        limit=settings.OTP_SENDS_PER_COUNTRY_PER_HOUR,
        window=hour,
        message="Too many sign-in codes were sent to this country in the last hour; "
        "try again later.",
        reason="country",
    )


def otp_request(
    *,
    phone: str,
    purpose: str = OtpChallenge.Purpose.LOGIN,
    customer: Customer | None = None,
    ip: str | None = None,
    language: str = Customer.Language.ARABIC,
    device_token: str | None = None,
    merchant_name: str = "",
) -> OtpChallenge:
    """Send a 6-digit code by SMS. A new code replaces any earlier one for the phone.
    A code to join (`merchant_name`'s programme, at its counter) says so."""
    phone = phone_normalize(phone)
    otp_phone_check(phone)
    _otp_limits(phone, ip, device_known(token=device_token, phone=phone))
    code = f"{secrets.randbelow(1_000_000):06d}"
    now = timezone.now()
    minutes = settings.OTP_TTL_SECONDS // 60
    arabic = language == Customer.Language.ARABIC
    if purpose == OtpChallenge.Purpose.JOIN:
        # The code comes first, as in every code we send; in Arabic the shop's name is
        # isolated (an English text stays plain GSM characters: one SMS, not two).
        shop = isolate(merchant_name[:40]) if arabic else merchant_name[:40]
        body = (
            f"{code} رمز انضمامك إلى برنامج نقاط {shop}. أخبر به الكاشير لتنضم. "
            f"صالح لمدة {minutes} دقائق."
            if arabic
            else f"{code} is your code to join {shop}'s rewards: tell it to the cashier "
            f"to join. It expires in {minutes} minutes."
        )
    else:
        body = (
            f"{code} رمز الدخول إلى لويالتي. صالح لمدة {minutes} دقائق."
            if arabic
            else f"{code} is your Loyalty code. It expires in {minutes} minutes."
        )
    with transaction.atomic():
        OtpChallenge.objects.filter(phone=phone, purpose=purpose, used_at__isnull=True).update(
            expires_at=now
        )
        challenge = OtpChallenge.objects.create(
            phone=phone,
            purpose=purpose,
            customer=customer,
            code_hash=_code_hash(phone, purpose, code),
            created_at=now,
            expires_at=now + datetime.timedelta(seconds=settings.OTP_TTL_SECONDS),
            ip=ip,
            language=language,
        )
        sms_send(to=phone, body=body, purpose=f"otp_{purpose}", secrets=[code])
    return challenge


def otp_verify(
    *,
    phone: str,
    code: str,
    purpose: str = OtpChallenge.Purpose.LOGIN,
    customer: Customer | None = None,
    then: Callable[[str], object] | None = None,
) -> str:
    """Check a code; returns the phone (E.164) it was sent to. Each wrong try counts.

    `then(phone)` runs in the transaction that uses the code: what the code buys
    commits with it, and a second request with the same code waits for that, then
    finds the code used."""
    phone = phone_normalize(phone)
    now = timezone.now()
    refusal: DomainError | None = None
    with transaction.atomic():
        challenge = (
            OtpChallenge.objects.select_for_update()
            .filter(phone=phone, purpose=purpose, customer=customer)
            .order_by("-created_at", "-id")
            .first()
        )
        if challenge is None or challenge.used_at is not None:
            raise DomainError("otp_invalid", _("This code is not valid. Ask for a new one."))
        if challenge.expires_at <= now:
            raise DomainError("otp_expired", _("This code has expired. Ask for a new one."))
        if challenge.attempts >= settings.OTP_MAX_ATTEMPTS:
            raise DomainError(
                "otp_attempts_exceeded", _("Too many wrong codes. Ask for a new one.")
            )
        if hmac.compare_digest(challenge.code_hash, _code_hash(phone, purpose, str(code))):
            challenge.used_at = now
            challenge.save(update_fields=["used_at"])
            if then is not None:
                then(phone)
            return phone
        challenge.attempts += 1
        challenge.save(update_fields=["attempts"])
        left = settings.OTP_MAX_ATTEMPTS - challenge.attempts
        refusal = (
            DomainError("otp_attempts_exceeded", _("Too many wrong codes. Ask for a new one."))
            if left == 0
            else DomainError(
                "otp_invalid", _("This code is not valid."), fields={"attempts_left": left}
            )
        )
    raise refusal  # after the commit: the wrong try stays counted


def customer_sign_in(*, phone: str, code: str) -> tuple[Customer, bool]:
    """Sign in (or up) with a code sent to the phone. Returns the customer and whether new."""
    phone = otp_verify(phone=phone, code=code)
    asked_in = (
        OtpChallenge.objects.filter(phone=phone, purpose=OtpChallenge.Purpose.LOGIN)
        .order_by("-created_at")
        .values_list("language", flat=True)
        .first()
    )
    with transaction.atomic():
        customer, created = Customer.objects.get_or_create(
            phone=phone, defaults={"language": asked_in or Customer.Language.ARABIC}
        )
    if not customer.is_active:
        raise DomainError("customer_inactive", "This account is closed.")
    return customer, created


def time_zone_known(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def customer_update(*, customer: Customer, **fields: Any) -> Customer:
    allowed = {"name", "email", "birthday", "language", "marketing_consent", "time_zone"}
    unknown = set(fields) - allowed
    if unknown:
        raise DomainError("invalid", f"Cannot change: {', '.join(sorted(unknown))}.")
    if "time_zone" in fields and not time_zone_known(fields["time_zone"]):
        raise DomainError(
            "unknown_time_zone",
            "Not a known time zone (IANA name, e.g. Asia/Amman).",
            fields={"time_zone": ["Not a known time zone."]},
        )
    if "birthday" in fields and customer.birthday and fields["birthday"] != customer.birthday:
        # A birthday pays a bonus once a year: it is set once, then only support changes it.
        raise DomainError("birthday_locked", "Your birthday is already set.")
    for name, value in fields.items():
        setattr(customer, name, value)
    customer.save(update_fields=list(fields))
    return customer


def phone_change_request(*, customer: Customer, phone: str, ip: str | None = None) -> None:
    """Send a code to the new number. Whether the number already has an account is not
    told here (anyone signed in could test numbers one by one): the code is sent either
    way, within the code limits and the customer's own hourly limit, and `phone_taken`
    answers only the confirmation, to whoever holds the number's code."""
    phone = phone_normalize(phone)
    otp_phone_check(phone)
    hit(
        f"phone-change:customer:{customer.pk}",
        limit=settings.PHONE_CHANGES_PER_CUSTOMER_PER_HOUR,
        window=3600,
    )
    otp_request(
        phone=phone,
        purpose=OtpChallenge.Purpose.CHANGE_PHONE,
        customer=customer,
        ip=ip,
        language=customer.language,
    )


def phone_change_confirm(*, customer: Customer, phone: str, code: str) -> Customer:
    phone = otp_verify(
        phone=phone, code=code, purpose=OtpChallenge.Purpose.CHANGE_PHONE, customer=customer
    )
    with transaction.atomic():
        if Customer.objects.filter(phone=phone).exclude(pk=customer.pk).exists():
            raise DomainError("phone_taken", "This number belongs to another account.")
        customer.phone = phone
        customer.save(update_fields=["phone"])
    return customer


def device_register(*, customer: Customer, token: str, platform: str) -> Device:
    """Register a push token; a token moves to whoever signed in on the device last."""
    with transaction.atomic():
        device, _created = Device.objects.update_or_create(
            token=token, defaults={"customer": customer, "platform": platform}
        )
    return device


def merchant_link(*, customer: Customer, merchant: Any) -> None:
    MerchantLink.objects.get_or_create(customer=customer, merchant=merchant)


PREFERENCE_FIELDS = tuple(
    f"{channel}_{kind}"
    for channel in ("push", "email", "sms", "whatsapp")
    for kind in ("transactional", "marketing")
)


def preferences_of(customer: Customer) -> NotificationPreference:
    """The customer's notification preferences (the defaults until they change one)."""
    found = NotificationPreference.objects.filter(customer=customer).first()
    return found or NotificationPreference(customer=customer)


def preferences_update(*, customer: Customer, **fields: bool) -> NotificationPreference:
    unknown = set(fields) - set(PREFERENCE_FIELDS)
    if unknown:
        raise DomainError("invalid", f"Unknown preference: {', '.join(sorted(unknown))}.")
    with transaction.atomic():
        NotificationPreference.objects.get_or_create(customer=customer)
        preference = NotificationPreference.objects.select_for_update().get(customer=customer)
        for name, value in fields.items():
            setattr(preference, name, bool(value))
        # Only the fields asked for: two quick toggles never undo each other.
        preference.save(update_fields=[*fields, "updated_at"])
    return preference


def customer_export(*, customer: Customer) -> dict[str, Any]:
    """Everything the platform holds about the customer, in every merchant joined."""
    from points.selectors import membership_export

    preferences = preferences_of(customer)
    data: dict[str, Any] = {
        "profile": {
            "phone": customer.phone,
            "name": customer.name,
            "email": customer.email,
            "birthday": customer.birthday.isoformat() if customer.birthday else None,
            "language": customer.language,
            "marketing_consent": customer.marketing_consent,
            "time_zone": customer.time_zone,
            "created_at": customer.created_at.isoformat(),
        },
        "notification_preferences": {
            field: getattr(preferences, field) for field in PREFERENCE_FIELDS
        },
        "devices": [
            {"platform": d.platform, "created_at": d.created_at.isoformat()}
            for d in customer.devices.all()
        ],
        "web_push": [
            {
                "merchant": s.merchant.slug,
                "created_at": s.created_at.isoformat(),
                "last_used_at": s.last_used_at.isoformat(),
            }
            for s in customer.push_subscriptions.select_related("merchant")
        ],
        "web_card_sign_ins": [
            {
                "merchant": s.merchant.slug if s.merchant else None,
                "browser": s.user_agent,
                "created_at": s.created_at.isoformat(),
                "last_seen_at": s.last_seen_at.isoformat(),
                "signed_out": s.revoked_at is not None,
            }
            for s in customer.card_sessions.select_related("merchant")
        ],
        "memberships": [],
    }
    for link in customer.links.select_related("merchant"):
        with tenant_context(link.merchant):
            exported = membership_export(customer_id=customer.pk)
        if exported is not None:
            data["memberships"].append({"merchant": link.merchant.slug, **exported})
    return data


def customer_delete(*, customer: Customer) -> None:
    """Close the account: personal data is erased; merchants keep the ledger amounts."""
    with transaction.atomic():
        customer.phone = f"deleted-{customer.pk}"
        customer.name = ""
        customer.email = ""
        customer.birthday = None
        customer.marketing_consent = False
        customer.is_active = False
        customer.save()
        customer.devices.all().delete()
        customer.push_subscriptions.all().delete()
        OtpChallenge.objects.filter(customer=customer).delete()
    for schema in customer.links.values_list("merchant__schema_name", flat=True):
        customer_closed.send(Customer, schema=schema, customer_id=customer.pk)
