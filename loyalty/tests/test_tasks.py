import pytest
from django.contrib.auth.models import User

from loyalty.db import connection
from loyalty.tasks import merchant_task

pytestmark = pytest.mark.django_db


@merchant_task()
def count_staff() -> tuple[str, int]:
    return connection.schema_name, User.objects.count()


def test_a_merchant_task_runs_inside_the_schema_it_is_given(merchant_a) -> None:
    result = count_staff.apply(args=[merchant_a.schema]).get()

    assert result == (merchant_a.schema, 1)
    assert connection.schema_name == "public"


@pytest.mark.parametrize("schema", ["", "public"])
def test_a_merchant_task_without_a_merchant_schema_fails(schema) -> None:
    with pytest.raises(ValueError, match="needs a merchant schema"):
        count_staff.apply(args=[schema]).get()
