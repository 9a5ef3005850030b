from collections.abc import Iterator

import pytest
from django_tenants.utils import schema_context

from points.tests.factories import Programme, programme_create


@pytest.fixture
def programme(db: None, merchant_a) -> Iterator[Programme]:
    """The seed's programme inside merchant A's schema; the test runs in that schema."""
    with schema_context(merchant_a.schema):
        yield programme_create()
