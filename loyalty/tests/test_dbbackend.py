"""The database health check (loyalty/dbbackend): no round trip for a connection the
server left alone; a connection the server ended (as a restart ends them all) is
found and replaced before a request uses it."""

import select
import time
from collections.abc import Iterator

import pytest
from django.db import connections
from psycopg import Connection
from psycopg_pool import ConnectionPool

from loyalty.db import connection
from loyalty.dbbackend.base import DatabaseWrapper, connection_check

pytestmark = pytest.mark.django_db


def _terminate(pid: int) -> None:
    """What a PostgreSQL restart does to each backend (a fast shutdown: FATAL 57P01)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [pid])


def _last_statement(pid: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT query FROM pg_stat_activity WHERE pid = %s", [pid])
        return str(cursor.fetchone()[0])


def _wait_readable(conn: Connection) -> None:
    poller = select.poll()
    poller.register(conn.pgconn.socket, select.POLLIN)
    assert poller.poll(5000), "the server did not end the connection"


@pytest.fixture
def pool() -> Iterator[ConnectionPool]:
    wrapper = connections["default"]
    kwargs = {**wrapper.get_connection_params(), "autocommit": True}
    kwargs.pop("cursor_factory", None)
    pool = ConnectionPool(kwargs=kwargs, min_size=2, max_size=2, check=connection_check, open=True)
    pool.wait()
    yield pool
    pool.close()


def test_a_pooled_connection_the_server_left_alone_is_lent_without_a_round_trip(
    pool: ConnectionPool,
) -> None:
    with pool.connection() as conn:
        pid = conn.info.backend_pid
        conn.execute("SELECT 'the last statement'")
    lent = [pool.getconn(), pool.getconn()]  # both, so the one above is among them
    try:
        assert pid in [conn.info.backend_pid for conn in lent]
        assert _last_statement(pid) == "SELECT 'the last statement'"
    finally:
        for conn in lent:
            pool.putconn(conn)


def test_pooled_connections_the_server_ended_are_replaced_before_use(
    pool: ConnectionPool,
) -> None:
    idle = [pool.getconn(), pool.getconn()]
    pids = {conn.info.backend_pid for conn in idle}
    for conn in idle:
        pool.putconn(conn)
    for pid in pids:
        _terminate(pid)
    for conn in idle:
        _wait_readable(conn)

    started = time.monotonic()
    with pool.connection() as conn:
        answer = conn.execute("SELECT 42").fetchone()
        new_pid = conn.info.backend_pid

    assert answer == (42,)
    assert new_pid not in pids
    # One failed check, one wait of about a second for the replacements: not one per
    # dead connection.
    assert time.monotonic() - started < 3
    with pool.connection() as conn:
        assert conn.info.backend_pid not in pids


def test_a_kept_connection_is_usable_without_a_round_trip_until_the_server_ends_it() -> None:
    wrapper = connections.create_connection("default")
    assert isinstance(wrapper, DatabaseWrapper)
    try:
        with wrapper.cursor() as cursor:
            cursor.execute("SELECT 'kept'")
        pid = wrapper.connection.info.backend_pid

        assert wrapper.is_usable() is True
        assert _last_statement(pid) == "SELECT 'kept'"  # no SELECT 1 was sent

        _terminate(pid)
        _wait_readable(wrapper.connection)
        assert wrapper.is_usable() is False
    finally:
        wrapper.close()
