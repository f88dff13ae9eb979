"""A real HTTP receiver on loopback for webhook tests: it answers with the status codes it is
given, in turn (then 200), and keeps every request it got."""

from __future__ import annotations

import hashlib
import hmac
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Received:
    path: str
    headers: dict
    body: bytes


@dataclass
class Receiver:
    # Status codes to answer, in turn; or "trickle" (headers sent slowly, one line at a time,
    # for ever), or "nul" (200 with a binary body holding NUL bytes).
    answers: list = field(default_factory=list)
    received: list[Received] = field(default_factory=list)
    server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}/hooks/waypoint"

    def wait_for(self, count: int, seconds: float = 30.0) -> bool:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if len(self.received) >= count:
                return True
            time.sleep(0.05)
        return False


def start_receiver(answers=(), port: int = 0) -> Receiver:
    """Listening on ``port`` (0: any free one)."""
    receiver = Receiver(answers=list(answers))

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            length = int(self.headers.get("Content-Length", 0))
            body = self.rfile.read(length)
            receiver.received.append(Received(self.path, dict(self.headers.items()), body))
            status = receiver.answers.pop(0) if receiver.answers else 200
            if status == "trickle":
                self.wfile.write(b"HTTP/1.1 200 OK\r\n")
                for n in range(100):
                    time.sleep(0.2)
                    try:
                        self.wfile.write(f"X-Slow-{n}: 1\r\n".encode())
                        self.wfile.flush()
                    except OSError:
                        return
                return
            if status == "nul":
                status, reply = 200, b"\x89PNG\x00\x00binary"
            else:
                reply = b'{"ok": true}' if status < 300 else b"receiver says no"
            self.send_response(status)
            if 300 <= status < 400:
                self.send_header("Location", "http://127.0.0.1:9/elsewhere")
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        def log_message(self, *args):
            pass

    receiver.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    threading.Thread(target=receiver.server.serve_forever, daemon=True).start()
    return receiver


def verify(secret: str, headers: dict, body: bytes, tolerance: int = 300) -> bool:
    """What a partner does with a delivery (the snippet in docs/api.md): check the signature
    over "<t>.<body>" and that ``t`` is recent."""
    parts = dict(item.split("=", 1) for item in headers["Waypoint-Signature"].split(","))
    timestamp = int(parts["t"])
    expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    fresh = abs(time.time() - timestamp) <= tolerance
    return fresh and hmac.compare_digest(expected.hexdigest(), parts["v1"])
