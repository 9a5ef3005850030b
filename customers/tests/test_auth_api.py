"""Customer sign-in: codes, their limits, tokens, profile and account."""

import datetime

import pytest
from django.test import override_settings
from django.utils import timezone
from django_tenants.utils import schema_context

from customers.models import Customer, Device, OtpChallenge
from messaging.models import SentMessage
from tests.api import ROOT, api, customer_sign_in, last_code

pytestmark = pytest.mark.django_db
PHONE = "+962791112233"


def request_code(phone: str = PHONE, **extra):
    return api(ROOT, **extra).post("/api/v1/auth/otp/request", {"phone": phone}, format="json")


def verify(code: str, phone: str = PHONE):
    return api(ROOT).post("/api/v1/auth/otp/verify", {"phone": phone, "code": code}, format="json")


def test_the_code_is_stored_hashed_and_sent_by_sms() -> None:
    assert request_code().status_code == 202

    code = last_code(PHONE)
    challenge = OtpChallenge.objects.get(phone=PHONE)
    assert code not in challenge.code_hash and len(challenge.code_hash) == 64
    message = SentMessage.objects.get(to=PHONE)
    assert (message.channel, message.status, message.purpose) == ("sms", "recorded", "otp_login")


@pytest.mark.parametrize("phone", ["12345", "+1", "not a phone", "+96279"])
def test_invalid_phones_are_refused(phone) -> None:
    before = SentMessage.objects.count()  # other tests' committed mail may be there
    response = request_code(phone)
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid_phone"
    assert SentMessage.objects.count() == before


def test_five_wrong_codes_lock_the_code_even_the_right_one() -> None:
    request_code()
    right = last_code(PHONE)
    wrong = "000000" if right != "000000" else "111111"

    answers = [verify(wrong).json()["error"] for _ in range(5)]

    assert [a["code"] for a in answers] == ["otp_invalid"] * 4 + ["otp_attempts_exceeded"]
    assert [a.get("fields", {}).get("attempts_left") for a in answers[:4]] == [4, 3, 2, 1]
    assert verify(right).json()["error"]["code"] == "otp_attempts_exceeded"
    assert not Customer.objects.filter(phone=PHONE).exists()


def test_an_expired_code_is_refused() -> None:
    request_code()
    OtpChallenge.objects.update(expires_at=timezone.now() - datetime.timedelta(seconds=1))
    assert verify(last_code(PHONE)).json()["error"]["code"] == "otp_expired"


def test_a_code_works_once_and_a_new_code_replaces_the_old() -> None:
    request_code()
    first = last_code(PHONE)
    cache_cleared_for_cooldown()
    request_code()
    second = last_code(PHONE)

    if first != second:
        assert verify(first).json()["error"]["code"] in ("otp_invalid", "otp_expired")
    assert verify(second).status_code == 200
    assert verify(second).json()["error"]["code"] == "otp_invalid"


def cache_cleared_for_cooldown() -> None:
    from django.core.cache import cache

    with schema_context("public"):
        cache.delete(f"cd:otp:{PHONE}")


def test_resend_within_a_minute_is_refused_with_retry_after() -> None:
    assert request_code().status_code == 202
    again = request_code()
    assert again.status_code == 429
    assert again.json()["error"]["code"] == "rate_limited"
    assert 1 <= int(again.headers["Retry-After"]) <= 60
    assert SentMessage.objects.filter(to=PHONE).count() == 1


def test_at_most_five_codes_per_phone_per_hour() -> None:
    statuses = []
    for _ in range(6):
        statuses.append(request_code().status_code)
        cache_cleared_for_cooldown()
    assert statuses == [202] * 5 + [429]
    assert SentMessage.objects.filter(to=PHONE).count() == 5


@override_settings(OTP_SENDS_PER_PREFIX_PER_HOUR=3)
def test_a_number_prefix_is_limited_against_sms_pumping() -> None:
    phones = [f"+96279555{n:04d}" for n in range(4)]
    statuses = [
        request_code(p, REMOTE_ADDR=f"10.0.0.{i}").status_code for i, p in enumerate(phones)
    ]
    assert statuses == [202, 202, 202, 429]


@override_settings(OTP_SENDS_PER_IP_PER_HOUR=2)
def test_one_client_address_is_limited() -> None:
    statuses = [
        request_code(f"+96277{n}123456", REMOTE_ADDR="192.0.2.7").status_code for n in range(3)
    ]
    assert statuses == [202, 202, 429]


def test_refresh_rotates_and_the_old_refresh_token_stops_working() -> None:
    tokens = customer_sign_in(PHONE)
    client = api(ROOT)

    rotated = client.post(
        "/api/v1/auth/token/refresh", {"refresh": tokens["refresh"]}, format="json"
    )
    reused = client.post(
        "/api/v1/auth/token/refresh", {"refresh": tokens["refresh"]}, format="json"
    )

    assert rotated.status_code == 200 and rotated.json()["refresh"] != tokens["refresh"]
    assert reused.status_code == 401 and reused.json()["error"]["code"] == "token_invalid"
    assert api(ROOT, rotated.json()["access"]).get("/api/v1/me").status_code == 200


def test_logout_revokes_the_refresh_token() -> None:
    tokens = customer_sign_in(PHONE)
    me = api(ROOT, tokens["access"])
    assert (
        me.post("/api/v1/auth/logout", {"refresh": tokens["refresh"]}, format="json").status_code
        == 204
    )
    refreshed = api(ROOT).post(
        "/api/v1/auth/token/refresh", {"refresh": tokens["refresh"]}, format="json"
    )
    assert refreshed.json()["error"]["code"] == "token_invalid"


