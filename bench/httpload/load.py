"""Load generators, from a process other than the server's.

* `wrk_run`: Debian's wrk, closed loop (each connection sends its next request when the
  last one is answered), for the peak rate. One connection per wrk thread, so the Lua
  script (`wrk.lua`) knows which request each response answers: it counts the answered
  operations and names those still unanswered when wrk stops.
* `open_loop`: a Python asyncio generator sending at a fixed rate whatever the answers
  do, each operation's latency measured from the instant it was due to be sent (not from
  when a connection was free), so a slow answer delays the measure of every operation
  queued behind it, as it delays the customers behind it: no coordinated omission.
  wrk cannot do this: its Lua `delay()` only pauses a connection after its answer, so
  the schedule slips when the server slows and the latency is taken from the late send.
  (wrk2 paces properly but is not packaged in Debian.)
* `retry_unanswered`: sends again, with the same key, each earn that was sent without
  an answer, as a client that lost its connection would: the idempotency key makes a
  retry replay the first result if there was one, so the answered earns can be
  compared exactly with the ledger's new entries.

A workload is a list of operations; an operation is one or more requests sent in turn on
one connection (a scan, then the earn). `PLACEHOLDER` in a request stands for the
operation's key (Idempotency-Key, the counter's attempt).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import math
import os
import re
import resource
import shutil
import subprocess
import tempfile
import time
from collections import Counter
from collections.abc import Coroutine, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

PLACEHOLDER = "@@KEY@@@@@@@@@@@@@@@"
PERCENTILES = (50.0, 95.0, 99.0)
WRK = os.environ.get("WRK", shutil.which("wrk") or "/usr/bin/wrk")
LUA = Path(__file__).with_name("wrk.lua")
# gunicorn closes a keep-alive connection idle for 2 s: the open-loop generator drops
# its own idle ones sooner rather than race the server's close.
STALE_SECONDS = 1.0


def key_make(tag: str, thread: int, number: int) -> str:
    """An operation's key, as long as PLACEHOLDER (wrk.lua builds the same)."""
    key = f"{tag}-{thread:03d}-{number:09d}"
    assert len(key) == len(PLACEHOLDER), key
    return key


def tag_make() -> str:
    return os.urandom(3).hex()


@dataclass(frozen=True)
class Step:
    method: str
    path: str
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""

    def raw(self, host: str) -> bytes:
        lines = [f"{self.method} {self.path} HTTP/1.1", f"Host: {host}"]
        lines += [f"{name}: {value}" for name, value in self.headers.items()]
        if self.body or self.method in ("POST", "PUT", "PATCH"):
            lines.append(f"Content-Length: {len(self.body)}")
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + self.body


def json_step(method: str, path: str, data: dict, headers: dict[str, str]) -> Step:
    return Step(
        method,
        path,
        {**headers, "Content-Type": "application/json"},
        json.dumps(data, separators=(",", ":")).encode(),
    )


Op = tuple[Step, ...]


@dataclass
class Workload:
    name: str
    host: str  # the Host header
    ops: Sequence[Op]
    # Its final step is an earn with its key: an unanswered one may be sent again.
    retry_safe: bool = False

    def render(self, op: int, step: int, key: str) -> bytes:
        """Step `step` (1-based) of operation `op` (0-based) with its key."""
        raw = self.ops[op][step - 1].raw(self.host)
        return raw.replace(PLACEHOLDER.encode(), key.encode())


@dataclass(frozen=True)
class Unanswered:
    op: int  # 0-based index into Workload.ops
    key: str
    step: int  # 1-based: the step sent without an answer
    steps: int
    # wrk: asked for before its connection answered the last one (a broken connection,
    # or the one request wrk asks thread 1 for to check the script, never sent).
    lost: bool = False

    @property
    def final(self) -> bool:
        return self.step == self.steps


@dataclass
class LoadResult:
    workload: str
    mode: str  # "peak" (wrk) or "open" (open loop at `rate`)
    seconds: float
    answered: int  # responses, every step
    acked: int  # operations whose final step was answered 2xx
    codes: Counter[str]  # "step:status" -> responses
    latency_ms: dict[float, float]  # percentile -> ms (per request for wrk, per operation here)
    unanswered: list[Unanswered]
    client_cpu: float  # seconds of CPU the generator used
    rate: float | None = None  # the open loop's target, operations/s
    late_ms_p99: float | None = None  # how late the open loop sent (its own saturation)
    retried_acked: int = 0  # unanswered earns answered 2xx when sent again
    socket_errors: int = 0  # connect, read, write errors and timeouts

    @property
    def per_second(self) -> float:
        """Operations answered 2xx per second."""
        return self.acked / self.seconds if self.seconds else 0.0

    @property
    def acknowledged(self) -> int:
        return self.acked + self.retried_acked

    @property
    def failed(self) -> int:
        """Responses other than 2xx, and operations left without an answer."""
        bad = sum(n for code, n in self.codes.items() if not code.split(":")[1].startswith("2"))
        return bad + len(self.unanswered)


