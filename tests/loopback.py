"""A real HTTP server on 127.0.0.1 for tests: static files plus scripted routes for faults."""

from __future__ import annotations

import contextlib
import http.server
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

Route = Callable[[http.server.BaseHTTPRequestHandler], None]


class LoopbackServer:
    """Serve `root` on an ephemeral loopback port; `routes` override paths with handlers.

    A route is a function taking the request handler, so a test can write any bytes,
    status or headers it likes (reset connections, drip slowly, send a gzip bomb...).
    Every request is recorded in `requests` as (method, path, headers).
    """

    def __init__(self, root: str | Path | None = None):
        self.root = Path(root) if root else None
        self.routes: dict[str, Route] = {}
        self.requests: list[tuple[str, str, dict[str, str]]] = []
        server = self

        class Handler(http.server.SimpleHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def __init__(self, *args, **kwargs):
                super().__init__(*args, directory=str(server.root or "."), **kwargs)

            def log_message(self, *args):  # keep test output quiet
                pass

            def do_GET(self):  # noqa: N802 - http.server naming
                server.requests.append(("GET", self.path, dict(self.headers)))
                route = server.routes.get(self.path.split("?")[0]) or server.routes.get(self.path)
                if route:
                    try:
                        route(self)
                    except (BrokenPipeError, ConnectionResetError):
                        pass
                    return
                if server.root is None:
                    self.send_error(404)
                    return
                super().do_GET()

            def do_HEAD(self):  # noqa: N802
                server.requests.append(("HEAD", self.path, dict(self.headers)))
                super().do_HEAD()

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, path: str) -> str:
        return self.base_url + (path if path.startswith("/") else "/" + path)

    def route(self, path: str) -> Callable[[Route], Route]:
        """Decorator: register a handler for `path`."""

        def register(fn: Route) -> Route:
            self.routes[path] = fn
            return fn

        return register

    def paths_requested(self) -> list[str]:
        return [p for _, p, _ in self.requests]

    def __enter__(self) -> LoopbackServer:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def respond(handler: http.server.BaseHTTPRequestHandler, status: int, body: bytes | str,
            content_type: str = "text/html; charset=utf-8", headers: dict[str, str] | None = None) -> None:
    """Write a complete response with Content-Length."""
    if isinstance(body, str):
        body = body.encode("utf-8")
    handler.send_response(status)
    handler.send_header("Content-Type", content_type)
    handler.send_header("Content-Length", str(len(body)))
    for key, value in (headers or {}).items():
        handler.send_header(key, value)
    handler.end_headers()
    handler.wfile.write(body)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def kb_served(db: str | Path, timeout: float = 30) -> Iterator[str]:
    """The real `kb serve` of `db` in a subprocess on a free loopback port; yields its base URL."""
    port = free_port()
    kb = Path(sys.executable).parent / "kb"
    process = subprocess.Popen([str(kb), "--db", str(db), "serve", "--port", str(port)],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               env={**os.environ, "PYTHONUNBUFFERED": "1"})
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout
    try:
        while True:
            try:
                with urllib.request.urlopen(base + "/-/versions.json", timeout=2):
                    break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    process.kill()
                    output = process.stdout.read().decode()[-2000:]
                    raise RuntimeError("kb serve did not start: " + output) from None
                time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
