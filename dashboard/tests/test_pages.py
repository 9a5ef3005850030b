"""Every dashboard page for each role, on the demo data; the counter's endpoints."""

import json
import re
from typing import Any

import pytest
from django.urls import reverse
from django_tenants.utils import schema_context

from loyalty.admin_sites import merchant_site
from points.models import LedgerEntry, Membership
from rewards.models import Redemption
from tenants.demo import DEMO_PASSWORD
from tests.fixtures import HostClient

pytestmark = pytest.mark.django_db
HOST = "cafe-aroma.localhost"


def signed_in(role: str) -> HostClient:
    client = HostClient(HOST)
    response = client.post(
        "/admin/login/?next=/admin/",
        {"username": f"{role}@cafe-aroma.demo", "password": DEMO_PASSWORD},
    )
    assert response.status_code == 302, response.content[:500]
    return client


def admin_pages() -> list[tuple[str, str]]:
    """(url, admin class name) for every list page, add page and one change page."""
    pages = []
    with schema_context("cafe_aroma"):
        for model, model_admin in merchant_site._registry.items():
            meta = model._meta
            base = f"merchant_admin:{meta.app_label}_{meta.model_name}"
            name = type(model_admin).__name__
            pages.append((reverse(f"{base}_changelist"), name))
            first = model.objects.order_by("pk").first()
            if first is not None:
                pages.append((reverse(f"{base}_change", args=[first.pk]), name))
    return pages


ROLE_SEES = {
    "cashier": {"MembershipAdmin", "RedemptionAdmin"},
    "manager": {
        "MembershipAdmin",
        "RedemptionAdmin",
        "LedgerEntryAdmin",
        "RewardAdmin",
        "RewardCategoryAdmin",
        "TierAdmin",
        "CampaignAdmin",
        "EventSettingAdmin",
        "DeliveryAdmin",
        "BroadcastAdmin",
    },
}


@pytest.mark.parametrize("role", ["owner", "manager", "cashier"])
def test_every_admin_page_answers_for_its_role(demo, role) -> None:
    client = signed_in(role)
    for url, name in admin_pages():
        response = client.get(url)
        allowed = role == "owner" or name in ROLE_SEES[role]
        expected = {200} if allowed else {403}
        if name == "PointsSettingsAdmin" and allowed and url.endswith("/pointssettings/"):
            expected = {302}
        assert response.status_code in expected, (role, url, response.status_code)
    for extra in ("/admin/", "/admin/counter/"):
        assert client.get(extra).status_code == 200, (role, extra)
    for extra in ("/admin/poster/", "/admin/poster.pdf"):
        assert client.get(extra).status_code == (403 if role == "cashier" else 200), role
    subscription = client.get("/admin/subscription/")
    assert subscription.status_code == (200 if role == "owner" else 403), role


def test_a_cashier_is_refused_settings_staff_and_the_ledger(demo) -> None:
    client = signed_in("cashier")
    for url in (
        "/admin/points/pointssettings/1/change/",
        "/admin/auth/user/",
        "/admin/points/ledgerentry/",
        "/admin/points/ledgerentry/export.csv",
        "/admin/rewards/reward/add/",
    ):
        assert client.get(url).status_code == 403, url


def test_the_home_charts_show_the_demo_history(demo) -> None:
    page = signed_in("owner").get("/admin/").content.decode()
    found = re.search(r'data-type="bar" data-value="([^"]+)"', page)
    assert found is not None
    chart = json.loads(found.group(1).replace("&quot;", '"'))
    assert sum(chart["datasets"][0]["data"]) > 0  # points issued in the last 30 days
    assert re.search(r'data-kpi="members" title="[^"]*">50<', page)
    charts = [
        json.loads(value.replace("&quot;", '"'))
        for value in re.findall(r'data-type="(?:bar|line)" data-value="([^"]+)"', page)
    ]
    # Points per day, members per week, tiers, top rewards, sales per staff member:
    # every one drawn from the demo history.
    assert len(charts) == 5
    for drawn in charts:
        assert drawn["labels"] and sum(drawn["datasets"][0]["data"]) > 0, drawn


