"""Django's PostgreSQL backend with a health check that asks the socket before it asks
the server. django-tenants' backend (the ENGINE) is built on it: ORIGINAL_BACKEND.

Django checks a connection before lending it again (CONN_HEALTH_CHECKS): with
persistent connections a `SELECT 1` at the start of each request or task; with the
pool, psycopg's check, an empty query on every checkout. Either is a round trip per
request. This check reads the socket instead: an idle connection has nothing to say,
and when the server ends it (a restart, a shutdown, `pg_terminate_backend`, an idle
timeout) it sends an error and closes, which makes the socket readable. Only then is
the round trip made. A pooled connection that fails it is dropped and the pool's idle
ones are replaced (after a restart they are all gone): one request waits for a new
connection, none fails.

What no socket shows, a network path that died silently, fails the first request that
uses the connection (an error, never wrong data), and the connection is not used again.
"""

import select
from typing import Any

from django.db.backends.base.base import NO_DB_ALIAS
from django.db.backends.postgresql import base
from psycopg import Connection, OperationalError
from psycopg.pq import TransactionStatus
from psycopg_pool import ConnectionPool


def socket_quiet(connection: Connection) -> bool:
    """True when the server has sent nothing to this idle, open connection."""
    if connection.closed:
        return False
    poller = select.poll()
    poller.register(connection.pgconn.socket, select.POLLIN | select.POLLERR | select.POLLHUP)
    return not poller.poll(0)


def connection_check(connection: Connection) -> None:
    """The pool's check: raise if the server ended `connection`."""
    if socket_quiet(connection):
        return
    if connection.closed:
        raise OperationalError("the connection is closed")
    try:
        ConnectionPool.check_connection(connection)
    except Exception:
        pool = getattr(connection, "_pool", None)  # set by the pool while it lends it
        if pool is not None:
            pool.drain()  # the server restarted: the idle ones are dead too
        raise


class DatabaseWrapper(base.DatabaseWrapper):
    # django-tenants (the ENGINE, a subclass of this one) sends `SET search_path` before
    # the first query after each schema switch, and every request switches: a round trip
    # and a statement per request, though a pooled connection mostly serves the same
    # merchant again. The path a connection holds on the server is noted on it (psycopg's
    # connection object, which the pool lends again) when the SET ran outside a
    # transaction: then nothing but another SET changes it, since the pool resets
    # nothing. django-tenants asks `search_path_set_schemas` whether a SET is needed; the
    # note answers for it when it names the path wanted now. A SET inside a transaction
    # is not noted, and removes the note: a rollback would undo it on the server.
    _search_path_set: list[str] | None = None

    @property
    def search_path_set_schemas(self) -> list[str] | None:
        if self._search_path_set is not None or self.connection is None:
            return self._search_path_set
        held = getattr(self.connection, "_loyalty_search_path", None)
        if held is None or not getattr(self, "schema_name", None):
            return None
        wanted = self._get_cursor_search_paths()  # type: ignore[attr-defined]
        return wanted if tuple(wanted) == held else None

    @search_path_set_schemas.setter
    def search_path_set_schemas(self, paths: list[str] | None) -> None:
        # django-tenants sets the paths right after its SET ran; None after a switch, a
        # rollback or a close, which leave a noted path as it is on the server.
        self._search_path_set = paths
        if paths is None or self.connection is None:
            return
        idle = self.connection.info.transaction_status == TransactionStatus.IDLE
        self.connection._loyalty_search_path = tuple(paths) if idle else None  # type: ignore[attr-defined]

    @property
    def pool(self) -> ConnectionPool | None:
        # Django 5.2's pool, with `connection_check` as its check: Django passes the
        # check itself, so OPTIONS["pool"] cannot carry one.
        options = self.settings_dict["OPTIONS"].get("pool")
        if self.alias == NO_DB_ALIAS or not options:
            return None
        pools: dict[str, ConnectionPool] = self._connection_pools  # type: ignore[attr-defined]
        if self.alias not in pools:
            if self.settings_dict.get("CONN_MAX_AGE", 0) != 0:
                return super().pool  # type: ignore[misc]  # Django refuses it, with its message
            connect_kwargs = self.get_connection_params()
            connect_kwargs["autocommit"] = True  # Django sets it properly later on
            checks = self.settings_dict["CONN_HEALTH_CHECKS"]
            pool = ConnectionPool(
                kwargs=connect_kwargs,
                open=False,
                configure=self._configure_connection,  # type: ignore[attr-defined]
                check=connection_check if checks else None,
                **({} if options is True else options),
            )
            pools.setdefault(self.alias, pool)
        return pools[self.alias]

    def is_usable(self) -> Any:
        if self.connection is not None and socket_quiet(self.connection):
            return True
        return super().is_usable()
