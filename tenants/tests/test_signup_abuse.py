"""Self-serve signup as an abuser would use it: many signups from one address, a
signup with someone else's email that then awards points or mails members, and
uploads far too big for a logo or a reward picture."""

import datetime
import io
import json
import os
import re
import struct
import zlib
from typing import Any

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.files.uploadhandler import TemporaryFileUploadHandler
from django.test import override_settings
from django_tenants.utils import schema_context
from PIL import Image

from messaging.models import Delivery, Outbox, SentMessage
from messaging.relay import deliveries_send, outbox_fan_out
from notifications.models import Broadcast
from rewards.models import Reward, RewardCategory
from tenants.models import Merchant
from tests.api import api, staff_sign_in
from tests.fixtures import PASSWORD, HostClient

pytestmark = pytest.mark.django_db

FORM = {
    "name": "Falafel King",
    "slug": "falafel-king",
    "category": "restaurant",
    "city": "Zarqa",
    "email": "owner@falafel.jo",
    "password": "a-long-pass-2026",
}
SHOP = "falafel-king.localhost"
CHECK_LINK = re.compile(r"http://localhost:8000(/signup/verify/[^/\s]+/)")


def signup(ip: str = "198.51.100.20", **changes: str) -> Any:
    return HostClient("localhost", REMOTE_ADDR=ip).post("/signup/", {**FORM, **changes})


def signed_up_owner() -> HostClient:
    """A new merchant from the signup form, with its owner signed in on its host."""
    response = signup()
    assert response.status_code == 302, response.content[:1000]
    shop = HostClient(SHOP)
    assert shop.get(response.headers["Location"].split(":8000")[1]).status_code == 302
    return shop


def earn_at_counter(shop: HostClient, member_id: int = 999_999) -> Any:
    return shop.post(
        "/admin/counter/earn",
        json.dumps({"member_id": member_id, "amount": "10.000", "attempt": "a1"}),
        content_type="application/json",
    )


@override_settings(SIGNUP_ATTEMPTS_PER_IP_PER_HOUR=2)
def test_signup_is_limited_per_client_address() -> None:
    tries = [signup(password="123").status_code for _ in range(2)]
    refused = signup()

    assert tries == [200, 200]  # a weak password: the form again
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["Retry-After"]) <= 3600
    assert "Too many attempts" in refused.content.decode()
    assert not Merchant.objects.filter(slug="falafel-king").exists()
    assert signup(ip="198.51.100.21").status_code == 302  # someone else is not held up


@override_settings(SIGNUP_ATTEMPTS_PER_IP_PER_HOUR=1)
def test_the_wait_is_rounded_up_to_the_next_minute() -> None:
    # 61 seconds before the hourly window ends: "1 minute" would be too early.
    with time_machine.travel(datetime.datetime(2026, 12, 1, 10, 58, 59, tzinfo=datetime.UTC)):
        signup(password="123")
        refused = signup(password="123")

    assert refused.status_code == 429
    assert refused.headers["Retry-After"] == "61"
    assert "Try again in 2 minutes." in refused.content.decode()


