"""The web server as production runs it: gunicorn, on 127.0.0.1 and a free port.

The README's production server (Dockerfile, docker-compose.yml): gunicorn with
WEB_WORKERS processes (4) of WEB_THREADS threads (4), worker class gthread, each process
with a pool of DATABASE_POOL_SIZE = WEB_THREADS connections, the access log on.
`BENCH_WORKER_CLASS=sync` runs gunicorn's sync workers instead, for comparison (one
request at a time per process, so a pool of one connection).

`production_env` is what the product needs to run on `loyalty.settings.production`
over plain HTTP on 127.0.0.1: a secret key, DJANGO_SECURE_SSL_REDIRECT=false (no
TLS in front), DEBUG off (the settings' own). Hosts are the default
`localhost, .localhost`, so a merchant answers on `<slug>.localhost`.
"""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FULL_APP = "loyalty.wsgi:application"
MINIMAL_APP = "bench.httpload.minimal:application"


@dataclass(frozen=True)
class GunicornConfig:
    workers: int = int(os.environ.get("WEB_WORKERS", "4"))
    threads: int = int(os.environ.get("WEB_THREADS", "4"))
    worker_class: str = os.environ.get("BENCH_WORKER_CLASS", "gthread")

    @property
    def pool_size(self) -> int:
        return self.threads if self.worker_class == "gthread" else 1

    def describe(self) -> str:
        if self.worker_class == "gthread":
            return f"gunicorn gthread, {self.workers} workers x {self.threads} threads"
        return f"gunicorn {self.worker_class}, {self.workers} workers"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def production_env(secret_key: str) -> dict[str, str]:
    """The variables `loyalty.settings.production` needs on plain HTTP, on loopback."""
    return {
        "DJANGO_SETTINGS_MODULE": "loyalty.settings.production",
        "DJANGO_SECRET_KEY": secret_key,
        "DJANGO_SECURE_SSL_REDIRECT": "false",
        "LOG_LEVEL": "WARNING",
    }


@dataclass
class Server:
    """A gunicorn serving `app`; `start()` returns once it answers `ready_path`."""

    app: str
    env: dict[str, str]
    config: GunicornConfig = field(default_factory=GunicornConfig)
    ready_host: str = "localhost"
    ready_path: str = "/healthz"
    log_path: Path | None = None
    port: int = 0
    process: subprocess.Popen[bytes] | None = None

    @property
    def address(self) -> tuple[str, int]:
        return ("127.0.0.1", self.port)

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def start(self, timeout: float = 60) -> Server:
        self.port = self.port or free_port()
        env = {
            **os.environ,
            **self.env,
            "DATABASE_POOL_SIZE": str(self.config.pool_size),
            "PYTHONUNBUFFERED": "1",
        }
        argv = [
            sys.executable,
            "-m",
            "gunicorn",
            self.app,
            "--bind",
            f"127.0.0.1:{self.port}",
            "--workers",
            str(self.config.workers),
            "--worker-class",
            self.config.worker_class,
            "--graceful-timeout",
            "5",
            "--access-logfile",
            "-",
        ]
        if self.config.worker_class == "gthread":
            argv += ["--threads", str(self.config.threads)]
        log = open(self.log_path, "ab") if self.log_path else subprocess.DEVNULL  # noqa: SIM115
        self.process = subprocess.Popen(
            argv, env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.app} exited ({self.process.returncode}): see {log}")
            if self._ready():
                return self
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"{self.app} did not answer {self.ready_path} in {timeout} s")

    def _ready(self) -> bool:
        conn = http.client.HTTPConnection(*self.address, timeout=5)
        try:
            conn.request("GET", self.ready_path, headers={"Host": self.ready_host})
            return conn.getresponse().status == 200
        except OSError:
            return False
        finally:
            conn.close()

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def __enter__(self) -> Server:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
