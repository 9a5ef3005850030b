"""The HTTP load harness (bench/httpload): its accounting (percentiles, the open loop's
schedule and its latency measured from each operation's due time, so no coordinated
omission; wrk's report as the Lua script prints it) against a stub server on loopback,
then the library as a fault test would use it, against the production server."""

import shutil
import socketserver
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.conf import settings
from django_tenants.utils import schema_context

from bench.httpload.load import (
    PLACEHOLDER,
    Step,
    Unanswered,
    Workload,
    _lua_string,
    open_loop,
    percentile,
    retry_unanswered,
    schedule,
    wrk_parse,
    wrk_run,
)
from bench.httpload.server import FULL_APP, GunicornConfig, Server, production_env
from bench.httpload.workloads import earn_api
from loyalty.api.tokens import STAFF, tokens_issue
from loyalty.db import connection
from points.models import LedgerEntry
from points.reconcile import reconcile
from points.tests.factories import programme_create
from tenants.models import Merchant
from tenants.selectors import merchant_host
from tenants.services import merchant_create
from tests.fixtures import paying_on_pro


def test_percentile_is_the_nearest_rank() -> None:
    values = [50, 15, 40, 20, 35]
    assert [percentile(values, p) for p in (5, 30, 40, 50, 100)] == [15, 20, 20, 35, 50]
    assert percentile(list(range(1, 101)), 99) == 99
    assert percentile(list(range(1, 101)), 99.9) == 100
    assert percentile([7.5], 50) == 7.5


def test_the_open_loop_schedule_is_evenly_spaced() -> None:
    assert schedule(4, 1.5) == [0.0, 0.25, 0.5, 0.75, 1.0, 1.25]
    assert len(schedule(350, 15)) == 5250


def test_requests_carry_their_key_and_length() -> None:
    workload = Workload(
        "earn",
        "shop.localhost:8000",
        [
            (
                Step(
                    "POST",
                    "/earn",
                    {"Idempotency-Key": PLACEHOLDER},
                    b'{"k":"' + PLACEHOLDER.encode() + b'"}',
                ),
            )
        ],
    )
    raw = workload.render(0, 1, "abcdef-001-000000042")
    assert raw == (
        b"POST /earn HTTP/1.1\r\nHost: shop.localhost:8000\r\nIdempotency-Key: abcdef-001-000000042"
        b'\r\nContent-Length: 28\r\n\r\n{"k":"abcdef-001-000000042"}'
    )
    assert _lua_string(b'a"b\\\r\n\xc3') == '"a\\"b\\\\\\013\\010\\195"'


def test_wrk_report_is_read_back() -> None:
    output = "\n".join(
        [
            "Running 15s test @ http://127.0.0.1:8000",
            "THREAD 1 101 100 100",
            "CODE 1:201 100",
            "PENDING 7 ab12cd-001-000000101 1 1",
            "THREAD 2 100 100 99",
            "CODE 1:201 99",
            "CODE 1:429 1",
            "LATENCY 50 21000",
            "LATENCY 95 48500",
            "LATENCY 99 61250",
            "SUMMARY 15000000 200 0 0 0 1 0",
        ]
    )
    result = wrk_parse(output, "earn", 15, 0.5)
    assert (result.answered, result.acked, result.seconds) == (200, 199, 15.0)
    assert result.latency_ms == {50.0: 21.0, 95.0: 48.5, 99.0: 61.25}
    assert result.unanswered == [Unanswered(6, "ab12cd-001-000000101", 1, 1)]
    assert result.codes == {"1:201": 199, "1:429": 1}
    assert result.failed == 2  # the 429 and the request in flight at the stop
    assert result.per_second == pytest.approx(199 / 15)


class _Stub(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, hold_first: float) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.hold_first = hold_first
        self.keys: list[str] = []
        self.lock = threading.Lock()

    @property
    def address(self) -> tuple[str, int]:
        return ("127.0.0.1", int(self.server_address[1]))


class _Handler(socketserver.StreamRequestHandler):
    server: _Stub

    def handle(self) -> None:
        while True:
            lines = []
            while (line := self.rfile.readline()) not in (b"\r\n", b""):
                lines.append(line.decode().strip())
            if not lines:
                return
            headers = dict(line.split(": ", 1) for line in lines[1:])
            self.rfile.read(int(headers.get("Content-Length", 0)))
            with self.server.lock:
                self.server.keys.append(headers.get("Idempotency-Key", ""))
                first = len(self.server.keys) == 1
            if first:
                time.sleep(self.server.hold_first)
            self.wfile.write(b"HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok")


