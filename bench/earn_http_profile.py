"""What one staff earn costs around the service call: `POST /api/v1/staff/earn` through
Django's WSGI handler, in-process, on production settings (DEBUG off, the psycopg pool
of DATABASE_POOL_SIZE connections, Redis cache), as gunicorn would call it.

    make bench-earn-http          # BENCH_EARNS=300 by default

In a database of its own: one merchant with the seed's programme, a cashier and 50
members. After a warm-up it runs four passes of BENCH_EARNS earns each and prints:

* SQL statements per earn: the ORM's (what `CaptureQueriesContext` sees) and every
  statement psycopg sends, with the pool's health check and reset (listed once);
* Redis round trips per earn (counted at the client) and the commands Redis ran
  (`INFO commandstats` before and after, a Lua script's own commands included; the
  cache's and the relay's Redis are the same server here);
* CPU per earn of this process (`getrusage`: the request, the pool's threads) and of
  the PostgreSQL backends serving it (/proc/<pid>/stat), and the median wall time;
* cProfile's top 25 functions by cumulative CPU time (the thread's CPU clock, so that
  waiting for PostgreSQL does not hide where the Python time goes).

Nothing else loads the machine from here, but the machine may be shared: compare
figures taken in one run, and prefer statements, commands and CPU to wall time.
"""

import cProfile
import io
import json
import os
import pstats
import resource
import statistics
import sys
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
# Production settings whatever devstack exported (BENCH_SETTINGS to compare others).
SETTINGS = os.environ.get("BENCH_SETTINGS", "loyalty.settings.production")
os.environ["DJANGO_SETTINGS_MODULE"] = SETTINGS
os.environ.setdefault("DJANGO_SECRET_KEY", "bench-only-" + "x" * 50)
os.environ.setdefault("DATABASE_POOL_SIZE", "4")
os.environ.setdefault("LOG_LEVEL", "WARNING")
EARNS = int(os.environ.get("BENCH_EARNS", "300"))
TOP = int(os.environ.get("BENCH_PROFILE_TOP", "25"))
# BENCH_PROFILE=0 leaves cProfile out (for a sampling profiler: `py-spy record -- ...`).
PROFILE = os.environ.get("BENCH_PROFILE", "1") != "0"
MEMBERS = 50

from provisioning import bench_database  # noqa: E402


class Earner:
    """Sends staff earns to the WSGI application, as gunicorn would hand them over."""

    def __init__(self, app: Callable[..., Any], host: str, token: str, members: list[int]):
        self.app = app
        self.host = host
        self.token = token
        self.members = members
        self.sent = 0

    def environ(self) -> dict[str, Any]:
        body = json.dumps(
            {"member_id": self.members[self.sent % len(self.members)], "amount": "7.250"}
        ).encode()
        self.sent += 1
        return {
            "REQUEST_METHOD": "POST",
            "PATH_INFO": "/api/v1/staff/earn",
            "QUERY_STRING": "",
            "SERVER_NAME": self.host,
            "SERVER_PORT": "443",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "REMOTE_ADDR": "10.0.0.7",
            "CONTENT_TYPE": "application/json",
            "CONTENT_LENGTH": str(len(body)),
            "HTTP_HOST": self.host,
            "HTTP_AUTHORIZATION": f"Bearer {self.token}",
            "HTTP_IDEMPOTENCY_KEY": uuid.uuid4().hex,
            "HTTP_ACCEPT": "application/json",
            # Behind the TLS-terminating proxy, as production settings expect.
            "HTTP_X_FORWARDED_PROTO": "https",
            "wsgi.input": io.BytesIO(body),
            "wsgi.url_scheme": "http",
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": True,
            "wsgi.multiprocess": True,
            "wsgi.run_once": False,
            "wsgi.version": (1, 0),
        }

    def earn(self) -> None:
        status: list[str] = []

        def start_response(line: str, headers: list[tuple[str, str]], exc: Any = None) -> None:
            status.append(line)

        result = self.app(self.environ(), start_response)
        try:
            body = b"".join(result)
        finally:
            result.close()  # request_finished: the connection goes back to the pool
        if not status[0].startswith("201"):
            raise RuntimeError(f"earn answered {status[0]}: {body[:300]!r}")


@contextmanager
def wire_statements() -> Iterator[list[str]]:
    """Every statement psycopg sends: queries, the pool's check and reset, and the
    transaction commands psycopg sends by itself (BEGIN, COMMIT)."""
    import psycopg
    from psycopg._connection_base import BaseConnection

    sent: list[str] = []
    execute, command = psycopg.Cursor.execute, BaseConnection._exec_command

    def _text(query: Any) -> str:
        if isinstance(query, bytes):
            query = query.decode()
        elif not isinstance(query, str):
            query = query.as_string(None)
        return " ".join(query.split())

    def counted_execute(self: Any, query: Any, *args: Any, **kwargs: Any) -> Any:
        sent.append(_text(query))
        return execute(self, query, *args, **kwargs)

    def counted_command(self: Any, query: Any, *args: Any, **kwargs: Any) -> Any:
        sent.append(_text(query))
        return (yield from command(self, query, *args, **kwargs))

    psycopg.Cursor.execute = counted_execute  # type: ignore[method-assign]
    BaseConnection._exec_command = counted_command  # type: ignore[method-assign]
    try:
        yield sent
    finally:
        psycopg.Cursor.execute = execute  # type: ignore[method-assign]
        BaseConnection._exec_command = command  # type: ignore[method-assign]