def test_profile_update_refuses_unknown_and_computed_fields() -> None:
    me = api(ROOT, customer_sign_in(PHONE)["access"])

    updated = me.patch(
        "/api/v1/me", {"name": "Rania", "language": "en", "birthday": "1990-05-04"}, format="json"
    )
    refused = me.patch("/api/v1/me", {"phone": "+962790000000", "is_active": False}, format="json")
    locked = me.patch("/api/v1/me", {"birthday": "1991-05-04"}, format="json")

    assert updated.json()["name"] == "Rania" and updated.json()["birthday"] == "1990-05-04"
    assert refused.status_code == 400
    assert set(refused.json()["error"]["fields"]) == {"phone", "is_active"}
    assert locked.json()["error"]["code"] == "birthday_locked"
    assert Customer.objects.get(phone=PHONE).is_active


def test_changing_the_phone_needs_a_code_sent_to_the_new_number() -> None:
    me = api(ROOT, customer_sign_in(PHONE)["access"])
    new = "+962781234567"

    assert me.post("/api/v1/me/phone", {"phone": new}, format="json").status_code == 202
    wrong = me.post("/api/v1/me/phone/confirm", {"phone": new, "code": "000000"}, format="json")
    right = me.post(
        "/api/v1/me/phone/confirm", {"phone": new, "code": last_code(new)}, format="json"
    )

    assert wrong.status_code == 422 or last_code(new) == "000000"
    assert right.status_code == 200 and right.json()["phone"] == new
    assert Customer.objects.filter(phone=new).count() == 1


def test_a_phone_change_does_not_tell_whether_a_number_is_registered() -> None:
    taken, free = "+962781234599", "+962781234598"
    Customer.objects.create(phone=taken)
    me = api(ROOT, customer_sign_in(PHONE)["access"])
    sent = SentMessage.objects.filter(to__in=[taken, free]).count()

    to_taken = me.post("/api/v1/me/phone", {"phone": taken}, format="json")
    to_free = me.post("/api/v1/me/phone", {"phone": free}, format="json")

    assert to_taken.status_code == to_free.status_code == 202
    assert to_taken.content == to_free.content == b""
    assert SentMessage.objects.filter(to__in=[taken, free]).count() == sent + 2
    # Only whoever holds the number (and so its code) learns it has an account.
    confirm = me.post(
        "/api/v1/me/phone/confirm", {"phone": taken, "code": last_code(taken)}, format="json"
    )
    assert confirm.status_code == 409
    assert confirm.json()["error"]["code"] == "phone_taken"
    assert Customer.objects.get(phone=PHONE).is_active
    assert Customer.objects.filter(phone=taken).count() == 1


@override_settings(OTP_SENDS_PER_IP_PER_HOUR=50, PHONE_CHANGES_PER_CUSTOMER_PER_HOUR=3)
def test_phone_change_requests_are_limited_before_anything_is_looked_up() -> None:
    taken = [f"+96278123450{n}" for n in range(5)]
    for phone in taken:
        Customer.objects.create(phone=phone)
    me = api(ROOT, customer_sign_in(PHONE)["access"])

    answers = [me.post("/api/v1/me/phone", {"phone": p}, format="json") for p in taken]

    assert [a.status_code for a in answers] == [202, 202, 202, 429, 429]
    assert answers[-1].json()["error"]["code"] == "rate_limited"
    assert SentMessage.objects.filter(to__in=taken).count() == 3


def test_devices_export_and_deletion() -> None:
    tokens = customer_sign_in(PHONE)
    me = api(ROOT, tokens["access"])
    device = me.post(
        "/api/v1/me/devices", {"token": "fcm-abc", "platform": "android"}, format="json"
    )
    assert device.status_code == 201

    export = me.get("/api/v1/me/export").json()
    assert export["profile"]["phone"] == PHONE
    assert export["devices"] == [
        {"platform": "android", "created_at": export["devices"][0]["created_at"]}
    ]
    assert (export["web_push"], export["web_card_sign_ins"]) == ([], [])

    assert me.delete("/api/v1/me").status_code == 204
    customer = Customer.objects.get(pk=tokens["customer"]["id"])
    assert (customer.phone, customer.name, customer.is_active) == (
        f"deleted-{customer.pk}",
        "",
        False,
    )
    assert not Device.objects.filter(customer=customer).exists()
    assert me.get("/api/v1/me").status_code == 401


def test_nul_bytes_and_malformed_json_are_400_not_500() -> None:
    client = api(ROOT)
    nul = client.post("/api/v1/auth/otp/request", {"phone": "+9627\x0091112233"}, format="json")
    broken = client.post(
        "/api/v1/auth/otp/request", data='{"phone": ', content_type="application/json"
    )
    assert nul.status_code == 400
    assert broken.status_code == 400 and broken.json()["error"]["code"] == "malformed_request"


def test_merchant_search(merchant_a, merchant_b) -> None:
    client = api(ROOT)
    found = client.get("/api/v1/merchants", {"q": "alpha"}).json()["results"]
    assert [m["slug"] for m in found] == ["alpha-cafe"]
    assert found[0]["api_base"] == "http://alpha-cafe.localhost:8000/api/v1/"
    assert client.get("/api/v1/merchants/beta-gym").json()["name"] == "Beta Gym"
    assert client.get("/api/v1/merchants/nope").status_code == 404
