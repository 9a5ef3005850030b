"""Writes: a member's pass, the devices that keep it, and marking it changed."""

import datetime
import hashlib
import hmac
import secrets

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac

from loyalty.db import connection
from points.models import Membership

from .models import Registration, WalletPass


def _now() -> datetime.datetime:
    """Whole seconds: HTTP's Last-Modified and If-Modified-Since have no finer grain."""
    return timezone.now().replace(microsecond=0)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def pass_token(wallet_pass: WalletPass) -> str:
    """The pass's authentication token: derived from the secret key, so every copy of the
    pass carries the same one while the database keeps only its hash."""
    message = f"{connection.schema_name}:{wallet_pass.serial_number}"
    return salted_hmac("applewallet.token", message, algorithm="sha256").hexdigest()


def pass_token_valid(wallet_pass: WalletPass, token: str) -> bool:
    return hmac.compare_digest(_hash(token), wallet_pass.token_hash)


def pass_for_membership(*, membership: Membership) -> WalletPass:
    """The member's pass, made on first use (a random serial number)."""
    existing = WalletPass.objects.filter(membership=membership).first()
    if existing is not None:
        return existing
    made = WalletPass(membership=membership, serial_number=secrets.token_hex(16), changed_at=_now())
    made.token_hash = _hash(pass_token(made))
    try:
        with transaction.atomic():
            made.save()
    except IntegrityError:  # a second download at the same instant made it first
        return WalletPass.objects.get(membership=membership)
    return made


def pass_token_issue(*, wallet_pass: WalletPass) -> str:
    """The token to put in a pass being built. After a change of secret key it differs
    from the stored hash: the new one is stored, and the devices get it with the pass."""
    token = pass_token(wallet_pass)
    if not pass_token_valid(wallet_pass, token):
        wallet_pass.token_hash = _hash(token)
        wallet_pass.save(update_fields=["token_hash"])
    return token


def pass_touch(*, membership_id: int) -> WalletPass | None:
    """Mark the member's pass changed (its balance or tier moved); None without a pass.
    Each change gets a later second than the one before, so a device that fetched the
    pass within the same second as a change still sees the next one as newer."""
    with transaction.atomic():
        wallet_pass = (
            WalletPass.objects.select_for_update().filter(membership_id=membership_id).first()
        )
        if wallet_pass is None:
            return None
        wallet_pass.changed_at = max(_now(), wallet_pass.changed_at + datetime.timedelta(seconds=1))
        wallet_pass.save(update_fields=["changed_at"])
    return wallet_pass


def device_register(
    *, wallet_pass: WalletPass, device_library_id: str, push_token: str
) -> tuple[Registration, bool]:
    """Remember that a device keeps the pass; a known device gets its new push token.
    Returns the registration and whether it is new."""
    with transaction.atomic():
        registration, created = Registration.objects.select_for_update().get_or_create(
            wallet_pass=wallet_pass,
            device_library_id=device_library_id,
            defaults={"push_token": push_token},
        )
        if not created and registration.push_token != push_token:
            registration.push_token = push_token
            registration.save(update_fields=["push_token"])
    return registration, created


def device_unregister(*, wallet_pass: WalletPass, device_library_id: str) -> int:
    deleted, _ = Registration.objects.filter(
        wallet_pass=wallet_pass, device_library_id=device_library_id
    ).delete()
    return deleted


def registration_forget(*, registration_id: int) -> None:
    """APNs said the push token is gone (410): the device no longer keeps the pass."""
    Registration.objects.filter(pk=registration_id).delete()
