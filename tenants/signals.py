"""Forget cached host lookups when a domain or a merchant changes.

Caching is plumbing, not a business rule, so it hangs on model signals: a change
made anywhere (service, admin, shell) drops the stale entry, in Redis and in this
process (other processes keep theirs at most `HOST_LOCAL_SECONDS`). Keys are dropped at once
and again after commit, so a request racing the transaction cannot re-cache the old row.
"""

from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import receiver
from django_tenants.utils import get_public_schema_name, schema_context

from .models import Domain, Merchant
from .selectors import host_cache_key, host_forget_local


def _forget(hostnames: set[str]) -> None:
    keys = [host_cache_key(h) for h in hostnames]
    if not keys:
        return

    def drop() -> None:
        host_forget_local(hostnames)
        with schema_context(get_public_schema_name()):
            cache.delete_many(keys)

    drop()
    transaction.on_commit(drop)


@receiver(pre_save, sender=Domain)
def _remember_old_hostname(sender: type[Domain], instance: Domain, **kwargs: object) -> None:
    if instance.pk:
        instance._previous_domain = (  # type: ignore[attr-defined]
            Domain.objects.filter(pk=instance.pk).values_list("domain", flat=True).first()
        )


@receiver(post_save, sender=Domain)
@receiver(post_delete, sender=Domain)
def _domain_changed(sender: type[Domain], instance: Domain, **kwargs: object) -> None:
    hostnames = {instance.domain}
    previous = getattr(instance, "_previous_domain", None)
    if previous:
        hostnames.add(previous)
    _forget(hostnames)


@receiver(post_save, sender=Merchant)
@receiver(post_delete, sender=Merchant)
def _merchant_changed(sender: type[Merchant], instance: Merchant, **kwargs: object) -> None:
    _forget(set(Domain.objects.filter(tenant_id=instance.pk).values_list("domain", flat=True)))
