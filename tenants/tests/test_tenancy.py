"""Hosts choose schemas; nothing crosses from one merchant to another."""

import io
import logging

import pytest
from django.contrib.auth.models import User
from django.core.cache import cache
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import schema_context

from loyalty.db import connection
from tenants.models import Domain
from tenants.services import merchant_create, merchant_resume, merchant_suspend
from tests.fixtures import PASSWORD

pytestmark = pytest.mark.django_db


def test_a_row_in_one_merchant_is_invisible_from_another_by_orm(merchant_a, merchant_b) -> None:
    with schema_context(merchant_a.schema):
        User.objects.create_user("only-in-a@example.jo", password="x")
        assert User.objects.filter(username="only-in-a@example.jo").count() == 1

    with schema_context(merchant_b.schema):
        assert not User.objects.filter(username="only-in-a@example.jo").exists()
        assert list(User.objects.values_list("username", flat=True)) == [merchant_b.owner_email]


def test_staff_login_and_session_work_only_on_their_own_merchant_host(
    merchant_a, merchant_b, host_client
) -> None:
    on_a = host_client(merchant_a.host)
    response = on_a.post(
        "/admin/login/?next=/admin/",
        {"username": merchant_a.owner_email, "password": PASSWORD},
    )
    assert response.status_code == 302 and response.headers["Location"] == "/admin/"
    assert on_a.get("/admin/").status_code == 200

    # The same cookie jar, sent to merchant B, is not a session there.
    on_a.defaults["HTTP_HOST"] = f"{merchant_b.host}:8000"
    response = on_a.get("/admin/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/admin/login/")

    # And merchant A's owner cannot sign in on merchant B.
    on_b = host_client(merchant_b.host)
    response = on_b.post(
        "/admin/login/?next=/admin/",
        {"username": merchant_a.owner_email, "password": PASSWORD},
    )
    assert response.status_code == 200
    assert "_auth_user_id" not in on_b.session


def test_the_api_answers_with_the_merchant_of_the_host(merchant_a, merchant_b, host_client):
    for merchant, name in ((merchant_a, "Alpha Café"), (merchant_b, "Beta Gym")):
        response = host_client(merchant.host).get("/api/v1/merchant")
        assert response.status_code == 200
        assert response.json()["name"] == name
        assert response.json()["slug"] == merchant.merchant.slug


@pytest.mark.parametrize("path", ["/healthz", "/admin/", "/", "/admin/login/"])
def test_unknown_hosts_get_a_404_page(host_client, path) -> None:
    response = host_client("nowhere.localhost").get(path)
    assert response.status_code == 404
    assert b"No merchant here" in response.content


def test_unknown_hosts_get_a_json_404_under_the_api(host_client) -> None:
    response = host_client("nowhere.localhost").get("/api/v1/merchant")
    assert response.status_code == 404
    assert response.json() == {
        "error": {
            "code": "merchant_not_found",
            "message": "No merchant is served at nowhere.localhost.",
        }
    }


def test_hosts_outside_the_base_domain_are_refused(host_client) -> None:
    assert host_client("evil.example.com").get("/healthz").status_code == 400


def test_the_root_domain_serves_the_platform_not_a_merchant(platform_client) -> None:
    response = platform_client.get("/")
    assert response.status_code == 200
    assert b"Points, tiers and rewards" in response.content
    assert platform_client.get("/api/v1/merchant").status_code == 404


def test_the_host_lookup_is_cached_once_warm(merchant_a, host_client) -> None:
    client = host_client(merchant_a.host)
    with CaptureQueriesContext(connection) as cold:
        assert client.get("/healthz").status_code == 200
    with CaptureQueriesContext(connection) as warm:
        assert client.get("/healthz").status_code == 200

    lookups = [q["sql"] for q in cold.captured_queries if "tenants_domain" in q["sql"]]
    assert len(lookups) == 1
    assert warm.captured_queries == []


def test_a_suspended_merchant_gets_a_clear_suspended_response(merchant_a, host_client) -> None:
    client = host_client(merchant_a.host)
    assert client.get("/api/v1/merchant").status_code == 200  # warms the cache

    merchant_suspend(merchant=merchant_a.merchant, reason="unpaid", actor="ops@platform.jo")

    api = client.get("/api/v1/merchant")
    assert api.status_code == 403
    assert api.json()["error"]["code"] == "merchant_suspended"
    page = client.get("/admin/login/")
    assert page.status_code == 403
    assert b"Alpha Caf" in page.content and b"is suspended" in page.content
    assert client.get("/healthz").status_code == 200

    merchant_resume(merchant=merchant_a.merchant)
    assert client.get("/api/v1/merchant").status_code == 200


def test_a_changed_domain_is_forgotten_at_once(merchant_a, host_client) -> None:
    old = host_client(merchant_a.host)
    assert old.get("/healthz").status_code == 200

    domain = Domain.objects.get(tenant=merchant_a.merchant)
    domain.domain = "alpha-renamed.localhost"
    domain.save()

    assert old.get("/healthz").status_code == 404
    assert host_client("alpha-renamed.localhost").get("/healthz").status_code == 200


def test_a_new_merchant_is_served_at_once_even_after_its_host_was_a_404(host_client) -> None:
    client = host_client("fresh-start.localhost")
    assert client.get("/healthz").status_code == 404  # remembered as unknown

    merchant_create(name="Fresh Start", slug="fresh-start", owner_email="o@fresh.jo")

    assert client.get("/healthz").status_code == 200


def test_cache_keys_carry_the_schema(merchant_a, merchant_b) -> None:
    with schema_context(merchant_a.schema):
        cache.set("greeting", "marhaba from a")
    with schema_context(merchant_b.schema):
        assert cache.get("greeting") is None
        cache.set("greeting", "marhaba from b")
    with schema_context(merchant_a.schema):
        assert cache.get("greeting") == "marhaba from a"
        key = cache.make_key("greeting")
    assert key.startswith(f"{merchant_a.schema}:")


def test_log_lines_carry_the_schema(merchant_a) -> None:
    handler = next(
        h
        for h in logging.getLogger().handlers
        if any(type(f).__name__ == "TenantContextFilter" for f in h.filters)
    )
    stream = io.StringIO()
    previous = handler.setStream(stream)  # type: ignore[attr-defined]
    try:
        with schema_context(merchant_a.schema):
            logging.getLogger("loyalty.test").warning("points awarded")
        logging.getLogger("loyalty.test").warning("platform event")
    finally:
        handler.setStream(previous)  # type: ignore[attr-defined]
    lines = stream.getvalue().splitlines()
    assert f"[{merchant_a.schema}] loyalty.test: points awarded" in lines[0]
    assert "[public] loyalty.test: platform event" in lines[1]
    assert connection.schema_name == "public"