def test_the_owner_confirms_the_email_before_points_or_messages(caplog) -> None:
    shop = signed_up_owner()
    merchant = Merchant.objects.get(slug="falafel-king")
    assert merchant.email_verified_at is None

    # The dashboard says so on every page, with "send again".
    home = shop.get("/admin/").content.decode()
    assert 'data-testid="email-unverified"' in home and "owner@falafel.jo" in home
    assert 'data-testid="email-unverified"' in shop.get("/admin/profile/").content.decode()

    # Points and broadcasts are refused, at the counter, over the API and in the dashboard.
    refused = earn_at_counter(shop)
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "email_unverified"
    staff = staff_sign_in(SHOP, "owner@falafel.jo", FORM["password"])
    over_api = api(SHOP, staff["access"]).post(
        "/api/v1/staff/earn", {"member_id": 1, "amount": "10.000"}, format="json"
    )
    assert over_api.status_code == 403
    assert over_api.json()["error"]["code"] == "email_unverified"
    with schema_context("falafel_king"):
        draft = Broadcast.objects.create(title_en="Offer", body_en="Half price", push=True)
    sent = shop.post(f"/admin/notifications/broadcast/{draft.pk}/send/", follow=True)
    assert "Confirm the owner" in sent.content.decode()
    with schema_context("falafel_king"):
        assert Broadcast.objects.get(pk=draft.pk).status == "draft"
        assert not Outbox.objects.filter(event="broadcast").exists()

    # The link went out through the platform's outbox and is kept nowhere in clear.
    with schema_context("public"):
        check = Outbox.objects.get(event="owner_email_check", to_email="owner@falafel.jo")
        assert "verify" not in json.dumps(check.context) and check.secrets != ""
        while outbox_fan_out():
            pass
        deliveries_send(seconds=5)
        delivery = Delivery.objects.get(message=check)
        # No provider here: the record for the shell is where the link is read.
        link = CHECK_LINK.search(SentMessage.objects.get(delivery_id=delivery.pk).body)
    assert delivery.body.endswith("[link hidden]")
    assert link is not None
    assert link.group(1) not in "\n".join(r.getMessage() for r in caplog.records)

    # "Send again" queues a new mail (and not twice a minute).
    again = shop.post("/admin/email-check/send/", follow=True)
    assert "We sent a new link to owner@falafel.jo" in again.content.decode()
    shop.post("/admin/email-check/send/")
    with schema_context("public"):
        assert (
            Outbox.objects.filter(event="owner_email_check", to_email="owner@falafel.jo").count()
            == 2
        )

    confirmed = HostClient("localhost").get(link.group(1))
    assert confirmed.status_code == 200
    assert "Your email address is confirmed" in confirmed.content.decode()
    merchant.refresh_from_db()
    assert merchant.email_verified_at is not None
    assert 'data-testid="email-unverified"' not in shop.get("/admin/").content.decode()
    # The counter now gets past the check to the member (who does not exist).
    assert earn_at_counter(shop).json()["error"]["code"] == "member_not_found"


def test_a_forged_or_foreign_link_confirms_nothing(merchant_a) -> None:
    signed_up_owner()
    forged = HostClient("localhost").get("/signup/verify/eyJtIjoxfQ:forged:sig/")
    assert forged.status_code == 400
    assert Merchant.objects.get(slug="falafel-king").email_verified_at is None


def test_merchants_the_platform_creates_count_as_verified(merchant_a) -> None:
    assert merchant_a.merchant.email_verified_at is not None


def png(width: int, height: int, noise: bool = False) -> bytes:
    out = io.BytesIO()
    if noise:
        image = Image.frombytes("RGB", (width, height), os.urandom(width * height * 3))
    else:
        image = Image.new("RGB", (width, height), "#7c3aed")
    image.save(out, format="PNG")
    return out.getvalue()


