"""The inbox on the web card: newest first, read when opened, all read at once."""

import itertools

import pytest
from django_tenants.utils import schema_context

from messaging.models import Event, Kind
from notifications.models import InboxItem
from webcard.tests.pages import member_with

pytestmark = pytest.mark.django_db
_ids = itertools.count(9_000_000)


def message(membership, title: str, body: str = "Hello") -> InboxItem:
    return InboxItem.objects.create(
        membership=membership,
        message_id=next(_ids),
        event=Event.POINTS_EARNED,
        kind=Kind.TRANSACTIONAL,
        title=title,
        body=body,
    )


def test_messages_newest_first_read_when_opened(merchant_a, programme, card_client) -> None:
    member = member_with(programme, merchant_a.schema)
    with schema_context(merchant_a.schema):
        old = message(member, "You earned 100 points")
        new = message(member, "Your coffee is ready", "Show the voucher at the counter.")
    client = card_client(merchant_a.host, member.customer)

    listed = client.get("/card/inbox").content.decode()
    opened = client.get(f"/card/inbox/{new.pk}").content.decode()

    assert listed.index("Your coffee is ready") < listed.index("You earned 100 points")
    assert "Mark all 2 messages read" in listed
    assert "Show the voucher at the counter." in opened
    with schema_context(merchant_a.schema):
        assert InboxItem.objects.get(pk=new.pk).read_at is not None
        assert InboxItem.objects.get(pk=old.pk).read_at is None
    assert "Mark 1 message read" in client.get("/card/inbox").content.decode()


def test_read_all_marks_every_message_read(merchant_a, programme, card_client) -> None:
    member = member_with(programme, merchant_a.schema)
    other = member_with(programme, merchant_a.schema)
    with schema_context(merchant_a.schema):
        message(member, "One")
        message(member, "Two")
        theirs = message(other, "Theirs")
    client = card_client(merchant_a.host, member.customer)

    response = client.post("/card/inbox/read-all")

    assert response.status_code == 302 and response["Location"] == "/card/inbox"
    with schema_context(merchant_a.schema):
        unread = InboxItem.objects.filter(read_at__isnull=True).values_list("pk", flat=True)
        assert list(unread) == [theirs.pk]
    assert 'data-testid="read-all"' not in client.get("/card/inbox").content.decode()


def test_another_members_message_is_not_found_nor_read(merchant_a, programme, card_client):
    member = member_with(programme, merchant_a.schema)
    other = member_with(programme, merchant_a.schema)
    with schema_context(merchant_a.schema):
        theirs = message(other, "Private news")
    client = card_client(merchant_a.host, member.customer)

    assert client.get(f"/card/inbox/{theirs.pk}").status_code == 404
    assert "Private news" not in client.get("/card/inbox").content.decode()
    with schema_context(merchant_a.schema):
        assert InboxItem.objects.get(pk=theirs.pk).read_at is None
