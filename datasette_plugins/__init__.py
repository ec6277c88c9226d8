"""Datasette plugins of the knowledge base: shared styling, navigation, the month facet and limits.

Each page lives in its own module (home, timeline, story, entity, article, search, charts),
registered as its own entry point in pyproject.toml. The SQLite limits (sql_limits.py) and plain-text
cells (markup.py) register through this module.
"""

from __future__ import annotations

from datasette import hookimpl

from datasette_plugins.bad_requests import classify
from datasette_plugins.markup import render_cell
from datasette_plugins.month_facet import MonthFacet
from datasette_plugins.responses import error_response
from datasette_plugins.sql_limits import prepare_connection

__all__ = ["prepare_connection", "render_cell"]

CSS_PATH = "/-/static-plugins/newskb/kb.css"


@hookimpl
def extra_css_urls():
    return [CSS_PATH]


@hookimpl
def register_facet_classes():
    return [MonthFacet]


@hookimpl
def handle_exception(datasette, request, exception):
    """A bad parameter or a query over the server's limits is a 400 or 503 (bad_requests.py), not a 500.

    A page of ours that hits the SQL time limit says so with a 503.
    """
    if request is None:
        return None
    refusal = classify(exception, request)
    if refusal is None:
        return None
    return error_response(datasette, request, refusal.status, refusal.message, refusal.parameter)