def bomb(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims `width` x `height` pixels (a decompression bomb)."""
    data = bytearray(png(1, 1))
    header = b"IHDR" + struct.pack(">II", width, height) + bytes(data[24:29])
    data[12:29] = header
    data[29:33] = struct.pack(">I", zlib.crc32(header))
    return bytes(data)


def upload(data: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile("big.png", data, content_type="image/png")


@pytest.fixture
def owner(merchant_a) -> HostClient:
    client = HostClient(merchant_a.host)
    signed = client.post(
        "/admin/login/?next=/admin/",
        {"username": merchant_a.owner_email, "password": PASSWORD},
    )
    assert signed.status_code == 302
    return client


def profile_with_logo(merchant: Merchant, logo: SimpleUploadedFile) -> dict[str, Any]:
    return {
        "name": merchant.name,
        "name_ar": merchant.name_ar,
        "category": merchant.category,
        "city": merchant.city,
        "address": "",
        "contact_email": merchant.contact_email,
        "contact_phone": "",
        "timezone": "Asia/Amman",
        "logo": logo,
    }


@pytest.mark.parametrize(
    ("image", "error"),
    [
        (lambda: png(1100, 1000, noise=True), "at most 2.0"),  # 3.3 MB
        (lambda: png(5000, 300), "5000×300 pixels; at most 4096×4096"),
        (lambda: bomb(10000, 10000), "far too many pixels; at most 4096×4096"),
        (lambda: bomb(20000, 20000), "Upload a valid image"),  # Pillow's guard refuses
    ],
)
# Pillow warns while it reads the bomb's header; the refusal is what is tested.
@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")
def test_an_oversized_logo_is_refused_with_a_field_error(owner, merchant_a, image, error) -> None:
    merchant = merchant_a.merchant
    response = owner.post("/admin/profile/", profile_with_logo(merchant, upload(image())))

    assert response.status_code == 200
    assert error in response.content.decode()
    merchant.refresh_from_db()
    assert not merchant.logo


def test_reward_and_category_images_have_the_same_limits(owner, merchant_a) -> None:
    too_wide = png(4097, 10)
    category = owner.post(
        "/admin/rewards/rewardcategory/add/",
        {"name": "Drinks", "name_ar": "", "position": 0, "image": upload(too_wide)},
    )
    assert category.status_code == 200 and "at most 4096×4096" in category.content.decode()
    reward = owner.post(
        "/admin/rewards/reward/add/",
        {
            "name": "Mug",
            "kind": "free_item",
            "value": "0",
            "points_cost": 100,
            "stock": "",
            "is_active": "on",
            "image": upload(png(1100, 1000, noise=True)),
        },
    )
    assert reward.status_code == 200 and "at most 2.0" in reward.content.decode()
    with schema_context(merchant_a.schema):
        assert not RewardCategory.objects.filter(name="Drinks").exists()
        assert not Reward.objects.filter(name="Mug").exists()
    fine = owner.post(
        "/admin/rewards/rewardcategory/add/",
        {"name": "Snacks", "name_ar": "", "position": 0, "image": upload(png(400, 300))},
    )
    assert fine.status_code == 302


UPLOADS_READ: list[str] = []


class WatchedUploads(TemporaryFileUploadHandler):
    """Django's handler for big files, noting each file it starts writing to disk."""

    def new_file(self, field_name: str, file_name: str, *args: Any, **kwargs: Any) -> None:
        UPLOADS_READ.append(file_name)
        super().new_file(field_name, file_name, *args, **kwargs)


def test_a_multipart_body_beyond_one_image_and_its_form_is_refused_unread(
    owner, merchant_a, settings
) -> None:
    # One image (UPLOAD_IMAGE_MAX_BYTES) and the form's other fields
    # (DATA_UPLOAD_MAX_MEMORY_SIZE) at most: 4 MB; a bigger body is not read at all.
    settings.FILE_UPLOAD_HANDLERS = [f"{__name__}.WatchedUploads"]
    UPLOADS_READ.clear()
    merchant = merchant_a.merchant
    huge = upload(b"\x89PNG" + b"\0" * (4 * 1024 * 1024))

    page = owner.post("/admin/profile/", profile_with_logo(merchant, huge))
    answer = api(merchant_a.host).post(
        "/api/v1/staff/earn", {"member_id": "1", "amount": "1", "file": upload(b"x" * 5_000_000)}
    )

    message = f"The request body is larger than the {4 * 1024 * 1024} bytes allowed."
    assert (page.status_code, answer.status_code) == (413, 413)
    assert message in page.content.decode()
    assert answer.json() == {"error": {"code": "request_too_large", "message": message}}
    assert UPLOADS_READ == []
    merchant.refresh_from_db()
    assert not merchant.logo
