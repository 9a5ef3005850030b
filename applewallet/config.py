"""The pass certificate, its key and Apple's WWDR certificate, from settings.

Each is PEM, given as a path to a file or as the PEM itself (a secret in the
environment). Without all of them (and the Pass Type ID and Team ID), Apple Wallet is
off: no button, and the pass web service answers 404.
"""

import functools
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes
from django.conf import settings


@dataclass(frozen=True)
class Signer:
    certificate: x509.Certificate
    key: PrivateKeyTypes
    wwdr: x509.Certificate
    certificate_pem: bytes
    key_pem: bytes
    key_password: str


def enabled() -> bool:
    return all(
        (
            settings.APPLE_PASS_TYPE_ID,
            settings.APPLE_TEAM_ID,
            settings.APPLE_PASS_CERT,
            settings.APPLE_PASS_KEY,
            settings.APPLE_WWDR_CERT,
        )
    )


def _pem(value: str) -> bytes:
    if "-----BEGIN" in value:
        return value.encode()
    return Path(value).read_bytes()


def signer() -> Signer:
    """The loaded certificates (read once for each set of settings)."""
    return _signer(
        settings.APPLE_PASS_CERT,
        settings.APPLE_PASS_KEY,
        settings.APPLE_PASS_KEY_PASSWORD,
        settings.APPLE_WWDR_CERT,
    )


@functools.cache
def _signer(cert: str, key: str, password: str, wwdr: str) -> Signer:
    certificate_pem, key_pem = _pem(cert), _pem(key)
    private_key = serialization.load_pem_private_key(key_pem, password=password.encode() or None)
    return Signer(
        certificate=x509.load_pem_x509_certificate(certificate_pem),
        key=private_key,
        wwdr=x509.load_pem_x509_certificate(_pem(wwdr)),
        certificate_pem=certificate_pem,
        key_pem=key_pem,
        key_password=password,
    )
