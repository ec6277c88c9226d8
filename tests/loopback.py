"""A real HTTP server on 127.0.0.1 for tests: static files plus scripted routes for faults."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Callable
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
