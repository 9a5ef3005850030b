"""Reads for the pass web service (the merchant schema of the request's host)."""

import datetime

from django.db.models import Max

from .models import Registration, WalletPass


def pass_by_serial(serial_number: str) -> WalletPass | None:
    return (
        WalletPass.objects.select_related("membership__tier", "membership__customer")
        .filter(serial_number=serial_number)
        .first()
    )


def serials_updated(
    *, device_library_id: str, since: datetime.datetime | None
) -> tuple[list[str], datetime.datetime | None]:
    """The serial numbers of the passes this device keeps that changed after `since`
    (all of them without it), and the latest change among them."""
    passes = WalletPass.objects.filter(registrations__device_library_id=device_library_id)
    if since is not None:
        passes = passes.filter(changed_at__gt=since)
    serials = sorted(passes.values_list("serial_number", flat=True))
    latest = passes.aggregate(latest=Max("changed_at"))["latest"]
    return serials, latest


def registrations_of(wallet_pass_id: int) -> list[Registration]:
    return list(Registration.objects.filter(wallet_pass_id=wallet_pass_id).order_by("pk"))
