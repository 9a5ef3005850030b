"""The web server `make run` starts (`devstack.web_server`, gunicorn with a pool of
database connections per process), on the test database, as a real process:

* a burst of 50 concurrent requests all answer, without a 5xx, and the server never
  holds more connections than its budget (workers x threads);
* two merchants' requests alternating on the pooled connections each see only their
  own merchant's data (django-tenants sets the search_path on every checkout);
* after PostgreSQL ends every connection (as a restart does), no request fails;
* static files and uploaded files are served in development.
"""

import http.client
import os
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.auth.models import User
from django.contrib.sessions.backends.db import SessionStore
from django_tenants.utils import schema_context

import devstack
from loyalty.db import connection

pytestmark = pytest.mark.django_db
APP_NAME = "loyalty-web-under-test"


@dataclass
class Server:
    port: int
    cookies: dict[str, str]  # host: the owner's session cookie

    def get(self, host: str, path: str) -> tuple[int, str]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        headers = {"Host": f"{host}:{self.port}"}
        if host in self.cookies:
            headers["Cookie"] = f"sessionid={self.cookies[host]}"
        try:
            conn.request("GET", path, headers=headers)
            response = conn.getresponse()
            return response.status, response.read().decode()
        finally:
            conn.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _owner_session(schema: str, email: str) -> str:
    """A signed-in dashboard session of the merchant's owner, committed in its schema."""
    with schema_context(schema):
        owner = User.objects.get(email=email)
        session = SessionStore()
        session[SESSION_KEY] = str(owner.pk)
        session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[-1]
        session[HASH_SESSION_KEY] = owner.get_session_auth_hash()
        session.create()
        assert session.session_key is not None
        return session.session_key


def _server_connections() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE application_name = %s AND datname = current_database()",
            [APP_NAME],
        )
        return int(cursor.fetchone()[0])


@pytest.fixture(scope="module")
def web(
    django_db_setup: None,
    django_db_blocker: Any,
    merchant_a: Any,
    merchant_b: Any,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Server]:
    media = tmp_path_factory.mktemp("media")
    (media / merchant_a.schema).mkdir()
    (media / merchant_a.schema / "probe.txt").write_text("uploaded")
    with django_db_blocker.unblock():
        cookies = {
            merchant_a.host: _owner_session(merchant_a.schema, merchant_a.owner_email),
            merchant_b.host: _owner_session(merchant_b.schema, merchant_b.owner_email),
        }
    db = connection.settings_dict
    host = db["HOST"] or db.get("OPTIONS", {}).get("host", "")
    port = _free_port()
    argv, server_env = devstack.web_server(f"127.0.0.1:{port}")
    env = {
        **os.environ,
        **server_env,
        # What `make run` serves: the development settings, here on the test database.
        "DJANGO_SETTINGS_MODULE": "loyalty.settings.local",
        "DATABASE_URL": f"postgres://{db['USER']}@/{db['NAME']}?host={host}"
        f"&application_name={APP_NAME}",
        "MEDIA_ROOT": str(media),
        "LOG_LEVEL": "WARNING",
        # This test run's cache keys (one prefix per xdist worker): the other worker's
        # server must not answer from this one's cached host lookups, nor the reverse.
        "CACHE_KEY_PREFIX": settings.CACHES["default"]["KEY_PREFIX"],
    }
    process = subprocess.Popen(
        argv, env=env, cwd=settings.BASE_DIR, start_new_session=True, stdout=subprocess.DEVNULL
    )
    server = Server(port, cookies)
    deadline = time.monotonic() + 60
    while True:
        try:
            if server.get(settings.BASE_DOMAIN, "/healthz")[0] == 200:
                break
        except OSError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError("the web server did not start")
        time.sleep(0.2)
    yield server
    os.killpg(process.pid, signal.SIGTERM)  # what Ctrl-C in `make run` sends it
    process.wait(30)
    with django_db_blocker.unblock():
        for schema in (merchant_a.schema, merchant_b.schema):
            with schema_context(schema):
                SessionStore.get_model_class().objects.filter(
                    session_key__in=cookies.values()
                ).delete()


