"""The HTTP load harness's accounting (bench/httpload): percentiles, the open loop's
schedule and its latency measured from each operation's due time (no coordinated
omission), wrk's report as the Lua script prints it, against a stub server on loopback
(no Django, no database)."""

import shutil
import socketserver
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from bench.httpload.load import (
    PLACEHOLDER,
    Step,
    Unanswered,
    Workload,
    _lua_string,
    open_loop,
    percentile,
    schedule,
    wrk_parse,
    wrk_run,
)


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
