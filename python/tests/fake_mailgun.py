"""A local HTTP server that checks requests as Mailgun's POST /v3/<domain>/messages does and answers
with Mailgun's responses: 200 {"id", "message": "Queued. Thank you."}, 401 "Forbidden" for a wrong key,
400 for a missing field, and whatever status a test scripts for a recipient (500, 503, 400, or "hang").
"""

from __future__ import annotations

import base64
import json
import threading
import urllib.parse
import uuid
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Union

Scripted = Union[int, str]  # an HTTP status, or "hang" (answer only when released)


@dataclass
class ReceivedRequest:
    path: str
    authorized: bool
    fields: dict[str, str]
    status: int | None  # None while the answer is still pending


class FakeMailgun:
    def __init__(self, domain: str, api_key: str) -> None:
        self.domain = domain
        self.api_key = api_key
        self.requests: list[ReceivedRequest] = []
        self.script: dict[str, list[Scripted]] = {}
        self.release = threading.Event()
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def close(self) -> None:
        self.release.set()
        self._server.shutdown()
        self._server.server_close()

    def to(self, address: str) -> list[ReceivedRequest]:
        with self._lock:
            return [request for request in self.requests if request.fields.get("to") == address]

    def _next_scripted(self, recipient: str) -> Scripted:
        with self._lock:
            queue = self.script.get(recipient)
            return queue.pop(0) if queue else 200

    def _record(self, request: ReceivedRequest) -> None:
        with self._lock:
            self.requests.append(request)

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_: object) -> None:  # quiet: the test output is the worker's logs
                pass

            received: ReceivedRequest

            def _answer(self, status: int, body: object) -> None:
                self.received.status = status  # before the worker can read the answer
                raw = body.encode() if isinstance(body, str) else json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "text/plain" if isinstance(body, str) else "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                raw = self.rfile.read(length).decode()
                expected = "Basic " + base64.b64encode(f"api:{fake.api_key}".encode()).decode()
                authorized = self.headers.get("Authorization") == expected
                form_type = self.headers.get("Content-Type", "").startswith("application/x-www-form-urlencoded")
                fields = dict(urllib.parse.parse_qsl(raw)) if form_type else {}
                # Recorded on arrival: a test can see a request whose answer is still pending.
                self.received = ReceivedRequest(path=self.path, authorized=authorized, fields=fields, status=None)
                fake._record(self.received)
                self._respond(authorized, fields)

            def _respond(self, authorized: bool, fields: dict[str, str]) -> None:
                if self.path != f"/v3/{fake.domain}/messages":
                    self._answer(404, {"message": "Domain not found"})
                    return
                if not authorized:
                    self._answer(401, "Forbidden")
                    return
                for name in ("from", "to", "subject"):
                    if not fields.get(name):
                        self._answer(400, {"message": f"'{name}' parameter is missing"})
                        return
                if not (fields.get("text") or fields.get("html")):
                    self._answer(400, {"message": "Need at least one of 'text' or 'html' parameters specified"})
                    return
                scripted = fake._next_scripted(fields["to"])
                if scripted == "hang":
                    fake.release.wait(timeout=30)
                    scripted = 200
                if scripted == 200:
                    self._answer(200, {"id": f"<{uuid.uuid4()}@{fake.domain}>", "message": "Queued. Thank you."})
                elif scripted == 400:
                    # Mailgun quotes the bad address back: the worker must not log it.
                    self._answer(400, {"message": f"to parameter is not a valid address. please check documentation: {fields['to']}"})
                else:
                    self._answer(int(scripted), {"message": "Internal Server Error"})

        return Handler
