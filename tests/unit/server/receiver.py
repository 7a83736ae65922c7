"""A local HTTP server on 127.0.0.1 for tests: webhook receiver (scripted status codes, delays, outage) and
audio file host (GET /audio/<name>, /redirect/<n>/<name>)."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    at: float


@dataclass
class Receiver:
    script: list[int | str] = field(default_factory=list)  # per POST: status code or "sleep:<s>"; then default
    default: int | str = 200
    files: dict[str, bytes] = field(default_factory=dict)
    received: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    server: ThreadingHTTPServer | None = None
    port: int = 0

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> Receiver:
        rec = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:  # noqa: ANN002
                pass

            def do_GET(self) -> None:  # noqa: N802
                parts = self.path.strip("/").split("/")
                if parts[0] == "redirect" and len(parts) == 3:
                    n = int(parts[1])
                    loc = f"/audio/{parts[2]}" if n <= 0 else f"/redirect/{n - 1}/{parts[2]}"
                    self.send_response(302)
                    self.send_header("Location", loc)
                    self.end_headers()
                    return
                body = rec.files.get(parts[-1]) if parts[0] == "audio" else None
                if body is None:
                    self.send_response(404)
                    self.end_headers()
                    return
                self.send_response(200)
                self.send_header("Content-Type", "audio/wav")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with rec.lock:
                    action = rec.script.pop(0) if rec.script else rec.default
                    rec.received.append(Received(self.path, dict(self.headers), body, time.time()))
                if isinstance(action, str) and action.startswith("sleep:"):
                    time.sleep(float(action.split(":", 1)[1]))
                    action = 200
                self.send_response(int(action))
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

        ThreadingHTTPServer.allow_reuse_address = True
        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:  # noqa: ANN002
        assert self.server is not None
        self.server.shutdown()
        self.server.server_close()
