"""Pushes to Apple Wallet over APNs: HTTP/2 only (APNs speaks nothing else), TLS with
the Pass Type ID certificate as the client's, an empty JSON payload with apns-topic the
Pass Type ID; the device then asks the web service what changed. APNS_BASE points at a
local stub in tests."""

import contextlib
import os
import ssl
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
from django.conf import settings

from .config import Signer

TIMEOUT = 10.0


@dataclass(frozen=True)
class Outcome:
    token: str
    status: int
    reason: str

    @property
    def gone(self) -> bool:
        """410: the token is no longer valid for the topic (the pass was removed)."""
        return self.status == 410


def _tls(signer: Signer) -> ssl.SSLContext:
    context = ssl.create_default_context()
    # The standard library loads a client certificate from a file only: a private
    # temporary file, removed as soon as it is read.
    with tempfile.NamedTemporaryFile("wb", suffix=".pem", delete=False) as handle:
        os.chmod(handle.name, 0o600)
        handle.write(signer.certificate_pem + b"\n" + signer.key_pem)
    try:
        context.load_cert_chain(handle.name, password=signer.key_password or None)
    finally:
        os.unlink(handle.name)
    return context


@contextlib.contextmanager
def _client(signer: Signer) -> Iterator[httpx.Client]:
    with httpx.Client(
        base_url=settings.APNS_BASE,
        http1=False,
        http2=True,
        verify=_tls(signer),
        timeout=TIMEOUT,
    ) as client:
        yield client


def push(tokens: list[str], signer: Signer) -> list[Outcome]:
    """One push per device token, over one connection; network failures raise."""
    outcomes = []
    with _client(signer) as client:
        for token in tokens:
            response = client.post(
                f"/3/device/{token}",
                content=b"{}",
                headers={"apns-topic": settings.APPLE_PASS_TYPE_ID},
            )
            reason = ""
            if response.status_code != 200:
                with contextlib.suppress(ValueError):
                    reason = str(response.json().get("reason", ""))
            outcomes.append(Outcome(token=token, status=response.status_code, reason=reason))
    return outcomes
