"""Datasette plugins of the knowledge base: shared styling, navigation, the month facet and limits.

Each page lives in its own module (home, timeline, story, entity, article, search, charts),
registered as its own entry point in pyproject.toml. The plain-text cells (markup.py) register
through this module.
"""

from __future__ import annotations

from datasette import hookimpl
from datasette.database import QueryInterrupted

from datasette_plugins.markup import render_cell
from datasette_plugins.month_facet import MonthFacet

__all__ = ["render_cell"]

CSS_PATH = "/-/static-plugins/newskb/kb.css"


@hookimpl
def extra_css_urls():
    return [CSS_PATH]


@hookimpl
def register_facet_classes():
    return [MonthFacet]


@hookimpl
def menu_links(datasette):
    return [
        {"href": datasette.urls.path("/-/timeline"), "label": "Timeline"},
        {"href": datasette.urls.path("/-/charts"), "label": "Charts"},
        {"href": datasette.urls.path("/-/search"), "label": "Search"},
    ]


@hookimpl
def handle_exception(datasette, request, exception):
    """A page of ours that hits the SQL time limit says so (503) instead of failing with a 500."""
    if not isinstance(exception, QueryInterrupted) or request is None or not request.path.startswith("/-/"):
        return None
    from datasette_plugins.responses import error_response

    message = ("this page took longer than the SQL time limit: narrow it with filters "
               "(a story, an entity, a type or a date range) or try again in a minute")
    return error_response(datasette, request, 503, message)
