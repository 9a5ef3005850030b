"""Test certificates (a CA standing in for Apple's WWDR, a pass certificate it signed),
Apple Wallet switched on with them, and a local APNs stub: HTTP/2 over TLS (ALPN h2)
that asks for the client's certificate, as APNs does."""

import contextlib
import datetime
import ipaddress
import socket
import ssl
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from django.test import override_settings
from h2.config import H2Configuration
from h2.connection import H2Connection
from h2.events import ConnectionTerminated, DataReceived, RequestReceived, StreamEnded

PASS_TYPE_ID = "pass.jo.loyalty.test"
TEAM_ID = "TEAM123456"
KEY_PASSWORD = "pass-key-password"


@dataclass(frozen=True)
class Certificates:
    ca_path: Path
    settings: dict[str, str]
    server_cert_path: Path  # the APNs stub's, for 127.0.0.1, signed by the same CA
    server_key_path: Path


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _certificate(
    subject: str,
    key: rsa.RSAPrivateKey,
    issuer: str,
    issuer_key: rsa.RSAPrivateKey,
    ca: bool,
    ip: str = "",
) -> x509.Certificate:
    now = datetime.datetime(2025, 1, 1, tzinfo=datetime.UTC)
    builder = x509.CertificateBuilder()
    if ip:
        names = [x509.IPAddress(ipaddress.ip_address(ip))]
        builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
    return (
        builder.subject_name(_name(subject))
        .issuer_name(_name(issuer))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .sign(issuer_key, hashes.SHA256())
    )


@pytest.fixture(scope="session")
def certificates(tmp_path_factory: pytest.TempPathFactory) -> Certificates:
    """The pass certificate as a file, its key as PEM text with a password, the CA as a file."""
    folder = tmp_path_factory.mktemp("applewallet")
    ca_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ca = _certificate("Test WWDR", ca_key, "Test WWDR", ca_key, ca=True)
    pass_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    certificate = _certificate(
        f"Pass Type ID: {PASS_TYPE_ID}", pass_key, "Test WWDR", ca_key, False
    )
    ca_path, cert_path = folder / "wwdr.pem", folder / "pass.pem"
    ca_path.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    server_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    server = _certificate("127.0.0.1", server_key, "Test WWDR", ca_key, ca=False, ip="127.0.0.1")
    server_cert_path, server_key_path = folder / "server.pem", folder / "server.key"
    server_cert_path.write_bytes(server.public_bytes(serialization.Encoding.PEM))
    server_key_path.write_bytes(
        server_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    key_pem = pass_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(KEY_PASSWORD.encode()),
    ).decode()
    return Certificates(
        ca_path=ca_path,
        settings={
            "APPLE_PASS_TYPE_ID": PASS_TYPE_ID,
            "APPLE_TEAM_ID": TEAM_ID,
            "APPLE_PASS_CERT": str(cert_path),
            "APPLE_PASS_KEY": key_pem,
            "APPLE_PASS_KEY_PASSWORD": KEY_PASSWORD,
            "APPLE_WWDR_CERT": str(ca_path),
        },
        server_cert_path=server_cert_path,
        server_key_path=server_key_path,
    )


@pytest.fixture
def wallet(certificates: Certificates) -> Iterator[Certificates]:
    """Apple Wallet configured with the test certificates."""
    with override_settings(**certificates.settings):
        yield certificates


@dataclass
class ApnsStub:
    """APNs on 127.0.0.1: records each request with the subject of the client certificate
    it came with; answers 410 Unregistered for the tokens in `gone`, 200 otherwise."""

    url: str = ""
    requests: list[dict[str, Any]] = field(default_factory=list)
    gone: set[str] = field(default_factory=set)

    def serve(self, raw: socket.socket, tls: ssl.SSLContext) -> None:
        try:
            conn = tls.wrap_socket(raw, server_side=True)
        except (ssl.SSLError, OSError):
            raw.close()
            return
        assert conn.selected_alpn_protocol() == "h2"
        certificate: Any = conn.getpeercert()
        peer = dict(item[0] for item in certificate["subject"])
        h2 = H2Connection(H2Configuration(client_side=False, header_encoding="utf-8"))
        h2.initiate_connection()
        conn.sendall(h2.data_to_send())
        streams: dict[int, dict[str, Any]] = {}
        with conn:
            while data := conn.recv(65535):
                for event in h2.receive_data(data):
                    if isinstance(event, RequestReceived):
                        streams[event.stream_id] = {
                            "headers": dict(event.headers),
                            "body": b"",
                            "client": peer["commonName"],
                        }
                    elif isinstance(event, DataReceived):
                        streams[event.stream_id]["body"] += event.data
                        h2.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
                    elif isinstance(event, StreamEnded):
                        self.answer(h2, event.stream_id, streams.pop(event.stream_id))
                    elif isinstance(event, ConnectionTerminated):
                        conn.sendall(h2.data_to_send())
                        return
                conn.sendall(h2.data_to_send())

    def answer(self, h2: H2Connection, stream_id: int, request: dict[str, Any]) -> None:
        self.requests.append(request)
        token = request["headers"][":path"].rsplit("/", 1)[-1]
        status, body = ("410", b'{"reason":"Unregistered"}') if token in self.gone else ("200", b"")
        headers = [(":status", status), ("apns-id", f"id-{len(self.requests)}")]
        if body:
            headers += [("content-type", "application/json"), ("content-length", str(len(body)))]
        h2.send_headers(stream_id, headers, end_stream=not body)
        if body:
            h2.send_data(stream_id, body, end_stream=True)


@pytest.fixture
def apns(wallet: Certificates, monkeypatch: pytest.MonkeyPatch) -> Iterator[ApnsStub]:
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.load_cert_chain(wallet.server_cert_path, wallet.server_key_path)
    tls.load_verify_locations(wallet.ca_path)
    tls.verify_mode = ssl.CERT_REQUIRED  # APNs refuses a connection without the pass certificate
    tls.set_alpn_protocols(["h2"])
    # The push client trusts the system's CAs; here the system's CA file is the test CA.
    monkeypatch.setenv("SSL_CERT_FILE", str(wallet.ca_path))
    listener = socket.create_server(("127.0.0.1", 0))
    stub = ApnsStub(url=f"https://127.0.0.1:{listener.getsockname()[1]}")

    def accept() -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            threading.Thread(target=stub.serve, args=(conn, tls), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    with override_settings(APNS_BASE=stub.url):
        yield stub
    with contextlib.suppress(OSError):
        listener.shutdown(socket.SHUT_RDWR)  # wakes the accepting thread
    listener.close()
