"""The member's inbox and notification preferences over the API, and that one
merchant's messages never show at another's."""

import pytest
from django_tenants.utils import schema_context

from messaging.relay import outbox_fan_out
from notifications.models import InboxItem
from points.services import points_earn
from tests.api import ROOT, api, customer_sign_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def member(merchant_a, programme):
    signed = customer_sign_in("+962795550101")
    client = api(merchant_a.host, signed["access"])
    joined = client.post("/api/v1/join", {}, format="json").json()
    for amount in ("10.000", "20.000", "30.000"):
        points_earn(membership_id=joined["id"], amount=amount, actor=programme.cashier)
    while outbox_fan_out():
        pass
    return client, joined, signed


def test_the_inbox_lists_unread_first_then_newest(member) -> None:
    client = member[0]
    page = client.get("/api/v1/membership/inbox").json()
    # Welcome, three earnings, and Silver reached on the way (600 points).
    assert page["count"] == 5 and page["unread"] == 5
    assert [r["event"] for r in page["results"]].count("tier_upgraded") == 1
    earnings = [r for r in page["results"] if r["event"] == "points_earned"]
    # A customer who signed in without choosing a language reads Arabic.
    assert [item["body"].split("!")[0] for item in earnings] == [
        "ربحت 300 نقطة",
        "ربحت 200 نقطة",
        "ربحت 100 نقطة",
    ]
    oldest_earn = earnings[2]

    read = client.post(f"/api/v1/membership/inbox/{oldest_earn['id']}/read")
    assert read.status_code == 200 and read.json()["is_read"] is True
    page = client.get("/api/v1/membership/inbox?page_size=2").json()
    assert page["unread"] == 4
    assert page["next"] is not None and len(page["results"]) == 2
    everything = client.get("/api/v1/membership/inbox?page_size=10").json()["results"]
    assert everything[-1]["id"] == oldest_earn["id"]  # read ones go last
    assert client.get("/api/v1/membership/inbox/unread-count").json() == {"unread": 4}
    assert client.get("/api/v1/membership").json()["unread_messages"] == 4

    assert client.post("/api/v1/membership/inbox/read-all").json() == {"marked": 4}
    assert client.get("/api/v1/membership/inbox/unread-count").json() == {"unread": 0}


def test_another_members_message_is_not_found(member, programme) -> None:
    client, _, _ = member
    other = programme.member()
    points_earn(membership_id=other.pk, amount="5.000", actor=programme.cashier)
    while outbox_fan_out():
        pass
    theirs = InboxItem.objects.get(membership=other, event="points_earned")
    response = client.post(f"/api/v1/membership/inbox/{theirs.pk}/read")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "inbox_item_not_found"
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_merchant_b_shows_nothing_of_merchant_a(member, merchant_b) -> None:
    _, _, signed = member
    at_b = api(merchant_b.host, signed["access"])
    assert at_b.get("/api/v1/membership/inbox").status_code == 404  # not a member there
    with schema_context(merchant_b.schema):
        assert not InboxItem.objects.exists()


def test_preferences_are_read_and_changed_per_channel_and_kind(member) -> None:
    _, _, signed = member
    root = api(ROOT, signed["access"])
    defaults = root.get("/api/v1/me/notification-preferences").json()
    assert defaults == {
        "push_transactional": True,
        "push_marketing": True,
        "email_transactional": True,
        "email_marketing": False,
        "sms_transactional": True,
        "sms_marketing": False,
        "whatsapp_transactional": True,
        "whatsapp_marketing": False,
    }
    changed = root.patch(
        "/api/v1/me/notification-preferences", {"push_marketing": False}, format="json"
    )
    assert changed.status_code == 200 and changed.json()["push_marketing"] is False
    bad = root.patch("/api/v1/me/notification-preferences", {"fax": True}, format="json")
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "invalid"
    zone = root.patch("/api/v1/me", {"time_zone": "Europe/Berlin"}, format="json")
    assert zone.json()["time_zone"] == "Europe/Berlin"
    wrong = root.patch("/api/v1/me", {"time_zone": "Mars/Olympus"}, format="json")
    assert wrong.status_code == 422 and wrong.json()["error"]["code"] == "unknown_time_zone"


def test_a_broadcast_that_cannot_be_sent_says_why_by_field(programme) -> None:
    from django.core.exceptions import NON_FIELD_ERRORS, ValidationError

    from loyalty.errors import DomainError
    from notifications.models import Broadcast
    from notifications.services import broadcast_send, broadcast_validate

    draft = Broadcast.objects.create(
        title_en="Hi {coins}", body_en="x", title_ar="ع", body_ar="ع", segment="tier", push=False
    )
    with pytest.raises(ValidationError) as invalid:
        broadcast_validate(draft)
    assert set(invalid.value.error_dict) == {"title_en", "tier", NON_FIELD_ERRORS}
    with pytest.raises(DomainError) as refused:
        broadcast_send(broadcast_id=draft.pk)
    assert refused.value.code == "broadcast_invalid"
    draft.refresh_from_db()
    assert draft.status == "draft"
