"""Helpers for tests that write from threads: threads cannot see a test's open
transaction, so what they need is written and committed by a thread of its own."""

import threading
from collections.abc import Callable
from typing import Any

from django.db import IntegrityError, transaction
from django_tenants.utils import schema_context

from loyalty.db import connection
from loyalty.errors import DomainError
from points.models import Membership
from points.services import points_adjust
from points.tests.factories import Programme


def committed(action: Callable[[], Any]) -> Any:
    """Run `action` in a thread of its own, committed when it returns."""
    return run_together(1, connection.schema_name, lambda i: action())[0]


def committed_past_the_relay(action: Callable[[], Any], attempts: int = 5) -> Any:
    """`committed(action)` as one transaction, tried again when its commit fails on a
    foreign key. For clean-ups that delete platform messages (or what owns them): a
    Celery worker relaying the platform's messages may add a delivery to one of them
    between the delete collecting its rows and its commit."""

    def run() -> Any:
        for attempt in range(attempts):
            try:
                with transaction.atomic():
                    return action()
            except IntegrityError:
                if attempt == attempts - 1:
                    raise
        return None

    return committed(run)


def run_together(count: int, schema: str, action: Callable[[int], Any]) -> list[Any]:
    """Run `action(i)` in `count` threads released at the same instant."""
    barrier = threading.Barrier(count)
    results: list[Any] = [None] * count

    def worker(i: int) -> None:
        try:
            with schema_context(schema):
                barrier.wait()
                try:
                    results[i] = action(i)
                except DomainError as refused:
                    results[i] = refused.code
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results


def funded_member(programme: Programme, points: int) -> Membership:
    def make() -> Membership:
        member = programme.member()
        points_adjust(
            membership_id=member.pk, points=points, reason="test", actor=programme.manager
        )
        return member

    return committed(make)