@contextmanager
def redis_round_trips() -> Iterator[list[int]]:
    """Every command (or pipeline, or script) sent to Redis, counted at the client."""
    import redis.connection

    sent = [0]
    original = redis.connection.AbstractConnection.send_packed_command

    def counted(self: Any, command: Any, check_health: bool = True) -> None:
        sent[0] += 1
        original(self, command, check_health)

    redis.connection.AbstractConnection.send_packed_command = counted  # type: ignore[method-assign]
    try:
        yield sent
    finally:
        redis.connection.AbstractConnection.send_packed_command = original  # type: ignore[method-assign]


def redis_commands(client: Any) -> Counter[str]:
    stats = client.info("commandstats")
    return Counter({name.removeprefix("cmdstat_"): row["calls"] for name, row in stats.items()})


def backend_cpu_seconds(pids: list[int]) -> float:
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / ticks


# (label, file path ending, function): cumulative CPU shown per earn.
SHARES = [
    ("whole request (WSGI handler)", "django/core/handlers/wsgi.py", "__call__"),
    ("DRF dispatch", "rest_framework/views.py", "dispatch"),
    ("  authentication, role, throttle (initial)", "rest_framework/views.py", "initial"),
    ("    authentication", "rest_framework/views.py", "perform_authentication"),
    ("    permissions (role)", "rest_framework/views.py", "check_permissions"),
    ("    throttles", "rest_framework/views.py", "check_throttles"),
    ("  points_earn (the service)", "points/services/earn.py", "points_earn"),
    ("  response serializers (.data)", "rest_framework/serializers.py", "data"),
    ("  finalize_response (rendering)", "rest_framework/views.py", "finalize_response"),
    ("host lookup (merchant_for_host)", "tenants/selectors.py", "merchant_for_host"),
    ("connection checkout (pool getconn)", "psycopg_pool/pool.py", "getconn"),
    ("connection return (pool putconn)", "psycopg_pool/pool.py", "putconn"),
    ("relay kick after commit", "messaging/tasks.py", "relay_kick"),
]


# Middleware hooks that run on an API request (their own cost, the view excluded).
MIDDLEWARE = [
    ("loyalty/guard.py", "_check_request"),
    ("loyalty/middleware.py", "process_request"),
    ("django/middleware/security.py", "process_request"),
    ("django/middleware/locale.py", "process_request"),
    ("django/middleware/locale.py", "process_response"),
    ("django/middleware/common.py", "process_response"),
    ("django/middleware/csrf.py", "process_view"),
]


def _cumulative(stats: pstats.Stats, path: str, name: str) -> float:
    """Cumulative time of the functions called `name` in `path`, counting only calls
    from outside them (Serializer.data calls BaseSerializer.data: counted once)."""
    rows = stats.stats  # type: ignore[attr-defined]
    matched = {key for key in rows if key[0].endswith(path) and key[2] == name}
    return sum(
        edge[3] for key in matched for caller, edge in rows[key][4].items() if caller not in matched
    )


def throttle_reset(redis: Any) -> None:
    """Forget the cashier's throttle counts (loyalty.ratelimit.sliding_hit): one cashier
    sends more earns here than the 600 a minute a counter may."""
    for key in redis.scan_iter(match="*sw:*"):
        redis.delete(key)


