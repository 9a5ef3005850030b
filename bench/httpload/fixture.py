"""What the loads run on, and the figures read back from the database and Redis.

`database_create` runs before `django.setup()`; the rest after it, with the settings the
server runs (the command uses `loyalty.settings.production`; a test may use its own,
passing `settings.SECRET_KEY` to the server so that tokens made here are valid there).
"""

from __future__ import annotations

import datetime
import http.client
import os
import re
import secrets
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from http.cookies import SimpleCookie
from io import StringIO
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

from .load import json_step

MINIMAL_TABLES = """
DROP SCHEMA IF EXISTS minimal CASCADE;
CREATE SCHEMA minimal;
CREATE TABLE minimal.balance (
    id bigint PRIMARY KEY,
    points bigint NOT NULL DEFAULT 0,
    updated_at timestamptz
);
CREATE TABLE minimal.history (
    id bigserial PRIMARY KEY,
    balance_id bigint NOT NULL REFERENCES minimal.balance (id),
    points bigint NOT NULL,
    amount numeric(12, 3) NOT NULL,
    balance_after bigint NOT NULL,
    created_at timestamptz NOT NULL
);
CREATE INDEX ON minimal.history (balance_id);
"""


def admin_url(database_url: str) -> str:
    parts = urlsplit(database_url)
    return urlunsplit(parts._replace(scheme="postgresql", path="/postgres"))