@contextmanager
def stub(hold_first: float = 0.0) -> Iterator[_Stub]:
    server = _Stub(hold_first)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def _earns(host: str) -> Workload:
    step = Step("POST", "/earn", {"Idempotency-Key": PLACEHOLDER}, b"{}")
    return Workload("earn", host, [(step,)] * 10, retry_safe=True)


def test_open_loop_measures_from_the_due_time() -> None:
    """One connection, 20 operations due 10 ms apart, the first held 100 ms: the nine
    due while it is held wait for it, and their latency counts the wait (a closed loop
    would time them from their late send, near zero)."""
    with stub(hold_first=0.1) as server:
        result = open_loop(server.address, _earns("x"), rate=100, seconds=0.2, connections=1)
    assert (result.answered, result.acked, dict(result.codes)) == (20, 20, {"1:201": 20})
    assert result.unanswered == []
    assert len(set(server.keys)) == 20
    assert all(len(key) == len(PLACEHOLDER) for key in server.keys)
    # Sorted latencies: ten short, then at least 10, 20, ..., 100 ms: p95 is the 19th.
    assert result.latency_ms[95] >= 85
    assert result.late_ms_p99 is not None and result.late_ms_p99 >= 85


@pytest.mark.skipif(shutil.which("wrk") is None, reason="wrk is not installed")
def test_wrk_counts_every_answered_operation() -> None:
    with stub() as server:
        result = wrk_run(server.address, _earns("x"), seconds=1, connections=2)
        time.sleep(0.1)
        received = len(server.keys)
    assert result.acked == result.answered == result.codes["1:201"] > 0
    # Each thread has one connection: at most its last request is still unanswered; and
    # wrk asked thread 1 for one request before the run, to check the script.
    assert len([u for u in result.unanswered if not u.lost]) <= 2
    assert len([u for u in result.unanswered if u.lost]) == 1
    assert result.answered <= received <= result.answered + len(result.unanswered)


# --- the library against the production server, as a fault test would drive it ---------


@pytest.fixture(scope="module")
def load_merchant(django_db_setup: None, django_db_blocker: Any) -> tuple[str, str, list[int], int]:
    """A merchant of its own (committed, for the server's process): schema, host, 20
    members and a cashier."""
    with django_db_blocker.unblock():
        merchant = (
            Merchant.objects.filter(slug="load-test").first()
            or (
                merchant_create(name="Load Test", slug="load-test", owner_email="owner@load.test")
            ).merchant
        )
        paying_on_pro(merchant)
        with schema_context(merchant.schema_name):
            programme = programme_create()
            members = [programme.member().pk for _ in range(20)]
        return merchant.schema_name, merchant_host(merchant), members, programme.cashier.pk


def _earns_in(schema: str) -> int:
    with schema_context(schema):
        return LedgerEntry.objects.filter(kind=LedgerEntry.Kind.EARN).count()


@pytest.mark.django_db  # the test database is made only when a test is marked so
def test_every_earn_acknowledged_under_load_is_one_ledger_entry(
    load_merchant: tuple[str, str, list[int], int],
) -> None:
    """The production server (gunicorn gthread, production settings, pooled connections)
    on the test database, loaded for a second by wrk and by the open loop: the earns
    acknowledged, those wrk left unanswered settled by sending them again, equal the
    ledger's new entries, and the ledger reconciles."""
    schema, host, members, cashier = load_merchant
    db = connection.settings_dict
    socket_dir = db["HOST"] or db.get("OPTIONS", {}).get("host", "")
    env = {
        **production_env(settings.SECRET_KEY),
        "DATABASE_URL": f"postgres://{db['USER']}@/{db['NAME']}?host={socket_dir}",
    }
    token = tokens_issue(kind=STAFF, subject_id=cashier, schema=schema)["access"]
    before = _earns_in(schema)
    with Server(FULL_APP, env, GunicornConfig(workers=1, threads=4), ready_host=host) as server:
        workload = earn_api(f"{host}:{server.port}", members, [token])
        peak = wrk_run(server.address, workload, seconds=1, connections=4)
        retry_unanswered(server.address, workload, peak)
        paced = open_loop(server.address, workload, rate=10, seconds=1)
    # The test's transaction reads what the server committed (read committed).
    after = _earns_in(schema)
    with schema_context(schema):
        drifts = reconcile().drifts
    assert peak.acked > 0 and paced.acked == 10
    assert set(peak.codes) == set(paced.codes) == {"1:201"}
    assert after - before == peak.acknowledged + paced.acknowledged
    assert drifts == []
