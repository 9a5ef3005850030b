"""Schemathesis over the whole OpenAPI schema, on a merchant host and on the root
domain, with real tokens and every check it has (`--checks all`), in positive and
negative modes: no server error, no undocumented status, code, header or body, every
request that fits the schema accepted or refused by a rule (422), every request that
does not fit it refused.

The app is called in-process (WSGI) inside the test's transaction, so the data the
test sets up is visible to it and rolled back afterwards. A fixed number of examples
per operation, derandomized and without a Hypothesis database: each run tries the same
requests."""

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django_tenants.utils import schema_context
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from hypothesis import HealthCheck, settings

from points.services import points_adjust
from points.tests.factories import programme_create
from tests.api import api, customer_sign_in, staff_sign_in
from tests.fixtures import PASSWORD

EXAMPLES = 12


def spec_for(urlconf: str) -> dict[str, Any]:
    generated = SchemaGenerator(urlconf=urlconf).get_schema(request=None, public=True)
    return json.loads(OpenApiJsonRenderer().render(generated))


merchant_schema = schemathesis.openapi.from_dict(spec_for("loyalty.urls_tenant"))
root_schema = schemathesis.openapi.from_dict(spec_for("loyalty.urls_public"))
for loaded in (merchant_schema, root_schema):
    loaded.app = get_wsgi_application()
    loaded.config.checks.update(included_check_names=["all"])
    # The contract (docs/api.md): a request that fits the schema but breaks a business
    # rule (unknown phone number, wrong join code, too few points) is 422.
    accepted = loaded.config.checks.positive_data_acceptance.expected_statuses
    if "422" not in accepted:
        accepted.append("422")
    # NUL characters are refused in every text at the edge (400), not per field in the schema.
    loaded.config.generation.update(allow_x00=False)


@contextmanager
def in_process() -> Iterator[None]:
    """Keep Django from closing the test's connection at the end of a WSGI request."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture
def tokens(db: None, merchant_a: Any) -> dict[str, str]:
    with schema_context(merchant_a.schema):
        programme = programme_create()
    customer = customer_sign_in("+962798880001")
    member = api(merchant_a.host, customer["access"]).post("/api/v1/join", {}, format="json")
    with schema_context(merchant_a.schema):
        points_adjust(
            membership_id=member.json()["id"], points=500, reason="fuzz", actor=programme.manager
        )
    staff = staff_sign_in(merchant_a.host, merchant_a.owner_email, PASSWORD)
    return {"customerToken": customer["access"], "staffToken": staff["access"]}


def auth_headers(case: Any, tokens: dict[str, str]) -> dict[str, str]:
    for requirement in case.operation.definition.raw.get("security", []):
        for scheme in requirement:
            if scheme in tokens:
                return {"Authorization": f"Bearer {tokens[scheme]}"}
    return {}


FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)


@merchant_schema.parametrize()
@FUZZ
def test_merchant_host_api_keeps_its_schema(case: Any, tokens: dict[str, str]) -> None:
    with in_process():
        case.call_and_validate(
            base_url="http://alpha-cafe.localhost:8000",
            headers=auth_headers(case, tokens),
        )


@root_schema.parametrize()
@FUZZ
def test_root_domain_api_keeps_its_schema(case: Any, tokens: dict[str, str]) -> None:
    with in_process():
        case.call_and_validate(
            base_url="http://localhost:8000",
            headers=auth_headers(case, tokens),
        )