def database_create(suffix: str) -> str:
    """A fresh database `<name><suffix>` beside DATABASE_URL's; returns its URL."""
    import psycopg

    parts = urlsplit(os.environ["DATABASE_URL"])
    name = parts.path.lstrip("/") + suffix
    with psycopg.connect(admin_url(os.environ["DATABASE_URL"]), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return urlunsplit(parts._replace(path=f"/{name}"))


def libpq_env(database_url: str) -> dict[str, str]:
    """PGHOST, PGPORT, PGUSER, PGDATABASE for command-line tools (pgbench)."""
    parts = urlsplit(database_url)
    query = parse_qs(parts.query)
    env = {"PGDATABASE": parts.path.lstrip("/"), "PGUSER": parts.username or "postgres"}
    host = query.get("host", [parts.hostname or ""])[0]
    if host:
        env["PGHOST"] = host
    if parts.port:
        env["PGPORT"] = str(parts.port)
    if parts.password:
        env["PGPASSWORD"] = parts.password
    return env


@dataclass
class Fixture:
    slug: str
    schema: str
    host: str  # the merchant's domain, without a port
    member_ids: list[int]
    member_numbers: list[str]
    customer_ids: list[int]
    staff_ids: list[int]
    counter_logins: list[tuple[str, str]] = field(default_factory=list)  # email, password


def fixture_create(
    *,
    members: int,
    staff: int,
    counter_staff: int,
    slug: str,
    progress: Callable[[str], None] = lambda text: None,
) -> Fixture:
    """Migrate, then one paying merchant on the unlimited plan with the seed's programme (tiers,
    a weekly campaign and a daily cap, so every rule of the earn runs), `staff` cashiers
    for tokens (throttles count per staff member), `counter_staff` cashiers with a
    password for the dashboard, and `members` members."""
    from django.core.management import call_command
    from django_tenants.utils import tenant_context

    from billing.models import Plan
    from points.models import Campaign, PointsSettings
    from points.tests.factories import programme_create
    from tenants.models import Merchant
    from tenants.roles import Role
    from tenants.services import merchant_create, staff_create

    started = time.perf_counter()
    call_command("migrate_schemas", shared=True, verbosity=0)
    merchant = merchant_create(
        name="Bench HTTP",
        slug=slug,
        owner_email=f"owner@{slug}.example",
        owner_password=secrets.token_urlsafe(16),
    ).merchant
    merchant.plan = Plan.objects.get(code="pro")
    merchant.billing_status = Merchant.Billing.ACTIVE
    merchant.save(update_fields=["plan", "billing_status"])
    with tenant_context(merchant):
        programme = programme_create()
        PointsSettings.objects.filter(pk=1).update(daily_earn_cap=1_000_000, expiry_months=12)
        Campaign.objects.create(
            name="Happy Hour",
            kind=Campaign.Kind.WEEKLY,
            multiplier=Decimal("2"),
            weekdays="2",
            start_time=datetime.time(16),
            end_time=datetime.time(18),
        )
        staff_ids = [
            staff_create(email=f"cashier{i}@{slug}.example", role=Role.CASHIER, password=None).pk
            for i in range(staff)
        ]
        logins = []
        for i in range(counter_staff):
            email, password = f"counter{i}@{slug}.example", secrets.token_urlsafe(16)
            staff_create(email=email, role=Role.CASHIER, password=password)
            logins.append((email, password))
        progress(f"migrated, merchant and {staff + counter_staff} staff in {_since(started)}")
        started = time.perf_counter()
        joined = [programme.member() for _ in range(members)]
        progress(f"{members} members joined (membership_join) in {_since(started)}")
    return Fixture(
        slug=slug,
        schema=merchant.schema_name,
        host=merchant.domains.get(is_primary=True).domain,
        member_ids=[m.pk for m in joined],
        member_numbers=[m.member_number for m in joined],
        customer_ids=[m.customer_id for m in joined],
        staff_ids=staff_ids,
        counter_logins=logins,
    )


def _since(started: float) -> str:
    return f"{time.perf_counter() - started:.0f} s"


def staff_tokens(fx: Fixture) -> list[str]:
    from loyalty.api.tokens import STAFF, tokens_issue

    return [
        tokens_issue(kind=STAFF, subject_id=pk, schema=fx.schema)["access"] for pk in fx.staff_ids
    ]


def customer_tokens(fx: Fixture) -> list[str]:
    from loyalty.api.tokens import CUSTOMER, tokens_issue

    return [tokens_issue(kind=CUSTOMER, subject_id=pk)["access"] for pk in fx.customer_ids]


def card_tokens(fx: Fixture) -> list[str]:
    """Each member's card QR token, as the app shows it (valid CARD_TOKEN_SECONDS)."""
    from django_tenants.utils import schema_context

    from points.card import card_token_make
    from points.models import Membership

    with schema_context(fx.schema):
        return [card_token_make(Membership(pk=pk)) for pk in fx.member_ids]


def earn_entries(fx: Fixture) -> int:
    from django_tenants.utils import schema_context

    from points.models import LedgerEntry

    with schema_context(fx.schema):
        return LedgerEntry.objects.filter(kind=LedgerEntry.Kind.EARN).count()


def minimal_tables_create(members: int) -> None:
    """The minimal app's tables with `members` balances (ids 1..members)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(MINIMAL_TABLES)
        cursor.execute("INSERT INTO minimal.balance (id) SELECT generate_series(1, %s)", [members])


def minimal_entries() -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM minimal.history")
        return int(cursor.fetchone()[0])


_redis_clients: dict[str, Any] = {}


def redis_calls(url: str) -> Counter[str]:
    """Commands served so far by the Redis at `url`, by command. Asked on one connection
    kept open, so that asking adds only INFO, which is left out."""
    import redis

    client = _redis_clients.get(url)
    if client is None:
        client = _redis_clients[url] = redis.Redis.from_url(url)
    stats: dict[str, Any] = client.info("commandstats")  # type: ignore[assignment]
    return Counter(
        {
            name.removeprefix("cmdstat_"): int(value["calls"])
            for name, value in stats.items()
            if name != "cmdstat_info"
        }
    )


def redis_pid(url: str) -> int | None:
    import redis

    client = redis.Redis.from_url(url)
    try:
        server: dict[str, Any] = client.info("server")  # type: ignore[assignment]
        return int(server["process_id"])
    finally:
        client.close()


def postgres_data_directory() -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW data_directory")
        return str(cursor.fetchone()[0])


@dataclass
class InProcess:
    statements: list[int]  # per earn
    sample: list[str]  # the statements of the last one
    redis: Counter[str]  # commands per earn


def earn_in_process(fx: Fixture, token: str, member_ids: list[int], redis_url: str) -> InProcess:
    """The earn's statements and Redis calls, one request after another through Django's
    test client in this process (the whole middleware and DRF stack, the same settings
    as the server)."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_HOST=fx.host)
    counts: list[int] = []
    sample: list[str] = []
    before = redis_calls(redis_url)
    for member in member_ids:
        step = json_step("POST", "/api/v1/staff/earn", {"member_id": member, "amount": "7.250"}, {})
        with CaptureQueriesContext(connection) as queries:
            response = client.post(
                step.path,
                data=step.body,
                content_type="application/json",
                HTTP_AUTHORIZATION=f"Bearer {token}",
                HTTP_IDEMPOTENCY_KEY=f"in-process-{uuid.uuid4().hex}",
            )
        if response.status_code != 201:
            raise RuntimeError(f"in-process earn: {response.status_code} {response.content!r}")
        counts.append(len(queries.captured_queries))
        sample = [query["sql"] for query in queries.captured_queries]
    used = redis_calls(redis_url) - before
    per_earn = Counter({name: round(n / len(member_ids), 2) for name, n in used.items()})
    return InProcess(counts, sample, per_earn)  # type: ignore[arg-type]


def dashboard_login(
    address: tuple[str, int], host: str, email: str, password: str
) -> tuple[str, str]:
    """Sign in to the merchant dashboard as the sign-in page does: (sessionid, csrftoken)."""
    conn = http.client.HTTPConnection(*address, timeout=60)
    try:
        conn.request("GET", "/admin/login/", headers={"Host": host})
        page = conn.getresponse()
        body = page.read().decode()
        cookies: SimpleCookie = SimpleCookie()
        for value in page.headers.get_all("Set-Cookie") or []:
            cookies.load(value)
        found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', body)
        if page.status != 200 or found is None or "csrftoken" not in cookies:
            raise RuntimeError(f"dashboard sign-in page: {page.status}")
        form = urlencode(
            {
                "csrfmiddlewaretoken": found.group(1),
                "username": email,
                "password": password,
                "next": "/admin/",
            }
        )
        conn.request(
            "POST",
            "/admin/login/",
            body=form,
            headers={
                "Host": host,
                "Content-Type": "application/x-www-form-urlencoded",
                "Cookie": f"csrftoken={cookies['csrftoken'].value}",
            },
        )
        answer = conn.getresponse()
        answer.read()
        for value in answer.headers.get_all("Set-Cookie") or []:
            cookies.load(value)
        if answer.status != 302 or "sessionid" not in cookies:
            raise RuntimeError(f"dashboard sign-in refused: {answer.status}")
        return cookies["sessionid"].value, cookies["csrftoken"].value
    finally:
        conn.close()


def reconcile() -> tuple[bool, str]:
    """`manage.py reconcile`: (no drift, its output)."""
    from django.core.management import call_command
    from django.core.management.base import CommandError

    out = StringIO()
    try:
        call_command("reconcile", stdout=out)
    except CommandError as error:
        return False, out.getvalue() + f"\n{error}"
    return True, out.getvalue()
