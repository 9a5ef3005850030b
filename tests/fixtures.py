"""Fixtures shared by every test: merchants created once per session, and clients
that speak to a merchant's host.

Merchant schemas are expensive, so `merchant_a` and `merchant_b` are created once,
committed, and reused by every test; each test then runs in a transaction that is
rolled back, so what a test writes inside a schema disappears after it.
"""

import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.conf import settings
from django.core.cache import cache
from django.core.management import call_command
from django.db import connections
from django.test import Client
from django.utils import translation
from django_tenants.utils import schema_context

from billing.models import Plan
from loyalty.db import connection
from points.models import LedgerEntry
from points.tests.factories import Programme, programme_create
from tenants.models import Merchant
from tenants.selectors import host_forget_local_all, merchant_host
from tenants.services import merchant_create

PASSWORD = "counter-pass-2026"
DEMO_SCHEMAS = ("cafe_aroma", "fresh_fitness", "bella_salon")


@dataclass(frozen=True)
class TestMerchant:
    merchant: Merchant
    owner_email: str

    @property
    def schema(self) -> str:
        return self.merchant.schema_name

    @property
    def host(self) -> str:
        return merchant_host(self.merchant)


def _provision(django_db_blocker: pytest.FixtureRequest, slug: str, name: str) -> TestMerchant:
    with django_db_blocker.unblock():  # type: ignore[attr-defined]
        email = f"owner@{slug}.test"
        existing = Merchant.objects.filter(slug=slug).first()
        merchant = (
            existing
            or merchant_create(
                name=name, slug=slug, owner_email=email, owner_password=PASSWORD, city="Amman"
            ).merchant
        )
        paying_on_pro(merchant)
    return TestMerchant(merchant, email)


def paying_on_pro(merchant: Merchant) -> None:
    """A paying merchant on the plan without limits, so that no test meets the end of a
    trial or a plan's limit unless it sets them up (billing tests do)."""
    merchant.plan = Plan.objects.get(code="pro")
    merchant.billing_status = Merchant.Billing.ACTIVE
    merchant.save(update_fields=["plan", "billing_status"])


@pytest.fixture(scope="session")
def merchant_a(django_db_setup: None, django_db_blocker: pytest.FixtureRequest) -> TestMerchant:
    return _provision(django_db_blocker, "alpha-cafe", "Alpha Café")


@pytest.fixture(scope="session")
def merchant_b(django_db_setup: None, django_db_blocker: pytest.FixtureRequest) -> TestMerchant:
    return _provision(django_db_blocker, "beta-gym", "Beta Gym")


def _clear_cache() -> None:
    """Drop this run's cache keys: a rolled-back test must not leave cached rows behind."""
    prefix = settings.CACHES["default"]["KEY_PREFIX"]
    client = cache._cache.get_client(write=True)  # type: ignore[attr-defined]
    keys = list(client.scan_iter(match=f"*:{prefix}:*", count=1000))
    keys += list(client.scan_iter(match=f"{prefix}-platform:*", count=1000))
    if keys:
        client.delete(*keys)
    host_forget_local_all()  # the host lookups this process keeps in front of Redis


@pytest.fixture(autouse=True)
def _isolated_state() -> Iterator[None]:
    _clear_cache()
    connection.set_schema_to_public()
    translation.activate(settings.LANGUAGE_CODE)
    yield
    # A request in Arabic leaves its language active in the thread (LocaleMiddleware
    # activates it and nothing deactivates it): the next test starts in English again.
    translation.activate(settings.LANGUAGE_CODE)
    connection.set_schema_to_public()
    _clear_cache()


class HostClient(Client):
    """A test client that sends every request to one host, as a browser would."""

    def __init__(self, host: str, **defaults: Any) -> None:
        super().__init__(HTTP_HOST=f"{host}:8000", **defaults)
        self.host = host


@pytest.fixture
def host_client() -> type[HostClient]:
    return HostClient


@pytest.fixture
def platform_client() -> HostClient:
    return HostClient(settings.BASE_DOMAIN)


@pytest.fixture
def in_schema() -> type[schema_context]:
    return schema_context


@pytest.fixture(scope="session")
def busy_merchant(django_db_setup: None, django_db_blocker: Any) -> tuple[str, Programme]:
    with django_db_blocker.unblock():
        merchant = merchant_create(
            name="Busy Bakery", slug="busy-bakery", owner_email="owner@busy.test"
        ).merchant
        paying_on_pro(merchant)
        with schema_context(merchant.schema_name):
            return merchant.schema_name, programme_create()


@pytest.fixture(scope="session")
def demo(django_db_setup, django_db_blocker) -> dict[str, int]:
    """Seed once for the session (committed); returns ledger sizes after the first run."""
    with django_db_blocker.unblock():
        call_command("seed_demo", verbosity=0)
        sizes = {}
        for schema in DEMO_SCHEMAS:
            with schema_context(schema):
                sizes[schema] = LedgerEntry.objects.count()
        return sizes