def test_the_ledger_exports_as_csv_with_the_page_filters(demo) -> None:
    response = signed_in("manager").get("/admin/points/ledgerentry/export.csv?kind__exact=redeem")
    body = b"".join(response.streaming_content).decode()  # type: ignore[attr-defined]
    lines = body.strip().splitlines()
    assert lines[0].startswith("id,created_at,member_number,kind")
    assert len(lines) > 1 and all(",redeem," in line for line in lines[1:])


def test_a_manager_adjusts_points_from_the_member_page(demo) -> None:
    with schema_context("cafe_aroma"):
        member = Membership.objects.earliest("pk")
        before = member.current_points
    client = signed_in("manager")
    response = client.post(
        f"/admin/points/membership/{member.pk}/adjust/", {"points": "15", "reason": "Birthday cake"}
    )
    assert response.status_code == 302
    with schema_context("cafe_aroma"):
        member.refresh_from_db()
        entry = LedgerEntry.objects.filter(membership=member).latest("id")
        assert member.current_points == before + 15
        assert (entry.kind, entry.reason) == ("adjust", "Birthday cake")
    cashier = signed_in("cashier")
    assert (
        cashier.post(
            f"/admin/points/membership/{member.pk}/adjust/", {"points": "5", "reason": "x"}
        ).status_code
        == 403
    )


def test_the_counter_awards_once_per_attempt(demo) -> None:
    with schema_context("cafe_aroma"):
        member = Membership.objects.earliest("pk")
        before = member.current_points
    client = signed_in("cashier")
    found = client.post(
        "/admin/counter/lookup",
        {"member_number": member.member_number},
        content_type="application/json",
    ).json()
    body = {"member_id": found["member"]["id"], "amount": "10.000", "attempt": "tap-1"}
    first = client.post("/admin/counter/earn", body, content_type="application/json").json()
    second = client.post("/admin/counter/earn", body, content_type="application/json").json()
    bad = client.post(
        "/admin/counter/earn",
        {**body, "amount": "1.2345", "attempt": "tap-2"},
        content_type="application/json",
    )

    assert first["points"] == second["points"] > 0
    assert first["balance"] == second["balance"] == before + first["points"]
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "too_many_decimals"


def test_the_counters_camera_reads_a_wallet_pass_member_number(demo) -> None:
    with schema_context("cafe_aroma"):
        member = Membership.objects.earliest("pk")
    client = signed_in("cashier")

    scanned = client.post(
        "/admin/counter/lookup", {"token": member.member_number}, content_type="application/json"
    )
    unknown = client.post(
        "/admin/counter/lookup", {"token": "1234567"}, content_type="application/json"
    )

    assert scanned.status_code == 200 and scanned.json()["member"]["id"] == member.pk
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "member_not_found"


def test_the_counter_refuses_in_the_one_error_shape_with_its_fields(demo) -> None:
    with schema_context("cafe_aroma"):
        member = Membership.objects.earliest("pk")
    client = signed_in("cashier")

    refused = client.post(
        "/admin/counter/earn",
        {"member_id": member.pk, "amount": "1.2345", "attempt": "shape-1"},
        content_type="application/json",
    )

    assert refused.status_code == 422
    assert refused.json() == {
        "error": {
            "code": "too_many_decimals",
            "message": "JOD amounts have at most 3 decimals.",
            "fields": {"amount": ["At most 3 decimals."]},
        }
    }


def test_the_join_poster_has_a_qr_and_a_pdf(demo) -> None:
    client = signed_in("owner")
    page = client.get("/admin/poster/").content.decode()
    pdf = client.get("/admin/poster.pdf")
    assert "<svg" in page and "/join/" in page and "Café Aroma" in page
    assert pdf["Content-Type"] == "application/pdf" and pdf.content[:4] == b"%PDF"


def test_the_sidebar_shows_pending_redemptions(demo) -> None:
    page = signed_in("cashier").get("/admin/").content.decode()
    assert "Redemptions" in page and "Ledger" not in page and "Audit log" not in page


def test_the_posters_qr_leads_to_a_join_page(merchant_a) -> None:
    code = merchant_a.merchant.join_code
    page = HostClient(merchant_a.host).get(f"/join/{code.lower()}")
    wrong = HostClient(merchant_a.host).get("/join/NOTTHEONE")
    assert page.status_code == 200 and code in page.content.decode()
    assert wrong.status_code == 404