def percentile(values: Sequence[float], p: float) -> float:
    """The nearest-rank percentile: the smallest value with at least p% of the values at
    or below it (NaN for no values)."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


def schedule(rate: float, seconds: float) -> list[float]:
    """When each operation of an open-loop run is due, in seconds from its start."""
    return [i / rate for i in range(round(rate * seconds))]


# --- wrk -------------------------------------------------------------------------------


def _lua_string(data: bytes) -> str:
    out = []
    for byte in data:
        char = chr(byte)
        if char in '"\\':
            out.append("\\" + char)
        elif 32 <= byte < 127:
            out.append(char)
        else:
            out.append(f"\\{byte:03d}")
    return '"' + "".join(out) + '"'


def _ops_file(workload: Workload, folder: Path) -> Path:
    path = folder / "ops.lua"
    with path.open("w") as out:
        out.write("return {\n")
        for op in workload.ops:
            steps = ", ".join(_lua_string(step.raw(workload.host)) for step in op)
            out.write(f"{{{steps}}},\n")
        out.write("}\n")
    return path


def wrk_parse(output: str, workload: str, seconds: float, client_cpu: float) -> LoadResult:
    codes: Counter[str] = Counter()
    latency: dict[float, float] = {}
    unanswered: list[Unanswered] = []
    answered = acked = 0
    duration = seconds
    socket_errors = 0
    for line in output.splitlines():
        word, _, rest = line.partition(" ")
        parts = rest.split()
        if word == "THREAD":
            answered += int(parts[2])
            acked += int(parts[3])
        elif word == "CODE":
            codes[parts[0]] += int(parts[1])
        elif word in ("PENDING", "LOST"):
            unanswered.append(
                Unanswered(
                    int(parts[0]) - 1, parts[1], int(parts[2]), int(parts[3]), word == "LOST"
                )
            )
        elif word == "LATENCY":
            latency[float(parts[0])] = int(parts[1]) / 1000
        elif word == "SUMMARY":
            duration = int(parts[0]) / 1_000_000
            socket_errors = sum(int(parts[i]) for i in (2, 3, 4, 6))  # not status
    if not latency:
        raise RuntimeError(f"wrk printed no figures:\n{output}")
    return LoadResult(
        workload,
        "peak",
        duration,
        answered,
        acked,
        codes,
        latency,
        unanswered,
        client_cpu,
        socket_errors=socket_errors,
    )


def wrk_run(
    address: tuple[str, int], workload: Workload, *, seconds: float, connections: int
) -> LoadResult:
    """Closed loop: `connections` connections (one per wrk thread) for `seconds`."""
    if not Path(WRK).exists():
        raise SystemExit(f"wrk not found at {WRK}: apt-get install -y wrk (or set WRK=...)")
    with tempfile.TemporaryDirectory(prefix="bench-wrk-") as folder:
        ops = _ops_file(workload, Path(folder))
        argv = [
            WRK,
            f"-t{connections}",
            f"-c{connections}",
            f"-d{max(1, round(seconds))}s",
            "--timeout",
            "30s",
            "-s",
            str(LUA),
            f"http://{address[0]}:{address[1]}",
            "--",
            str(ops),
            tag_make(),
            str(connections),
        ]
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        done = subprocess.run(argv, capture_output=True, text=True, check=False)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise RuntimeError(f"wrk failed ({done.returncode}): {done.stderr}{done.stdout}")
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return wrk_parse(done.stdout, workload.name, seconds, cpu)


# --- the open loop -------------------------------------------------------------------


class _Connection:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self.idle_since = time.monotonic()

    def close(self) -> None:
        self.writer.close()


_STATUS = re.compile(rb"HTTP/1\.[01] (\d{3})")


async def read_response(reader: asyncio.StreamReader) -> tuple[int, bool]:
    """One HTTP/1.1 response, body read and dropped: (status, connection closes)."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    match = _STATUS.match(lines[0])
    if match is None:
        raise ValueError(f"not an HTTP response: {lines[0]!r}")
    headers: dict[bytes, bytes] = {}
    for line in lines[1:]:
        name, sep, value = line.partition(b":")
        if sep:
            headers[name.strip().lower()] = value.strip().lower()
    close = headers.get(b"connection") == b"close"
    if b"content-length" in headers:
        await reader.readexactly(int(headers[b"content-length"]))
    elif headers.get(b"transfer-encoding") == b"chunked":
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            await reader.readexactly(size + 2)
            if size == 0:
                break
    else:
        await reader.read()
        close = True
    return int(match.group(1)), close


