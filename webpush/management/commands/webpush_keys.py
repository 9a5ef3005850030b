"""Print a new VAPID key pair for .env (VAPID_PUBLIC_KEY, VAPID_PRIVATE_KEY)."""

import base64
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.core.management.base import BaseCommand


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


class Command(BaseCommand):
    help = (
        "Print a new VAPID key pair for Web Push. Browsers subscribed with the old pair "
        "receive nothing until they subscribe again."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        key = ec.generate_private_key(ec.SECP256R1())
        public = key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        private = key.private_numbers().private_value.to_bytes(32, "big")
        self.stdout.write(
            f"VAPID_PUBLIC_KEY={_b64url(public)}\nVAPID_PRIVATE_KEY={_b64url(private)}"
        )
