"""Shared plumbing of the pages: which database to read, HTML/JSON responses and error pages."""

from __future__ import annotations

import json
from typing import Any

from datasette.utils.asgi import Response

PLUGIN_NAME = "newskb"
JSON_HEADERS = {"Access-Control-Allow-Origin": "*"}


def kb_database(datasette):
    """The Datasette database holding the knowledge base (plugin setting `database`, else the first)."""
    config = datasette.plugin_config(PLUGIN_NAME) or {}
    name = config.get("database")
    if name:
        return datasette.get_database(name)
    return datasette.get_database()


def plugin_setting(datasette, key: str, default: Any) -> Any:
    """One setting of the plugin from the metadata/config file, with a default."""
    config = datasette.plugin_config(PLUGIN_NAME) or {}
    return config.get(key, default)


def wants_json(request) -> bool:
    """True when the path asked for the .json form of a page (ours or one of Datasette's)."""
    return (request.url_vars or {}).get("format") == ".json" or request.path.endswith(".json")


async def html_response(datasette, request, template: str, context: dict, status: int = 200) -> Response:
    """Render one of the plugin's templates inside Datasette's page layout."""
    context = {**context, "kb_database_name": kb_database(datasette).name}
    body = await datasette.render_template(template, context, request=request)
    return Response.html(body, status=status)


def json_response(data: Any, status: int = 200) -> Response:
    """A JSON response (non-ASCII kept, floats as given)."""
    return Response(json.dumps(data, ensure_ascii=False, default=str), status=status,
                    headers=JSON_HEADERS, content_type="application/json; charset=utf-8")


async def error_response(datasette, request, status: int, message: str,
                         parameter: str | None = None) -> Response:
    """A 400/404 page or JSON body with a clear message (naming the parameter when known)."""
    if wants_json(request):
        body: dict[str, Any] = {"ok": False, "status": status, "error": message}
        if parameter:
            body["parameter"] = parameter
        return json_response(body, status=status)
    title = {400: "Bad request", 404: "Not found"}.get(status, "Busy")
    return await html_response(datasette, request, "kb_error.html",
                               {"title": title, "message": message, "status": status}, status=status)
