"""A signed .pkpass: a zip of pass.json, its images and strings, manifest.json (the
SHA-1 of every file) and signature (a detached PKCS#7 signature of the manifest, DER,
by the Pass Type ID certificate, carrying Apple's WWDR intermediate certificate).

Built on `cryptography` rather than a pass library: django-walletpass keeps the token in
clear and the pass file in storage, py-pkpass wraps the same PKCS7SignatureBuilder call.
"""

import hashlib
import io
import json
import zipfile
from typing import Any

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.serialization import pkcs7

from .config import Signer


def strings_file(entries: dict[str, str]) -> bytes:
    """A pass.strings file (`"English" = "translation";`), UTF-16 as Apple documents."""

    def quoted(text: str) -> str:
        escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
        return f'"{escaped}"'

    lines = [f"{quoted(key)} = {quoted(value)};" for key, value in entries.items()]
    return ("\n".join(lines) + "\n").encode("utf-16")


def manifest(files: dict[str, bytes]) -> bytes:
    return json.dumps(
        {name: hashlib.sha1(content).hexdigest() for name, content in sorted(files.items())},
        indent=1,
    ).encode()


def signature(data: bytes, signer: Signer) -> bytes:
    return (
        pkcs7.PKCS7SignatureBuilder()
        .set_data(data)
        .add_signer(signer.certificate, signer.key, hashes.SHA256())  # type: ignore[arg-type]
        .add_certificate(signer.wwdr)
        .sign(
            serialization.Encoding.DER,
            [pkcs7.PKCS7Options.DetachedSignature, pkcs7.PKCS7Options.Binary],
        )
    )


def pkpass(pass_json: dict[str, Any], files: dict[str, bytes], signer: Signer) -> bytes:
    """The archive: `files` (images, lproj strings) beside pass.json, manifest, signature."""
    contents = {"pass.json": json.dumps(pass_json, ensure_ascii=False).encode(), **files}
    listed = manifest(contents)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in contents.items():
            archive.writestr(name, content)
        archive.writestr("manifest.json", listed)
        archive.writestr("signature", signature(listed, signer))
    return buffer.getvalue()
