import pytest
from django.db import connection
from django_tenants.utils import schema_context

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("host", ["localhost", "alpha-cafe.localhost"])
def test_healthz_and_readyz_answer_on_every_host(merchant_a, host_client, host) -> None:
    client = host_client(host)
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json() == {"status": "ok"}


def test_readyz_never_names_the_schema_or_the_merchant(merchant_a, host_client) -> None:
    with schema_context(merchant_a.schema), connection.cursor() as cursor:
        cursor.execute("DELETE FROM django_migrations WHERE app = 'auth' AND name LIKE '0012%%'")

    ready = host_client(merchant_a.host).get("/readyz")

    assert ready.status_code == 503
    assert b"alpha_cafe" not in ready.content and b"alpha" not in ready.content


def test_readyz_fails_when_a_merchant_schema_misses_a_migration(merchant_a, host_client) -> None:
    with schema_context(merchant_a.schema), connection.cursor() as cursor:
        cursor.execute("DELETE FROM django_migrations WHERE app = 'auth' AND name LIKE '0012%%'")

    ready = host_client(merchant_a.host).get("/readyz")

    assert ready.status_code == 503
    assert ready.json() == {"status": "unavailable", "problems": ["migrations: 1 not applied"]}


def test_readyz_fails_when_redis_is_unreachable(merchant_a, host_client, settings) -> None:
    settings.REDIS_URL = "redis://127.0.0.1:1/0"

    ready = host_client("localhost").get("/readyz")

    assert ready.status_code == 503
    assert ready.json()["problems"] == ["redis: ConnectionError"]