def _sees_only_its_own_staff(server: Server, host: str, own: str, other: str) -> str | None:
    status, page = server.get(host, "/admin/auth/user/")
    if status != 200:
        return f"{host}: {status}"
    if own not in page or other in page:
        return f"{host}: the staff list is not its own"
    return None


def test_two_merchants_alternating_on_pooled_connections_see_only_their_own_data(
    web: Server, merchant_a: Any, merchant_b: Any
) -> None:
    a = (merchant_a.host, merchant_a.owner_email, merchant_b.owner_email)
    b = (merchant_b.host, merchant_b.owner_email, merchant_a.owner_email)
    problems = [_sees_only_its_own_staff(web, *(a if i % 2 else b)) for i in range(40)]

    # The same, eight at a time, so that the pools hand each connection to both.
    results: list[str | None] = []

    def alternate(i: int) -> None:
        for j in range(6):
            results.append(_sees_only_its_own_staff(web, *(a if (i + j) % 2 else b)))

    threads = [threading.Thread(target=alternate, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert [p for p in problems + results if p] == []
    assert len(results) == 48
    # 88 requests over at most WEB_WORKERS x WEB_THREADS connections: they were reused.
    assert 1 <= _server_connections() <= devstack.WEB_WORKERS * devstack.WEB_THREADS


def test_a_burst_of_50_concurrent_requests_is_served_within_the_connection_budget(
    web: Server, merchant_a: Any, merchant_b: Any
) -> None:
    targets = [
        (settings.BASE_DOMAIN, "/"),
        (settings.BASE_DOMAIN, "/readyz"),
        (merchant_a.host, "/admin/auth/user/"),
        (merchant_b.host, "/admin/auth/user/"),
        (merchant_a.host, "/join/" + merchant_a.merchant.join_code),
    ]
    barrier = threading.Barrier(50)
    answers: list[int | str] = [0] * 50

    def request(i: int) -> None:
        host, path = targets[i % len(targets)]
        barrier.wait()
        try:
            answers[i] = web.get(host, path)[0]
        except OSError as error:  # a dropped connection
            answers[i] = repr(error)

    threads = [threading.Thread(target=request, args=(i,)) for i in range(50)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert answers == [200] * 50
    assert _server_connections() <= devstack.WEB_WORKERS * devstack.WEB_THREADS


def test_after_postgresql_ends_every_connection_the_next_requests_all_answer(
    web: Server, merchant_a: Any, merchant_b: Any
) -> None:
    for host in (merchant_a.host, merchant_b.host) * 4:  # both processes hold some
        assert web.get(host, "/admin/auth/user/")[0] == 200
    with connection.cursor() as cursor:  # what a restart does to each backend
        cursor.execute(
            "SELECT array_agg(pid) FROM pg_stat_activity"
            " WHERE application_name = %s AND datname = current_database()",
            [APP_NAME],
        )
        ended = cursor.fetchone()[0] or []
        cursor.execute(
            "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM unnest(%s::int[]) pid",
            [ended],
        )
        assert cursor.fetchone()[0] >= 2
        # pg_terminate_backend only signals: the restart is over once those backends are
        # gone (a request sent before would race the backend's own exit).
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = ANY(%s)", [ended])
            if cursor.fetchone()[0] == 0:
                break
            time.sleep(0.05)

    answers = [web.get(host, "/admin/auth/user/")[0] for host in (merchant_a.host,) * 12]

    assert answers == [200] * 12


def test_static_and_uploaded_files_are_served_in_development(web: Server, merchant_a: Any) -> None:
    css = web.get(merchant_a.host, "/static/css/site.css")
    upload = web.get(merchant_a.host, f"/media/{merchant_a.schema}/probe.txt")
    assert css[0] == 200 and "{" in css[1]
    assert upload == (200, "uploaded")