async def _open_loop(
    address: tuple[str, int],
    workload: Workload,
    due: list[float],
    tag: str,
    connections: int,
    timeout: float,
) -> tuple[list[float], list[float], Counter[str], int, int, list[Unanswered], float]:
    loop = asyncio.get_running_loop()
    slots = asyncio.Semaphore(connections)
    idle: list[_Connection] = []  # most recently used last
    latencies: list[float] = []
    late: list[float] = []
    codes: Counter[str] = Counter()
    unanswered: list[Unanswered] = []
    counts = {"answered": 0, "acked": 0}

    async def connection() -> _Connection:
        while idle:
            conn = idle.pop()
            if time.monotonic() - conn.idle_since < STALE_SECONDS and not conn.reader.at_eof():
                return conn
            conn.close()
        reader, writer = await asyncio.open_connection(*address)
        return _Connection(reader, writer)

    async def one(number: int, intended: float) -> None:
        op = number % len(workload.ops)
        steps = len(workload.ops[op])
        key = key_make(tag, 0, number + 1)
        async with slots:
            late.append(loop.time() - intended)
            conn: _Connection | None = None
            step = 0
            try:
                status = 0
                for step in range(1, steps + 1):
                    if conn is None:
                        conn = await connection()
                    conn.writer.write(workload.render(op, step, key))
                    status, close = await asyncio.wait_for(read_response(conn.reader), timeout)
                    codes[f"{step}:{status}"] += 1
                    counts["answered"] += 1
                    if close:
                        conn.close()
                        conn = None
                if 200 <= status < 300:
                    counts["acked"] += 1
                latencies.append(loop.time() - intended)
            except (OSError, EOFError, TimeoutError, ValueError, asyncio.IncompleteReadError):
                unanswered.append(Unanswered(op, key, max(step, 1), steps, lost=True))
                if conn is not None:
                    conn.close()
                    conn = None
            finally:
                if conn is not None:
                    conn.idle_since = time.monotonic()
                    idle.append(conn)

    tasks = []
    start = loop.time() + 0.05
    for number, offset in enumerate(due):
        wait = start + offset - loop.time()
        if wait > 0:
            await asyncio.sleep(wait)
        tasks.append(asyncio.create_task(one(number, start + offset)))
    await asyncio.gather(*tasks)
    elapsed = loop.time() - start
    for conn in idle:
        conn.close()
    return (
        latencies,
        late,
        codes,
        counts["answered"],
        counts["acked"],
        unanswered,
        elapsed,
    )


T = TypeVar("T")


def _run(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run `coroutine` to its end on a loop of its own, in a thread of its own: the
    caller's thread may already run a loop (Playwright's sync API keeps one), where
    `asyncio.run` refuses to start. RUSAGE_SELF counts every thread of the process."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def open_loop(
    address: tuple[str, int],
    workload: Workload,
    *,
    rate: float,
    seconds: float,
    connections: int = 64,
    timeout: float = 30.0,
) -> LoadResult:
    """Operations due at `rate` per second for `seconds`, each sent when due on a free
    connection (at most `connections`, opened as needed); waits for every answer."""
    if rate <= 0:
        raise ValueError(f"an open loop needs a rate above 0, not {rate}")
    before = resource.getrusage(resource.RUSAGE_SELF)
    latencies, late, codes, answered, acked, unanswered, elapsed = _run(
        _open_loop(address, workload, schedule(rate, seconds), tag_make(), connections, timeout)
    )
    after = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return LoadResult(
        workload.name,
        "open",
        elapsed,  # from the first due instant to the last answer
        answered,
        acked,
        codes,
        {p: percentile(latencies, p) * 1000 for p in PERCENTILES},
        unanswered,
        cpu,
        rate=rate,
        late_ms_p99=percentile(late, 99) * 1000,
        socket_errors=len(unanswered),
    )


async def _retry(address: tuple[str, int], workload: Workload, todo: list[Unanswered]) -> int:
    acked = 0
    for lost in todo:
        reader, writer = await asyncio.open_connection(*address)
        try:
            writer.write(workload.render(lost.op, lost.steps, lost.key))
            status, _close = await asyncio.wait_for(read_response(reader), 60)
        finally:
            writer.close()
        if 200 <= status < 300:
            acked += 1
    return acked


def retry_unanswered(address: tuple[str, int], workload: Workload, result: LoadResult) -> None:
    """Send again, with its key, each earn sent without an answer; count the 2xx. An
    operation lost before its final step never sent its earn: nothing to settle."""
    if not workload.retry_safe:
        return
    todo = [lost for lost in result.unanswered if lost.final]
    if todo:
        result.retried_acked = _run(_retry(address, workload, todo))
