"""The host lookup each process keeps in front of Redis (tenants.selectors): a change
saved in this process is seen at once; one saved by another process within
HOST_LOCAL_SECONDS."""

import pytest
from django.core.cache import cache
from django_tenants.utils import schema_context

from tenants import selectors
from tenants.models import Merchant
from tenants.selectors import HOST_LOCAL_SECONDS, host_cache_key, merchant_for_host

pytestmark = pytest.mark.django_db


def found(host: str) -> Merchant:
    merchant = merchant_for_host(host)
    assert merchant is not None
    return merchant


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    now = [1000.0]
    monkeypatch.setattr(selectors, "_clock", lambda: now[0])
    return now


def test_a_suspension_saved_in_this_process_is_seen_at_once(merchant_a, clock) -> None:
    assert not found(merchant_a.host).is_suspended
    merchant = Merchant.objects.get(pk=merchant_a.merchant.pk)
    merchant.status = Merchant.Status.SUSPENDED
    merchant.save(update_fields=["status"])

    assert found(merchant_a.host).is_suspended


def test_a_suspension_saved_by_another_process_is_seen_within_the_local_seconds(
    merchant_a, clock
) -> None:
    assert not found(merchant_a.host).is_suspended
    # Another process suspends it: the row changes and its signal drops the Redis key;
    # this process is not told.
    Merchant.objects.filter(pk=merchant_a.merchant.pk).update(status=Merchant.Status.SUSPENDED)
    with schema_context("public"):
        cache.delete(host_cache_key(merchant_a.host))

    clock[0] += HOST_LOCAL_SECONDS - 0.1
    still = found(merchant_a.host)
    clock[0] += 0.1
    now = found(merchant_a.host)

    assert HOST_LOCAL_SECONDS == 5
    assert not still.is_suspended
    assert now.is_suspended


def test_each_caller_gets_its_own_copy(merchant_a, clock) -> None:
    first = found(merchant_a.host)
    first.name = "changed by one request"
    assert found(merchant_a.host).name == merchant_a.merchant.name


def test_an_unknown_host_is_found_once_created(merchant_a, clock) -> None:
    host = "gamma-bakery.localhost"
    assert merchant_for_host(host) is None
    merchant_a.merchant.domains.create(domain=host, is_primary=False)
    assert found(host).pk == merchant_a.merchant.pk
