"""A local HTTP server that stands in for a provider's API in tests: it records every
request the official SDK sends and answers with a canned response."""

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, cast
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
    # Answers per request when set: (status, JSON body, extra headers).
    responder: Callable[[Recorded], tuple[int, Any, dict[str, str]]] | None = None

    def to(self, path_part: str) -> list[Recorded]:
        return [r for r in self.requests if path_part in r.path]


@contextmanager
def stub_server(
    status: int = 201,
    reply: dict[str, Any] | None = None,
    responder: Callable[[Recorded], tuple[int, Any, dict[str, str]]] | None = None,
) -> Iterator[Stub]:
    stub = Stub(url="", status=status, reply=reply or {}, responder=responder)

    class Handler(BaseHTTPRequestHandler):
        def _handle(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            recorded = Recorded(
                self.command, self.path, dict(self.headers), self.rfile.read(length)
            )
            stub.requests.append(recorded)
            status, reply = stub.status, cast(Any, stub.reply)
            headers: dict[str, str] = {}
            if stub.responder is not None:
                status, reply, headers = stub.responder(recorded)
            # A string is a page (a provider's hosted page a browser opens); the rest JSON.
            page = isinstance(reply, str)
            body = (reply if page else json.dumps(reply)).encode()
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            kind = "text/html; charset=utf-8" if page else "application/json"
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle

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
