"""Helpers for tasks that run in a merchant's schema."""

from collections.abc import Callable
from functools import wraps
from typing import Any, ParamSpec, TypeVar

from celery import shared_task
from django_tenants.utils import schema_context, tenant_context

from tenants.models import Merchant
from tenants.selectors import merchants_active

P = ParamSpec("P")
R = TypeVar("R")


def merchant_task(**task_options: Any) -> Callable[[Callable[..., R]], Any]:
    """A Celery task whose first argument is the schema it must run in.

    `@merchant_task()` on `def f(x)` gives a task called as `f.delay(schema_name, x)`;
    the body runs in that merchant's `tenant_context`, as a request does: the merchant
    is read once, and `tenants.selectors.merchant_current` in the body costs no query
    (a nightly job asked it 25 times per merchant). A call without a schema fails.
    """

    def decorate(func: Callable[..., R]) -> Any:
        @shared_task(name=f"{func.__module__}.{func.__name__}", **task_options)
        @wraps(func)
        def run(schema_name: str, *args: Any, **kwargs: Any) -> R:
            if not schema_name or schema_name == "public":
                raise ValueError(f"{func.__name__} needs a merchant schema, got {schema_name!r}")
            merchant = Merchant.objects.filter(schema_name=schema_name).first()
            context = tenant_context(merchant) if merchant else schema_context(schema_name)
            with context:
                return func(*args, **kwargs)

        return run

    return decorate


def for_each_merchant(task: Any, *args: Any, **kwargs: Any) -> int:
    """Queue `task` once for every active merchant; returns how many were queued."""
    count = 0
    for schema_name in merchants_active().values_list("schema_name", flat=True):
        task.delay(schema_name, *args, **kwargs)
        count += 1
    return count
