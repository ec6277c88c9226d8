"""Datasette's own table pages (/kb/...): scores as percentages, score components as a list, ids as
links, internal columns left out of the default view, and the site's navigation on every page.

Internal columns (the plugin setting `hidden_columns`, per table) are left out of the HTML table
page by adding `?_nocol=` to its request when it names no columns itself: `?_col=` shows them
again, and the JSON, CSV and SQL keep every column. Internal tables are hidden from the database
page by `hidden: true` in data/datasette.yaml.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode

from datasette import hookimpl
from markupsafe import Markup, escape

from datasette_plugins.formatting import safe_url
from datasette_plugins.responses import kb_database, plugin_setting
from datasette_plugins.score_words import explain_scores, label, parse_components
from kb.core.formats import percent

# Columns holding a 0–1 score, shown as a percentage with the stored value in its title.
SCORE_COLUMNS = {"importance", "confidence", "story_importance"}
# Columns holding the id of something that has a page of its own.
PAGE_LINKS = {"event_id": "/-/event/", "story_id": "/-/story/", "entity_id": "/-/entity/",
              "article_id": "/-/article/"}
URL_COLUMNS = {"url", "article_url", "canonical_url"}


def score_cell(value) -> Markup | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
        return None
    return Markup('<span title="{}">{}</span>').format(value, percent(value))


def components_cell(value) -> Markup | None:
    scores = explain_scores(value)
    if not scores:
        flat = {k: v for k, v in (parse_components(value) or {}).items()
                if isinstance(v, (int, float)) and not isinstance(v, bool)}
        if not flat:
            return None
        lines = [Markup("<li>{} {}</li>").format(label(k), percent(v)) for k, v in flat.items()]
        return Markup('<ul class="kb-components">{}</ul>').format(Markup("").join(lines))
    items = []
    for score in scores:
        parts = Markup(", ").join(Markup("{} {}").format(line["label"].lower(), line["value"])
                                  for line in score["lines"])
        items.append(Markup("<li><strong>{} {}</strong>: {}</li>").format(
            score["label"], score["score"], parts))
    return Markup('<ul class="kb-components">{}</ul>').format(Markup("").join(items))


def link_cell(datasette, column: str, value) -> Markup | None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        return None
    return Markup('<a href="{}">{}</a>').format(datasette.urls.path(f"{PAGE_LINKS[column]}{value}"), value)


def url_cell(value) -> Markup | None:
    """An http(s) address as a link; any other (a local file: path) as the word 'local file'."""
    if not isinstance(value, str) or not value:
        return None
    url = safe_url(value)
    if url:
        return Markup('<a href="{}" rel="noopener noreferrer nofollow">{}</a>').format(url, url)
    return Markup('<span class="kb-empty" title="not a web address">local file</span>') \
        if value.startswith("file:") else escape(value)


@hookimpl
def render_cell(value, column, table, database, datasette):
    """Scores, components, ids and addresses in the knowledge base's tables and views."""
    if table is None or database != kb_database(datasette).name:
        return None
    if column in SCORE_COLUMNS:
        return score_cell(value)
    if column == "score_components" and parse_components(value):
        return components_cell(value)
    if column in PAGE_LINKS and table not in ("events", "stories", "entities", "articles"):
        return link_cell(datasette, column, value)
    if column in URL_COLUMNS:
        return url_cell(value)
    return None


async def with_hidden_columns(datasette, scope: dict) -> dict:
    """The request of a table page, with ?_nocol= for the columns it leaves out (when it names none)."""
    parts = scope.get("path", "").strip("/").split("/")
    if len(parts) != 2 or "." in parts[1] or scope.get("method") != "GET":
        return scope
    db = kb_database(datasette)
    hidden = (plugin_setting(datasette, "hidden_columns", {}) or {}).get(parts[1])
    if parts[0] != db.name or not hidden:
        return scope
    query = scope.get("query_string", b"").decode("latin-1")
    if any(key in ("_col", "_nocol") for key, _ in parse_qsl(query, keep_blank_values=True)):
        return scope
    if not await db.table_exists(parts[1]) and parts[1] not in await db.view_names():
        return scope
    columns, keys = await db.table_columns(parts[1]), await db.primary_keys(parts[1])
    drop = [c for c in hidden if c in columns and c not in keys]
    if not drop:
        return scope
    extra = urlencode([("_nocol", c) for c in drop])
    return {**scope, "query_string": (f"{query}&{extra}" if query else extra).encode("latin-1")}


def hide_columns(datasette):
    def wrap(app):
        async def hiding(scope, receive, send):
            if scope.get("type") == "http":
                scope = await with_hidden_columns(datasette, scope)
            await app(scope, receive, send)

        return hiding

    return wrap


@hookimpl
def asgi_wrapper(datasette):
    return hide_columns(datasette)


@hookimpl
def extra_template_vars(datasette):
    return {"kb_database_name": kb_database(datasette).name}