def _pending_redemption() -> Redemption:
    from django.contrib.auth.models import User

    from points.services import points_adjust
    from rewards.models import Reward
    from rewards.services import redemption_create

    reward = Reward.objects.filter(stock__isnull=True, min_tier__isnull=True).earliest("pk")
    member = Membership.objects.earliest("pk")
    staff = User.objects.get(username="manager@cafe-aroma.demo")
    points_adjust(membership_id=member.pk, points=reward.points_cost, reason="t", actor=staff)
    return redemption_create(membership_id=member.pk, reward_id=reward.pk)


def test_the_redemptions_queue_opens_on_pending_ones(demo) -> None:
    with schema_context("cafe_aroma"):
        _pending_redemption()
        assert Redemption.objects.exclude(status="pending").exists()  # the demo has a mix
    page = signed_in("manager").get("/admin/rewards/redemption/").content.decode()
    shown = re.findall(r'data-label="status">([^<]+)<', page)
    assert shown and set(shown) == {"Pending"}


def test_a_rejection_carries_the_reason_typed_beside_the_action(demo) -> None:
    from django.contrib.admin.models import LogEntry

    with schema_context("cafe_aroma"):
        redemption = _pending_redemption()
    client = signed_in("manager")
    response = client.post(
        "/admin/rewards/redemption/",
        {
            "action": "reject",
            "_selected_action": [redemption.pk],
            "reason": "Out of stock today",
            "index": "0",
        },
    )
    assert response.status_code == 302
    with schema_context("cafe_aroma"):
        redemption.refresh_from_db()
        assert (redemption.status, redemption.reason) == ("rejected", "Out of stock today")
        logged = LogEntry.objects.filter(object_id=str(redemption.pk)).latest("id")
        assert logged.change_message == "rejected"
        assert logged.user.username == "manager@cafe-aroma.demo"


def test_members_are_found_by_phone_name_and_number(demo) -> None:
    with schema_context("cafe_aroma"):
        member = Membership.objects.select_related("customer").earliest("pk")
        phone = member.customer.phone  # +9627XXXXXXXX
        surname = member.customer.name.split()[-1]
    client = signed_in("cashier")
    for query in ("0" + phone[4:], phone, surname, member.member_number):
        page = client.get("/admin/points/membership/", {"q": query}).content.decode()
        assert member.member_number in page, query


def test_the_sidebar_badge_counts_pending_redemptions(demo) -> None:
    with schema_context("cafe_aroma"):
        _pending_redemption()
        pending = Redemption.objects.filter(status="pending").count()
    page = signed_in("cashier").get("/admin/").content.decode()
    badge = re.search(r"Redemptions\s*</span>\s*<span[^>]*>\s*(\d+)\s*</span>", page)
    assert badge is not None and int(badge.group(1)) == pending


def test_an_owner_invites_staff_who_choose_their_own_password(demo) -> None:
    from django.contrib.auth.models import User

    from messaging.models import Delivery, Outbox, SentMessage
    from messaging.relay import deliveries_send, outbox_fan_out

    owner = signed_in("owner")
    response = owner.post(
        "/admin/auth/user/add/",
        {
            "email": "Rana@Cafe-Aroma.demo",
            "first_name": "Rana",
            "last_name": "",
            "role": "cashier",
            "is_active": "on",
            "password": "",
        },
    )
    assert response.status_code == 302, response.content[:2000]
    with schema_context("cafe_aroma"):
        rana = User.objects.get(username="rana@cafe-aroma.demo")
        assert not rana.has_usable_password()
        invite = Outbox.objects.get(event="staff_invite", to_email="rana@cafe-aroma.demo")
        outbox_fan_out()
        deliveries_send(seconds=5)
        (mail,) = Delivery.objects.filter(message=invite)
        # No provider here: the link is read from the record kept for the shell.
        recorded = SentMessage.objects.get(delivery_id=mail.pk).body
    assert (mail.channel, mail.status, mail.title) == (
        "email",
        "recorded",
        "Join Café Aroma on Loyalty",
    )
    assert mail.body.endswith("[link hidden]")
    link = re.search(r"http://cafe-aroma\.localhost:8000(/admin/invite/\S+/)", recorded)
    assert link is not None, recorded

    invited = HostClient(HOST)
    form = invited.get(link.group(1), follow=True)
    assert "Choose the password" in form.content.decode()
    chosen = invited.post(
        form.redirect_chain[-1][0],
        {"new_password1": "Counter-Rana-2026", "new_password2": "Counter-Rana-2026"},
    )
    assert chosen.status_code == 302 and chosen["Location"] == "/admin/"
    assert invited.get("/admin/counter/").status_code == 200  # signed in, as a cashier
    again = HostClient(HOST).get(link.group(1), follow=True).content.decode()
    assert "has been used or has expired" in again


