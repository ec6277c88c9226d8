"""No article markup goes live in Datasette's own pages: cells are never rendered as markdown.

Story overviews and every other text column come from article sentences, so markdown rendering
(datasette-render-markdown) would turn an article's `<img src=…>` into a tracking pixel and its
`[text](…)` into a live link, and so would any `?sql=` query naming a column `*_markdown`. The
project does not install that plugin, but Datasette loads it wherever it is installed (a venv
upgraded in place keeps it): this hook, which runs before it, shows as plain escaped text every
cell its configuration (or its default pattern) claims.
"""

from __future__ import annotations

from fnmatch import fnmatch

from datasette import hookimpl
from markupsafe import escape

MARKDOWN_PLUGIN = "datasette-render-markdown"
MARKDOWN_DEFAULT_PATTERNS = ["*_markdown"]


def markdown_would_render(datasette, database, table, column: str) -> bool:
    """Whether datasette-render-markdown's configuration (or its default) claims this column."""
    config = datasette.plugin_config(MARKDOWN_PLUGIN, database=database, table=table) or {}
    patterns = config.get("patterns")
    if patterns is None:
        patterns = MARKDOWN_DEFAULT_PATTERNS
    return column in (config.get("columns") or []) or any(fnmatch(column, p) for p in patterns)


@hookimpl(tryfirst=True)
def render_cell(value, column, table, database, datasette):
    if not (isinstance(value, str) and value and markdown_would_render(datasette, database, table, column)):
        return None
    limit = datasette.setting("truncate_cells_html")
    if limit and len(value) > limit:
        value = value[:limit] + "\u2026"
    return escape(value)