def main() -> None:
    bench_database()
    import django

    django.setup()
    from django.conf import settings
    from django.core.cache import cache
    from django.core.management import call_command
    from django.core.wsgi import get_wsgi_application
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django_tenants.utils import tenant_context

    from loyalty.api.tokens import STAFF, tokens_issue
    from points.tests.factories import programme_create
    from tenants.selectors import merchant_host
    from tenants.services import merchant_create

    call_command("migrate_schemas", shared=True, verbosity=0)
    merchant = merchant_create(
        name="Bench", slug="bench-earn-http", owner_email="o@bench.jo"
    ).merchant
    with tenant_context(merchant):
        programme = programme_create()
        members = [programme.member().pk for _ in range(MEMBERS)]
        token = tokens_issue(
            kind=STAFF, subject_id=programme.cashier.pk, schema=merchant.schema_name
        )["access"]
    connection.close()
    cache.clear()

    app = get_wsgi_application()
    earner = Earner(app, merchant_host(merchant), token, members)
    for _ in range(30):  # warm-up: imports, the pool, the host cache
        earner.earn()

    # 1. statements, once with the ORM's eyes, once on the wire
    with CaptureQueriesContext(connection) as orm:
        earner.earn()
    orm_statements = [query["sql"] for query in orm.captured_queries]  # before the next reset
    with wire_statements() as wire, redis_round_trips() as trips:
        for _ in range(10):
            earner.earn()
    per_earn_wire = len(wire) / 10
    one_earn = wire[len(wire) - len(wire) // 10 :]

    # 2. Redis commands and CPU over EARNS earns
    redis = cache._cache.get_client(write=True)  # type: ignore[attr-defined]
    throttle_reset(redis)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
            " AND pid <> pg_backend_pid()"
        )
        backends = [row[0] for row in cursor.fetchall()]
    connection.close()
    commands_before = redis_commands(redis)
    pg_before = backend_cpu_seconds(backends)
    usage_before = resource.getrusage(resource.RUSAGE_SELF)
    walls = []
    for _ in range(EARNS):
        started = time.perf_counter()
        earner.earn()
        walls.append(time.perf_counter() - started)
    usage_after = resource.getrusage(resource.RUSAGE_SELF)
    pg_after = backend_cpu_seconds(backends)
    commands = redis_commands(redis) - commands_before
    commands["info"] -= 1
    commands = +commands
    cpu = (usage_after.ru_utime + usage_after.ru_stime) - (
        usage_before.ru_utime + usage_before.ru_stime
    )

    # 3. where the time goes
    throttle_reset(redis)
    profile = cProfile.Profile(time.thread_time)  # CPU of this thread, not waits
    if PROFILE:
        profile.enable()
        for _ in range(EARNS):
            earner.earn()
        profile.disable()

    pool = settings.DATABASES["default"].get("OPTIONS", {}).get("pool")
    print(f"Staff earn over HTTP (WSGI handler in-process), {EARNS} earns per pass")
    print(f"  settings {settings.SETTINGS_MODULE}, DEBUG {settings.DEBUG}, pool {bool(pool)}")
    print()
    print("| per earn | value |")
    print("| --- | --- |")
    print(f"| SQL statements (ORM) | {len(orm_statements)} |")
    print(f"| SQL statements (on the wire) | {per_earn_wire:.1f} |")
    print(f"| Redis round trips | {trips[0] / 10:.1f} |")
    print(
        f"| Redis commands run (a script's own included) | {sum(commands.values()) / EARNS:.2f} |"
    )
    print(f"| CPU, this process | {cpu / EARNS * 1000:.2f} ms |")
    print(f"| CPU, PostgreSQL backends | {(pg_after - pg_before) / EARNS * 1000:.2f} ms |")
    print(f"| wall time, median | {statistics.median(walls) * 1000:.2f} ms |")
    print()
    print("Statements of one earn, as sent (* not seen by the ORM):")
    seen = Counter(" ".join(sql.split())[:60] for sql in orm_statements)
    for n, text in enumerate(one_earn, 1):
        mark = " "
        if seen[text[:60]] > 0:
            seen[text[:60]] -= 1
        elif not text.startswith(("SELECT", "INSERT", "UPDATE", "DELETE", "BEGIN", "COMMIT")):
            mark = "*"
        print(f" {mark}{n:2}. {text[:110]}")
    print()
    print("Redis commands per earn:")
    for name, calls in sorted(commands.items()):
        print(f"  {name:<12} {calls / EARNS:.2f}")
    if PROFILE:
        _profile_print(profile)


def _profile_print(profile: cProfile.Profile) -> None:
    print()
    stats = pstats.Stats(profile)
    total = _cumulative(stats, "django/core/handlers/wsgi.py", "__call__")
    print(f"Shares of the request's CPU (profiled, {total / EARNS * 1000:.1f} ms per earn):")
    for label, path, name in SHARES:
        spent = _cumulative(stats, path, name)
        print(f"  {label:<44} {spent / EARNS * 1000:6.2f} ms  {spent / total:6.1%}")
    outside = total - _cumulative(stats, "rest_framework/views.py", "dispatch")
    label = "outside the view (middleware, handler)"
    print(f"  {label:<44} {outside / EARNS * 1000:6.2f} ms  {outside / total:6.1%}")
    for path, name in MIDDLEWARE:
        spent = _cumulative(stats, path, name)
        print(f"    {path.rsplit('/', 1)[-1] + ' ' + name:<42} {spent / EARNS * 1000:6.2f} ms")
    print()
    out = io.StringIO()
    pstats.Stats(profile, stream=out).sort_stats("cumulative").print_stats(TOP)
    lines = out.getvalue().splitlines()
    start = next(i for i, line in enumerate(lines) if "ncalls" in line)
    print(f"cProfile (CPU time of the request thread), top {TOP} by cumulative ({EARNS} earns):")
    for line in lines[start:]:
        if line.strip():
            print("  " + line.replace(str(ROOT) + "/", "").replace(sys.prefix + "/", ""))


if __name__ == "__main__":
    main()
