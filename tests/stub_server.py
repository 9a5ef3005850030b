"""A local HTTP server that stands in for a provider's API in tests: it records every
request the official SDK sends and answers with a canned response."""

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def form(self) -> dict[str, list[str]]:
        return parse_qs(self.body.decode())

    @property
    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Stub:
    url: str
    requests: list[Recorded] = field(default_factory=list)
    status: int = 201
    reply: dict[str, Any] = field(default_factory=dict)


@contextmanager
def stub_server(status: int = 201, reply: dict[str, Any] | None = None) -> Iterator[Stub]:
    stub = Stub(url="", status=status, reply=reply or {})

    class Handler(BaseHTTPRequestHandler):
        def _handle(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            stub.requests.append(
                Recorded(self.command, self.path, dict(self.headers), self.rfile.read(length))
            )
            body = json.dumps(stub.reply).encode()
            self.send_response(stub.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = do_PUT = do_DELETE = _handle

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    stub.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield stub
    finally:
        server.shutdown()
        server.server_close()
