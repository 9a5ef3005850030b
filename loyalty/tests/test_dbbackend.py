"""The database backend (loyalty/dbbackend): no round trip for a connection the server
left alone; a connection the server ended (as a restart ends them all) is found and
replaced before a request uses it; a connection that already holds the search path a
request wants is not sent it again."""

import select
import time
from collections.abc import Iterator

import pytest
from django.db import connections
from django.test.utils import CaptureQueriesContext
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


def _request_on(wrapper: DatabaseWrapper, schema: str) -> tuple[int, str]:
    """Select `schema` as the middleware does for a request, then query: the `SET
    search_path` statements sent, and the search path the server used."""
    wrapper.set_schema(schema)  # type: ignore[attr-defined]
    with CaptureQueriesContext(wrapper) as queries, wrapper.cursor() as cursor:
        cursor.execute("SHOW search_path")
        path = cursor.fetchone()[0]
    return sum(q["sql"].startswith("SET search_path") for q in queries), path


@pytest.fixture
def kept() -> Iterator[DatabaseWrapper]:
    """A connection of its own, in autocommit as a request's, kept between requests."""
    wrapper = connections.create_connection("default")
    assert isinstance(wrapper, DatabaseWrapper)
    yield wrapper
    wrapper.close()


def test_a_connection_serving_the_same_merchant_again_sends_no_search_path(
    kept: DatabaseWrapper,
) -> None:
    assert _request_on(kept, "alpha") == (1, "alpha, public")
    assert _request_on(kept, "alpha") == (0, "alpha, public")
    assert _request_on(kept, "beta") == (1, "beta, public")
    assert _request_on(kept, "alpha") == (1, "alpha, public")
    assert _request_on(kept, "public") == (1, "public")
    assert _request_on(kept, "public") == (0, "public")


def test_a_search_path_set_in_a_rolled_back_transaction_is_set_again(
    kept: DatabaseWrapper,
) -> None:
    assert _request_on(kept, "alpha") == (1, "alpha, public")
    kept.set_autocommit(False)  # as transaction.atomic() begins on this connection
    assert _request_on(kept, "gamma") == (1, "gamma, public")  # inside the transaction
    kept.rollback()  # the server is back on alpha
    kept.set_autocommit(True)

    assert _request_on(kept, "gamma") == (1, "gamma, public")
    assert _request_on(kept, "gamma") == (0, "gamma, public")


def test_a_search_path_set_in_a_committed_transaction_is_sent_again_once(
    kept: DatabaseWrapper,
) -> None:
    assert _request_on(kept, "alpha") == (1, "alpha, public")
    kept.set_autocommit(False)
    assert _request_on(kept, "beta") == (1, "beta, public")
    kept.commit()
    kept.set_autocommit(True)
    # Not noted inside the transaction: the next request sets it again, then trusts it.
    assert _request_on(kept, "beta") == (1, "beta, public")
    assert _request_on(kept, "beta") == (0, "beta, public")