def test_the_owner_sets_the_logo_and_the_poster_carries_it(demo) -> None:
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    from tenants.models import Merchant

    png = io.BytesIO()
    Image.new("RGB", (120, 80), "#7c3aed").save(png, format="PNG")
    owner = signed_in("owner")
    merchant = Merchant.objects.get(slug="cafe-aroma")
    saved = owner.post(
        "/admin/profile/",
        {
            "name": merchant.name,
            "name_ar": merchant.name_ar,
            "category": merchant.category,
            "city": merchant.city,
            "address": "Rainbow Street 12",
            "contact_email": "hello@cafe-aroma.demo",
            "contact_phone": "",
            "timezone": "Asia/Amman",
            "brand_color": "#0f766e",
            "logo": SimpleUploadedFile("logo.png", png.getvalue(), content_type="image/png"),
        },
    )
    assert saved.status_code == 302
    merchant.refresh_from_db()
    assert merchant.address == "Rainbow Street 12" and merchant.logo.name.endswith(".png")
    assert merchant.brand_color == "#0f766e"
    assert merchant.logo.url in owner.get("/admin/poster/").content.decode()
    pdf = owner.get("/admin/poster.pdf").content
    assert b"/Subtype /Image" in pdf
    for role in ("manager", "cashier"):
        assert signed_in(role).get("/admin/profile/").status_code == 403


def test_the_counter_verifies_a_voucher_then_marks_it_used(demo) -> None:
    with schema_context("cafe_aroma"):
        redemption = _pending_redemption()
        member_number = redemption.membership.member_number
    cashier = signed_in("cashier")

    def voucher(**body):
        return cashier.post("/admin/counter/voucher", body, content_type="application/json")

    seen = voucher(code=redemption.voucher_code.lower()).json()["voucher"]
    assert (seen["status"], seen["member"]["member_number"]) == ("pending", member_number)
    used = voucher(code=redemption.voucher_code, use=True).json()["voucher"]
    assert used["status"] == "used"
    again = voucher(code=redemption.voucher_code, use=True)
    assert again.status_code == 409 and again.json()["error"]["code"] == "invalid_redemption_state"
    missing = voucher(code="NOPE1234")
    assert (missing.status_code, missing.json()["error"]["code"]) == (404, "voucher_not_found")
    with schema_context("cafe_aroma"):
        redemption.refresh_from_db()
        assert redemption.status == "used" and redemption.used_by is not None


def test_the_counter_reads_arabic_digits_and_refuses_numbers_and_exponents(demo) -> None:
    with schema_context("cafe_aroma"):
        member = Membership.objects.earliest("pk")
        before = member.current_points
    client = signed_in("cashier")

    def earn(amount: object, attempt: str) -> Any:
        body = {"member_id": member.pk, "amount": amount, "attempt": attempt}
        return client.post("/admin/counter/earn", body, content_type="application/json")

    arabic = earn("١٠٫٥٠٠", "ar-1")
    refused = [earn(amount, f"bad-{i}") for i, amount in enumerate(["1e3", 1000, " 5.000"])]

    assert arabic.status_code == 200
    assert arabic.json()["explanation"].startswith("10.500 JOD")
    assert [(r.status_code, r.json()["error"]["code"]) for r in refused] == [
        (400, "invalid_amount")
    ] * 3
    with schema_context("cafe_aroma"):
        member.refresh_from_db()
        assert member.current_points == before + arabic.json()["points"]
