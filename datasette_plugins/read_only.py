"""Read-only on the web: every request other than GET, HEAD or OPTIONS gets a 405.

Datasette 0.65 has no write API without write plugins, but a POST to a canned query page
still reaches its view (and fails with a 500); nothing on this site accepts a write.
"""

from __future__ import annotations

from datasette import hookimpl
from datasette.utils.asgi import Response

ALLOWED_METHODS = ("GET", "HEAD", "OPTIONS")


def method_guard(app):
    """ASGI middleware refusing methods that could write."""

    async def guarded(scope, receive, send):
        if scope.get("type") == "http" and scope.get("method", "GET").upper() not in ALLOWED_METHODS:
            response = Response.text("This site is read-only: only GET and HEAD are accepted.\n",
                                     status=405, headers={"Allow": ", ".join(ALLOWED_METHODS)})
            await response.asgi_send(send)
            return
        await app(scope, receive, send)

    return guarded


@hookimpl
def asgi_wrapper():
    return method_guard
