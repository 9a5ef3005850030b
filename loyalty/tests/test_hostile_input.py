"""Input no view should see is refused at the edge, in the error shape under /api/ and as
a plain 400 page elsewhere: never a 500 (a debug page under `make run`)."""

import json

import pytest
from django.conf import settings
from django.test import override_settings
from django_tenants.utils import schema_context

from points.models import LedgerEntry
from tests.api import api, staff_sign_in
from tests.fixtures import PASSWORD, HostClient

pytestmark = pytest.mark.django_db

DEEP_LIST = "[" * 1000 + "]" * 1000
DEEP_OBJECT = '{"a": ' * 1000 + "1" + "}" * 1000


def refused(response, code: str, status: int = 400) -> None:
    assert response.status_code == status, response.content[:300]
    assert response.json()["error"]["code"] == code


@pytest.mark.parametrize(
    "query", ["q=a%00b", "category=%00", "city=Amman%00", "q%00=a", "q=a\x00b"]
)
def test_a_nul_byte_in_the_query_string_is_refused(merchant_a, query) -> None:
    response = api("localhost").get(f"/api/v1/merchants?{query}")
    refused(response, "malformed_request")


def test_a_nul_byte_in_the_path_or_a_header_is_refused(merchant_a) -> None:
    refused(api("localhost").get("/api/v1/merchants/a%00b"), "malformed_request")
    refused(api("localhost").get("/api/v1/merchants", HTTP_X_APP="a\x00b"), "malformed_request")
    client = api("localhost")
    client.cookies["sessionid"] = "abc\x00def"
    refused(client.get("/api/v1/merchants"), "malformed_request")


@pytest.mark.parametrize("body", [DEEP_LIST, DEEP_OBJECT, '{"phone": ' + DEEP_LIST + "}"])
def test_a_deeply_nested_json_body_is_refused(merchant_a, body) -> None:
    response = api("localhost").post(
        "/api/v1/auth/otp/request", data=body, content_type="application/json"
    )
    refused(response, "malformed_request")


def test_a_nul_character_inside_a_json_string_is_refused(merchant_a, programme) -> None:
    member = programme.member()
    token = staff_sign_in(merchant_a.host, merchant_a.owner_email, PASSWORD)
    client = api(merchant_a.host, token["access"])
    before = LedgerEntry.objects.count()
    body = json.dumps({"member_id": member.pk, "amount": "5.000\u0000"})
    response = client.post("/api/v1/staff/earn", data=body, content_type="application/json")
    refused(response, "malformed_request")
    key = json.dumps({"phone\u0000": "+962791234567"})
    response = api("localhost").post(
        "/api/v1/auth/otp/request", data=key, content_type="application/json"
    )
    refused(response, "malformed_request")
    with schema_context(merchant_a.schema):
        assert LedgerEntry.objects.count() == before


def test_a_body_above_the_upload_limit_is_413(merchant_a) -> None:
    huge = '{"phone": "' + "9" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1) + '"}'
    response = api("localhost").post(
        "/api/v1/auth/otp/request", data=huge, content_type="application/json"
    )
    refused(response, "request_too_large", 413)
    form = "name=" + "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)
    page = HostClient("localhost").post(
        "/signup/", data=form, content_type="application/x-www-form-urlencoded"
    )
    assert page.status_code == 413
    assert page["Content-Type"].startswith("text/html")


def test_a_wrong_content_type_is_415(merchant_a) -> None:
    response = api("localhost").post(
        "/api/v1/auth/otp/request", data="phone=1", content_type="text/plain"
    )
    refused(response, "unsupported_media_type", 415)


def test_the_counter_refuses_a_body_that_is_not_json(merchant_a, programme) -> None:
    member = programme.member()
    client = HostClient(merchant_a.host)
    client.post("/admin/login/", {"username": merchant_a.owner_email, "password": PASSWORD})
    before = LedgerEntry.objects.count()
    for data, content_type in [
        (f"member_id={member.pk}&amount=5", "multipart/form-data; boundary=x"),
        (f"member_id={member.pk}&amount=5", "text/plain"),
        (DEEP_OBJECT, "application/json"),
        (json.dumps({"member_id": member.pk, "amount": "5\u0000"}), "application/json"),
    ]:
        response = client.post("/admin/counter/earn", data=data, content_type=content_type)
        assert response.status_code in (400, 415), (content_type, response.content[:300])
        assert response.json()["error"]["code"] in ("malformed_request", "unsupported_media_type")
    with schema_context(merchant_a.schema):
        assert LedgerEntry.objects.count() == before


@pytest.mark.parametrize("debug", [False, True])
def test_dashboard_forms_answer_a_plain_400_page(merchant_a, debug) -> None:
    with override_settings(DEBUG=debug):
        client = HostClient("localhost", raise_request_exception=False)
        pages = [
            client.post("/signup/", {"name": "Café\x00", "slug": "x"}),
            client.get("/admin/tenants/merchant/?q=a%00b"),
            client.post("/admin/login/", {"username": "a\x00b", "password": "x"}),
            HostClient(merchant_a.host, raise_request_exception=False).get(
                "/admin/points/membership/?q=%00"
            ),
            client.post("/signup/", data="--x\r\n", content_type="multipart/form-data"),
        ]
    for page in pages:
        assert page.status_code == 400, page.content[:300]
        assert page["Content-Type"].startswith("text/html")
        text = page.content.decode()
        assert "Traceback" not in text and "settings.py" not in text
        assert "The request could not be read" in text