def worker_start(queue: str, **extra_env: str) -> subprocess.Popen[bytes]:
    """Start a Celery worker process on the test database and Redis, consuming `queue`
    (and queueing its own follow-up tasks there); returns once it answers a ping."""
    env = dict(os.environ)
    db = connection.settings_dict
    host = db["HOST"] or db.get("OPTIONS", {}).get("host", "")
    env["DATABASE_URL"] = f"postgres://{db['USER']}@/{db['NAME']}?host={host}"
    env["DJANGO_SETTINGS_MODULE"] = "loyalty.settings.test"
    env["CELERY_TASK_DEFAULT_QUEUE"] = queue
    env.update(extra_env)
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "loyalty",
            "worker",
            "--pool=solo",
            "--queues",
            queue,
            "--hostname",
            f"celery@{queue}",
            "--loglevel=WARNING",
            "--without-gossip",
            "--without-mingle",
        ],
        env=env,
        cwd=settings.BASE_DIR,
    )
    from loyalty.celery import app

    deadline = time.monotonic() + 30
    name = f"celery@{queue}"
    while not app.control.ping(destination=[name], timeout=0.5):
        if worker.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError("the Celery worker did not start")
    return worker


def worker_drained(queue: str, timeout: float = 60) -> None:
    """Wait until the test worker on `queue` has run what is queued, including what those
    tasks queue in turn (the sweep a worker queues when it starts, then its relays).

    The worker runs one task at a time in the order queued: when a no-op task queued last
    has run, nothing is left in the queue, and the worker says it holds nothing, it is
    idle."""
    import redis

    from loyalty.celery import app

    no_op = app.tasks["celery.accumulate"]
    inspect = app.control.inspect(destination=[f"celery@{queue}"], timeout=1)
    broker = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    deadline = time.monotonic() + timeout
    try:
        while True:
            no_op.apply_async(args=(0,), kwargs={"index": 0}, queue=queue).get(timeout=timeout)
            if broker.llen(queue) == 0:
                active, reserved = inspect.active() or {}, inspect.reserved() or {}
                if active and reserved and not any(active.values()) and not any(reserved.values()):
                    return
            if time.monotonic() > deadline:
                raise RuntimeError(f"the Celery worker on {queue} did not go idle")
    finally:
        broker.close()


@pytest.fixture(scope="session")
def celery_worker_process(django_db_setup: None) -> Iterator[subprocess.Popen[bytes]]:
    """A real Celery worker process on the test database and the test Redis."""
    from loyalty.celery import app

    queue = f"test-{os.getpid()}"
    worker = worker_start(queue)
    app.conf.task_default_queue = queue
    yield worker
    worker.terminate()
    worker.wait(10)


@pytest.fixture
def eager() -> Iterator[None]:
    """Queued tasks run at once in this process (inside the test's transaction)."""
    from loyalty.celery import app

    app.conf.task_always_eager = True
    app.conf.task_eager_propagates = True
    yield
    app.conf.task_always_eager = False
    app.conf.task_eager_propagates = False


@pytest.fixture
def programme(db: None, merchant_a: TestMerchant) -> Iterator[Programme]:
    """The seed's programme inside merchant A's schema; the test runs in that schema."""
    with schema_context(merchant_a.schema):
        yield programme_create()


@pytest.fixture(scope="session")
def live_url(django_db_setup: None, django_db_blocker: Any) -> Iterator[str]:
    """The app served on a free port in this process, for a real browser. Each request
    has its own database connection, so it sees committed data (the session fixtures)."""
    from django.contrib.staticfiles.handlers import StaticFilesHandler
    from django.core.servers.basehttp import ThreadedWSGIServer, WSGIRequestHandler
    from django.core.wsgi import get_wsgi_application

    class QuietHandler(WSGIRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

    app = StaticFilesHandler(get_wsgi_application())

    def closing_app(environ: dict[str, Any], start_response: Any) -> Any:
        # Each request runs in a thread of its own: close its connection when done.
        try:
            return app(environ, start_response)
        finally:
            connections.close_all()

    server = ThreadedWSGIServer(("127.0.0.1", 0), QuietHandler, allow_reuse_address=False)
    server.set_app(closing_app)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://{{host}}:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
    # A browser may leave a request thread behind: free the test database for teardown.
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )


@pytest.fixture
def card_client() -> Any:
    """`card_client(host, customer)`: a client on `host` signed in to the web card as
    `customer` (a session row and its cookie, as the sign-in leaves them)."""
    from webcard.sessions import COOKIE, session_create

    def make(host: str, customer: Any) -> HostClient:
        merchant = Merchant.objects.filter(domains__domain=host).first()
        client = HostClient(host)
        client.cookies[COOKIE] = session_create(customer=customer, merchant=merchant)
        return client

    return make
