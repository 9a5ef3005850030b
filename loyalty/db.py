"""The default database connection, typed as django-tenants' wrapper.

`django.db.connection` is typed as Django's base wrapper, which has no
`schema_name`, `set_tenant` or `set_schema_to_public`; import it from here instead.
"""

from typing import cast

from django.db import connection as _connection
from django_tenants.postgresql_backend.base import DatabaseWrapper

connection = cast(DatabaseWrapper, _connection)
