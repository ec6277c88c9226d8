"""Datasette plugins of the knowledge base: shared styling, navigation and the month facet.

Each page lives in its own module (home, timeline, story, entity, article, search, charts),
registered as its own entry point in pyproject.toml.
"""

from __future__ import annotations

from datasette import hookimpl

from datasette_plugins.month_facet import MonthFacet

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
