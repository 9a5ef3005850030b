"""HTTP load on the production server: `make bench-http`.

    BENCH_SECONDS=3 BENCH_RUNS=1 make bench-http     # a quick look

In databases of their own, on the embedded PostgreSQL and Redis (`devstack.py exec
--profile bench`): one merchant with members, served by gunicorn as in production
(server.py) on `loyalty.settings.production`, and the smallest honest earn endpoint
(minimal.py) under the same gunicorn configuration. Then, BENCH_RUNS times, interleaved:
the earn's peak with wrk (BENCH_CONNECTIONS connections), the minimal earn's peak, each
again at BENCH_OPEN_SHARE (70%) of its own peak from the open-loop generator, and
pgbench tpcb-like (4 clients). Then the counter page's earn and scan + earn (peak and
70%), and the reads (membership, history, rewards, member search) at their peak.

Prints, per load: operations/s, p50/p95/p99, CPU per operation of gunicorn (master and
workers), PostgreSQL (every process of the server) and Redis, Redis calls; the earn's
statements (one request through the same stack in this process); the full/minimal
ratio; pgbench's tps. Then checks that each earn load's acknowledged operations equal
the ledger's new earn entries and that `manage.py reconcile` finds no drift, and exits
non-zero otherwise (or on any answer other than 2xx).
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import statistics
import subprocess
import sys
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from . import fixture as fx_
from .cpu import Meter, postmaster_pid
from .load import LoadResult, Workload, open_loop, retry_unanswered, wrk_run
from .report import number, span, table
from .server import (
    FULL_APP,
    MINIMAL_APP,
    ROOT,
    GunicornConfig,
    Server,
    free_port,
    production_env,
)
from .workloads import earn_api, earn_counter, earn_minimal, read, scan_earn

SECONDS = float(os.environ.get("BENCH_SECONDS", "15"))
RUNS = int(os.environ.get("BENCH_RUNS", "3"))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "16"))
MEMBERS = int(os.environ.get("BENCH_MEMBERS", "1000"))
# Throttles count per staff member (600 earns, 30 scans or searches a minute): the load
# comes from many cashiers, as it does from many shops' counters.
STAFF = int(os.environ.get("BENCH_STAFF", "400"))
COUNTER_STAFF = 4
SHARE = float(os.environ.get("BENCH_OPEN_SHARE", "0.7"))
WARMUP = float(os.environ.get("BENCH_WARMUP", "3"))
PGBENCH_CLIENTS = 4
PGBENCH_SCALE = int(os.environ.get("BENCH_PGBENCH_SCALE", "10"))
VERBOSE = os.environ.get("BENCH_VERBOSE", "") == "1"
# Counted as CaptureQueriesContext counts the earn's: BEGIN, lock, update, insert, COMMIT.
MINIMAL_STATEMENTS = "5"


def say(text: str) -> None:
    print(text, flush=True)


@dataclass
class Phase:
    run: str
    result: LoadResult
    cpu: dict[str, float]  # seconds, by process
    redis_calls: float  # per operation
    entries: int | None  # new earn entries (or minimal history rows)
    retry_safe: bool

    def cpu_ms(self, name: str) -> float:
        return self.cpu.get(name, float("nan")) * 1000 / max(self.result.acknowledged, 1)

    @property
    def load(self) -> str:
        r = self.result
        if r.mode == "peak":
            return f"peak, wrk {CONNECTIONS} conn."
        return f"open loop {number(r.rate or 0)}/s"

    def problems(self) -> list[str]:
        r = self.result
        found = []
        if r.acked == 0 and self.run != "warm-up":  # workers may still be starting
            found.append(f"no operation answered 2xx within {r.seconds:g} s (BENCH_SECONDS)")
        if r.socket_errors:
            found.append(f"{r.socket_errors} connection errors or timeouts")
        bad = {code: n for code, n in r.codes.items() if not code.split(":")[1].startswith("2")}
        if bad:
            found.append(f"answers other than 2xx (step:status): {bad}")
        if self.entries is not None:
            if self.retry_safe and self.entries != r.acknowledged:
                found.append(
                    f"{r.acknowledged} acknowledged, {self.entries} new ledger earn entries"
                )
            unknown = sum(1 for u in r.unanswered if u.final)
            if not self.retry_safe and not r.acked <= self.entries <= r.acked + unknown:
                found.append(
                    f"{r.acked} acknowledged (+{unknown} unanswered), {self.entries} new rows"
                )
        return found


class Bench:
    def __init__(self, postgres: int | None, redis: int | None, redis_url: str) -> None:
        self.postgres = postgres
        self.redis = redis
        self.redis_url = redis_url
        self.phases: list[Phase] = []

    def at_share(
        self,
        peak: Phase,
        server: Server,
        workload: Workload,
        entries: Callable[[], int] | None = None,
    ) -> Phase | None:
        """The open loop at SHARE of `peak`'s rate (none when the peak answered nothing:
        that peak is reported as failed)."""
        if peak.result.per_second <= 0:
            return None
        return self.measure(
            peak.run, server, workload, rate=SHARE * peak.result.per_second, entries=entries
        )

    def measure(
        self,
        run: str,
        server: Server,
        workload: Workload,
        *,
        rate: float | None = None,
        seconds: float = SECONDS,
        entries: Callable[[], int] | None = None,
    ) -> Phase:
        meter = Meter(
            {"gunicorn": server.pid, "postgres": self.postgres or 0, "redis": self.redis or 0}
        )
        calls = fx_.redis_calls(self.redis_url)
        before = entries() if entries else 0
        meter.start()
        if rate is None:
            result = wrk_run(server.address, workload, seconds=seconds, connections=CONNECTIONS)
        else:
            result = open_loop(server.address, workload, rate=rate, seconds=seconds)
        retry_unanswered(server.address, workload, result)
        cpu = meter.stop()
        cpu["generator"] = result.client_cpu
        used = sum((fx_.redis_calls(self.redis_url) - calls).values())
        phase = Phase(
            run,
            result,
            cpu,
            used / max(result.acknowledged, 1),
            entries() - before if entries else None,
            workload.retry_safe,
        )
        self.phases.append(phase)
        lat = result.latency_ms
        say(
            f"  {run:>7} {workload.name:<22} {phase.load:<22} {number(result.per_second):>6}/s"
            f"  p50 {number(lat[50], 1)} ms  p99 {number(lat[99], 1)} ms"
            + (f"  (sent up to {number(result.late_ms_p99 or 0, 1)} ms late, p99)" if rate else "")
        )
        return phase


def pgbench_binary() -> str:
    try:
        import pgserver

        bundled = Path(pgserver.__file__).parent / "pginstall" / "bin" / "pgbench"
        if bundled.exists():
            return str(bundled)
    except ImportError:
        pass
    return shutil.which("pgbench") or "/usr/bin/pgbench"


def pgbench(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [pgbench_binary(), *args], env={**os.environ, **env}, capture_output=True, text=True
    )
    if done.returncode != 0:
        raise RuntimeError(f"pgbench {' '.join(args)}: {done.stderr}")
    return done.stdout


def pgbench_tps(env: dict[str, str], seconds: float) -> float:
    out = pgbench(env, "-c", str(PGBENCH_CLIENTS), "-j", "2", "-T", str(max(1, round(seconds))))
    found = re.search(r"tps = ([\d.]+) \(without initial connection time\)", out)
    if found is None:
        raise RuntimeError(f"pgbench printed no tps:\n{out}")
    return float(found.group(1))


def main() -> int:
    # No collectstatic here (the API needs none: WhiteNoise says so once), and pgserver's
    # runtime folder falls back to /tmp where the machine has none (as devstack says).
    warnings.filterwarnings("ignore", message="No directory at")
    warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")
    secret = secrets.token_urlsafe(50)
    os.environ.update(production_env(secret))
    os.environ["DATABASE_POOL_SIZE"] = "2"  # pooled here too, as in the server
    redis_url = os.environ["REDIS_URL"]
    bench_url = fx_.database_create("_bench_http")
    pgbench_env = fx_.libpq_env(fx_.database_create("_bench_pgbench"))
    os.environ["DATABASE_URL"] = bench_url

    import django

    django.setup()
    config = GunicornConfig()
    say(
        f"HTTP load: {config.describe()}, loyalty.settings.production, DEBUG off; "
        f"{RUNS} run(s) of {SECONDS:g} s; {MEMBERS} members, {STAFF} staff tokens"
    )
    started = time.perf_counter()
    fx = fx_.fixture_create(
        members=MEMBERS,
        staff=STAFF,
        counter_staff=COUNTER_STAFF,
        slug="bench-http",
        progress=lambda text: say(f"  {text}"),
    )
    fx_.minimal_tables_create(MEMBERS)
    pgbench(pgbench_env, "-i", "-q", "-s", str(PGBENCH_SCALE))
    say(f"  data ready in {time.perf_counter() - started:.0f} s")

    in_process = fx_.earn_in_process(fx, fx_.staff_tokens(fx)[0], fx.member_ids[:10], redis_url)
    bench = Bench(
        postmaster_pid(fx_.postgres_data_directory()), fx_.redis_pid(redis_url), redis_url
    )
    logs = ROOT / ".local" / "bench" / "http"
    logs.mkdir(parents=True, exist_ok=True)
    env = {**production_env(secret), "DATABASE_URL": bench_url, "REDIS_URL": redis_url}
    port = free_port()
    host = f"{fx.host}:{port}"
    full = Server(FULL_APP, env, config, ready_host=host, log_path=logs / "full.log", port=port)
    minimal = Server(
        MINIMAL_APP, env, config, ready_host="minimal.localhost", log_path=logs / "minimal.log"
    )
    tps: list[float] = []
    earns = lambda: fx_.earn_entries(fx)  # noqa: E731
    try:
        full.start()
        minimal.start()
        minimal_host = f"minimal.localhost:{minimal.port}"
        bearer = len(fx_.staff_tokens(fx)[0])
        say(f"  servers up; logs in {logs}")
        bench.measure(
            "warm-up",
            full,
            earn_api(host, fx.member_ids, fx_.staff_tokens(fx)),
            seconds=WARMUP,
            entries=earns,
        )
        bench.measure(
            "warm-up",
            minimal,
            earn_minimal(minimal_host, MEMBERS, bearer),
            seconds=WARMUP,
            entries=fx_.minimal_entries,
        )
        for run in range(1, RUNS + 1):
            api = earn_api(host, fx.member_ids, fx_.staff_tokens(fx))
            small = earn_minimal(minimal_host, MEMBERS, bearer)
            peak = bench.measure(str(run), full, api, entries=earns)
            floor = bench.measure(str(run), minimal, small, entries=fx_.minimal_entries)
            bench.at_share(peak, full, api, entries=earns)
            bench.at_share(floor, minimal, small, entries=fx_.minimal_entries)
            tps.append(pgbench_tps(pgbench_env, SECONDS))
            say(f"  {run:>7} pgbench tpcb-like, {PGBENCH_CLIENTS} clients: {tps[-1]:,.0f} tps")

        sessions = [fx_.dashboard_login(full.address, host, *login) for login in fx.counter_logins]
        counter = earn_counter(host, fx.member_ids, sessions)
        peak = bench.measure("-", full, counter, entries=earns)
        bench.at_share(peak, full, counter, entries=earns)
        tokens = fx_.staff_tokens(fx)
        scan = scan_earn(host, fx.member_ids, fx_.card_tokens(fx), tokens)
        peak = bench.measure("-", full, scan, entries=earns)
        scan = scan_earn(host, fx.member_ids, fx_.card_tokens(fx), tokens)
        bench.at_share(peak, full, scan, entries=earns)

        customers = fx_.customer_tokens(fx)
        n = len(customers)
        for name, path in (
            ("membership", "/api/v1/membership"),
            ("history", "/api/v1/membership/history"),
            ("rewards list", "/api/v1/rewards"),
        ):
            bench.measure("-", full, read(name, host, [path] * n, customers))
        searches = [f"/api/v1/staff/members?member_number={m}" for m in fx.member_numbers]
        bench.measure("-", full, read("member search", host, searches, tokens))
    finally:
        full.stop()
        minimal.stop()

    reconciled, reconcile_text = fx_.reconcile()
    print_report(bench, tps, in_process)
    problems = [
        f"{p.run} {p.result.workload} ({p.load}): {problem}"
        for p in bench.phases
        for problem in p.problems()
    ]
    say("\nChecks")
    for p in bench.phases:
        if p.entries is not None:
            r = p.result
            say(
                f"  {p.run:>7} {r.workload:<22} {p.load:<22} acknowledged {r.acknowledged}"
                f" ({r.retried_acked} of them when sent again), new rows {p.entries}"
            )
    say(reconcile_text.rstrip())
    if not reconciled:
        problems.append("manage.py reconcile found drift")
    if problems:
        say("\nFAILED:\n  " + "\n  ".join(problems))
        return 1
    say("\nEvery earn acknowledged is one new ledger entry; reconcile finds no drift.")
    return 0


def _row(p: Phase, statements: str) -> list[str]:
    r = p.result
    return [
        r.workload,
        p.load,
        number(r.per_second),
        number(r.latency_ms[50], 1),
        number(r.latency_ms[95], 1),
        number(r.latency_ms[99], 1),
        f"{p.cpu_ms('gunicorn'):.1f} + {p.cpu_ms('postgres'):.1f} + {p.cpu_ms('redis'):.2f}",
        number(p.cpu_ms("generator"), 1),
        number(p.redis_calls, 1),
        statements,
    ]


HEADERS = [
    "load",
    "how",
    "ops/s",
    "p50 ms",
    "p95 ms",
    "p99 ms",
    "CPU ms/op: gunicorn + PostgreSQL + Redis",
    "generator CPU ms/op",
    "Redis calls/op",
    "statements",
]


def print_report(bench: Bench, tps: list[float], in_process: fx_.InProcess) -> None:
    statements = statistics.median(in_process.statements)
    full_statements = f"{statements:g}"
    say(
        "\nEach load (latency: per request at the peak, per operation from its due time in "
        "the open loop)"
    )
    rows = []
    for p in bench.phases:
        if p.run == "warm-up":
            continue
        s = full_statements if p.result.workload == "earn (API)" else ""
        if p.result.workload == "earn (minimal)":
            s = MINIMAL_STATEMENTS
        rows.append([p.run, *_row(p, s)])
    say(table(["run", *HEADERS], rows))

    def pick(workload: str, mode: str) -> list[Phase]:
        return [
            p
            for p in bench.phases
            if p.result.workload == workload and p.result.mode == mode and p.run != "warm-up"
        ]

    def line(label: str, phases: list[Phase], statements: str, calls: bool = True) -> list[str]:
        return [
            label,
            span([p.result.per_second for p in phases]),
            span([p.result.latency_ms[50] for p in phases], 1, "ms"),
            span([p.result.latency_ms[95] for p in phases], 1, "ms"),
            span([p.result.latency_ms[99] for p in phases], 1, "ms"),
            f"{span([p.cpu_ms('gunicorn') for p in phases], 1)} ms gunicorn + "
            f"{span([p.cpu_ms('postgres') for p in phases], 1)} ms PostgreSQL",
            statements,
            span([p.redis_calls for p in phases], 1) if calls else "",
        ]

    say(f"\nSummary over {RUNS} run(s)")
    summary = [
        line("`POST /api/v1/staff/earn`, peak", pick("earn (API)", "peak"), full_statements),
        line(f"the same at {SHARE:.0%} of its peak", pick("earn (API)", "open"), ""),
        line("the smallest honest earn, peak", pick("earn (minimal)", "peak"), MINIMAL_STATEMENTS),
        line(f"the same at {SHARE:.0%} of its peak", pick("earn (minimal)", "open"), ""),
        [f"pgbench tpcb-like, {PGBENCH_CLIENTS} clients", f"{span(tps)} tps", *[""] * 6],
    ]
    for workload in ("counter page earn", "scan + earn"):
        summary.append(line(f"{workload}, peak", pick(workload, "peak"), ""))
        summary.append(line(f"the same at {SHARE:.0%} of its peak", pick(workload, "open"), ""))
    for workload in ("membership", "history", "rewards list", "member search"):
        summary.append(line(f"read: {workload}, peak", pick(workload, "peak"), ""))
    say(
        table(
            ["", "ops/s", "p50", "p95", "p99", "CPU per op", "statements", "Redis calls/op"],
            summary,
        )
    )
    ratios = [
        full.result.per_second / small.result.per_second
        for full, small in zip(
            pick("earn (API)", "peak"), pick("earn (minimal)", "peak"), strict=True
        )
        if small.result.per_second
    ]
    p99 = [p.result.latency_ms[99] for p in pick("earn (API)", "open")]
    say(
        f"\nfull/minimal earn at the peak, by run: {', '.join(f'{r:.2f}x' for r in ratios)}"
        f" (goal 0.5x or more: {'met' if ratios and min(ratios) >= 0.5 else 'missed'})"
    )
    say(
        f"earn p99 at {SHARE:.0%} of its peak: {span(p99, 1, 'ms')}"
        f" (goal 50 ms or less: {'met' if p99 and max(p99) <= 50 else 'missed'})"
    )
    floors = [p.result.per_second for p in pick("earn (minimal)", "peak")]
    floor = statistics.median(floors) if floors else 0.0
    for workload in ("counter page earn", "scan + earn"):
        peaks = pick(workload, "peak")
        opens = pick(workload, "open")
        if peaks and floor:
            say(
                f"{workload}: {peaks[0].result.per_second / floor:.2f}x the minimal earn's"
                f" median peak; p99 at {SHARE:.0%}: "
                + (span([p.result.latency_ms[99] for p in opens], 1, "ms") if opens else "-")
            )
    if tps and floor:
        say(f"minimal earn / pgbench tps (median peaks): {floor / statistics.median(tps):.2f}x")
    counts = sorted(set(in_process.statements))
    say(
        f"statements per earn, BEGIN and COMMIT included (in this process, the same stack,"
        f" {len(in_process.statements)} earns): {', '.join(map(str, counts))};"
        " Redis calls per earn: "
        + ", ".join(f"{name} {n:g}" for name, n in sorted(in_process.redis.items()))
    )
    if VERBOSE:
        say("\n".join(f"    {sql}" for sql in in_process.sample))


if __name__ == "__main__":
    sys.exit(main())
