"""What the database pool does with a connection a request gave back (settings,
DATABASES["default"]["OPTIONS"]["pool"]). Imported by the settings: psycopg only."""

from psycopg import Connection


def search_path_reset(connection: Connection) -> None:
    """Forget the last merchant's schema: django-tenants sets the search_path again on
    the next checkout, and anything that ran before it would find only public tables."""
    connection.execute("RESET search_path")
    if not connection.autocommit:
        connection.commit()
