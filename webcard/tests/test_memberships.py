"""The root domain's card page and the one-time hand-off to a merchant's card."""

import datetime

import pytest
import time_machine
from django.conf import settings
from django_tenants.utils import schema_context

from loyalty.logfilters import redact_secret_paths
from points.services import membership_join
from points.tests.factories import programme_create
from tests.fixtures import HostClient
from webcard.handoff import handoff_issue
from webcard.models import CardSession
from webcard.sessions import COOKIE, session_create
from webcard.tests.pages import member_with

pytestmark = pytest.mark.django_db
AT = datetime.datetime(2026, 12, 3, 10, 0, tzinfo=datetime.UTC)


def root_client(customer) -> HostClient:
    client = HostClient(settings.BASE_DOMAIN)
    client.cookies[COOKIE] = session_create(customer=customer, merchant=None)
    return client


def handoff_path(response) -> str:
    location = response["Location"]
    assert "/card/handoff/" in location
    return location[location.index("/card/handoff/") :]


def test_every_membership_with_its_balance_and_tier(merchant_a, merchant_b, programme) -> None:
    member = member_with(programme, merchant_a.schema, points=750)
    with schema_context(merchant_b.schema):
        programme_create()
        membership_join(customer=member.customer)
    client = root_client(member.customer)

    page = client.get("/card/").content.decode()
    arabic = client.get("/card/", HTTP_ACCEPT_LANGUAGE="ar").content.decode()

    assert page.index("Alpha Café") < page.index("Beta Gym")
    assert "750 points" in page and "0 points" in page
    assert "<bdi>Bronze</bdi>" in page
    assert "<bdi>برونزي</bdi>" in arabic
    assert 'action="/card/open/alpha-cafe"' in page and 'action="/card/open/beta-gym"' in page


def test_opening_a_card_signs_in_on_that_merchants_host_once(
    merchant_a, programme, host_client
) -> None:
    member = member_with(programme, merchant_a.schema, points=10)
    opened = root_client(member.customer).post("/card/open/alpha-cafe")
    assert opened["Location"].startswith(f"http://{merchant_a.host}:8000/card/handoff/")
    assert opened["Referrer-Policy"] == "no-referrer"
    path = handoff_path(opened)
    browser = host_client(merchant_a.host)

    landed = browser.get(path)
    again = host_client(merchant_a.host).get(path)

    assert landed.status_code == 302 and landed["Location"] == "/card/"
    assert browser.get("/card/history").status_code == 200
    session = CardSession.objects.get(customer=member.customer, merchant=merchant_a.merchant)
    assert session.revoked_at is None
    assert again.status_code == 400 and COOKIE not in again.cookies
    assert "This link has expired or was already used." in again.content.decode()


def test_a_handoff_is_refused_on_another_host_late_or_tampered(
    merchant_a, merchant_b, programme, host_client
) -> None:
    member = member_with(programme, merchant_a.schema)
    with time_machine.travel(AT, tick=False):
        token = handoff_issue(customer=member.customer, merchant_id=merchant_a.merchant.pk)
        other_host = host_client(merchant_b.host).get(f"/card/handoff/{token}")
        tampered = host_client(merchant_a.host).get(f"/card/handoff/{token[:-2]}xx")
    with time_machine.travel(AT + datetime.timedelta(seconds=61), tick=False):
        late = host_client(merchant_a.host).get(f"/card/handoff/{token}")

    assert [other_host.status_code, tampered.status_code, late.status_code] == [400, 400, 400]
    assert not CardSession.objects.filter(customer=member.customer).exists()


def test_a_stranger_cannot_open_a_card_they_do_not_hold(merchant_a, merchant_b, programme):
    member = member_with(programme, merchant_a.schema)
    client = root_client(member.customer)

    assert client.post("/card/open/beta-gym").status_code == 404
    assert client.get("/card/open/alpha-cafe").status_code == 405
    assert HostClient(settings.BASE_DOMAIN).get("/card/")["Location"].startswith("/card/signin")


def test_the_handoff_token_never_reaches_the_log(merchant_a, programme) -> None:
    member = member_with(programme, merchant_a.schema)
    token = handoff_issue(customer=member.customer, merchant_id=merchant_a.merchant.pk)
    line = f'"GET /card/handoff/{token} HTTP/1.1" 302 0'

    assert redact_secret_paths(line) == '"GET /card/handoff/[secret] HTTP/1.1" 302 0'
    # Django's warning for a refused (400) hand-off names the path too.
    refused = f"Bad Request: /card/handoff/{token}"
    assert redact_secret_paths(refused) == "Bad Request: /card/handoff/[secret]"


def test_a_handoff_for_a_closed_account_signs_nobody_in(merchant_a, programme, host_client):
    member = member_with(programme, merchant_a.schema)
    token = handoff_issue(customer=member.customer, merchant_id=merchant_a.merchant.pk)
    type(member.customer).objects.filter(pk=member.customer_id).update(is_active=False)

    response = host_client(merchant_a.host).get(f"/card/handoff/{token}")

    assert response.status_code == 400 and COOKIE not in response.cookies
    assert not CardSession.objects.filter(customer=member.customer).exists()
