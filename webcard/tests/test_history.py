"""The history page: paged as the API, the page's language, the merchant's time zone."""

import datetime

import pytest
import time_machine
from django_tenants.utils import schema_context

from loyalty.api.pagination import PAGE_SIZE
from points.models import LedgerEntry
from points.services import points_adjust, points_earn
from webcard.tests.pages import member_with

pytestmark = pytest.mark.django_db
AT = datetime.datetime(2026, 12, 3, 10, 0, tzinfo=datetime.UTC)  # 13:00 in Amman


def test_history_shows_each_entry_signed_with_its_money_and_local_time(
    merchant_a, programme, card_client
) -> None:
    member = member_with(programme, merchant_a.schema)
    with time_machine.travel(AT, tick=False), schema_context(merchant_a.schema):
        earn = points_earn(membership_id=member.pk, amount="50.000", actor=programme.cashier)
        points_adjust(membership_id=member.pk, points=-120, reason="typo", actor=programme.manager)
    client = card_client(merchant_a.host, member.customer)

    page = client.get("/card/history").content.decode()

    assert earn.points == 500
    assert earn.description in page
    assert '<bdi dir="ltr" class="figure ok" data-testid="points">+500</bdi>' in page
    assert '<bdi dir="ltr" class="figure error" data-testid="points">-120</bdi>' in page
    assert "3 Dec 2026, 13:00" in page
    assert "<bdi>50.000\u00a0JOD</bdi>" in page
    assert "Balance: 380 points" in page


def test_history_in_arabic_shows_the_arabic_description(merchant_a, programme, card_client):
    member = member_with(programme, merchant_a.schema)
    with schema_context(merchant_a.schema):
        earn = points_earn(membership_id=member.pk, amount="1200.500", actor=programme.cashier)
    client = card_client(merchant_a.host, member.customer)

    page = client.get("/card/history", HTTP_ACCEPT_LANGUAGE="ar").content.decode()

    assert earn.description_ar in page and earn.description not in page
    assert "<bdi>1,200.500\u00a0دينار</bdi>" in page
    assert 'lang="ar" dir="rtl"' in page


def test_history_is_paged_as_the_api_pages_it(merchant_a, programme, card_client) -> None:
    member = member_with(programme, merchant_a.schema)
    with schema_context(merchant_a.schema):
        for n in range(PAGE_SIZE + 1):
            points_adjust(
                membership_id=member.pk, points=n + 1, reason="t", actor=programme.manager
            )
        total = LedgerEntry.objects.filter(membership=member).count()
    client = card_client(merchant_a.host, member.customer)

    first = client.get("/card/history").content.decode()
    second = client.get("/card/history?page=2").content.decode()

    assert total == PAGE_SIZE + 1
    assert first.count('data-testid="points"') == PAGE_SIZE
    assert second.count('data-testid="points"') == 1
    assert ">+21</bdi>" in first and ">+2</bdi>" in first and ">+1</bdi>" in second
    assert "Page 2 of 2" in second


def test_history_needs_a_member_of_this_merchant(
    merchant_a, merchant_b, programme, card_client, host_client
) -> None:
    member = member_with(programme, merchant_a.schema, points=300)

    stranger = host_client(merchant_a.host).get("/card/history")
    elsewhere = card_client(merchant_b.host, member.customer).get("/card/history")

    assert stranger.status_code == 302 and stranger["Location"].startswith("/card/signin")
    assert elsewhere.status_code == 302 and elsewhere["Location"] == "/card/"
