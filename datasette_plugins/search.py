"""Full-text search over events and articles at /-/search?q= (and .json), newest first."""

from __future__ import annotations

from urllib.parse import urlencode

from datasette import hookimpl

from datasette_plugins.event_queries import placeholders
from datasette_plugins.formatting import safe_url
from datasette_plugins.params import BadParameter, fts_phrase_query, single
from datasette_plugins.responses import (
    error_response,
    html_response,
    json_response,
    kb_database,
    wants_json,
)
from kb.dates.labels import format_date

RESULTS_SHOWN = 20
# Snippet markers: control characters that cannot come from the query, replaced by <mark>.
MARK_START, MARK_END = "\x02", "\x03"


def snippet_pieces(snippet: str | None) -> list[dict]:
    """A snippet with match markers split into plain and marked pieces (escaped by the template)."""
    pieces = []
    for i, part in enumerate((snippet or "").replace(MARK_END, MARK_START).split(MARK_START)):
        if part:
            pieces.append({"text": part, "marked": i % 2 == 1})
    return pieces


async def search_events(db, fts_query: str) -> list[dict]:
    """The newest events whose evidence matches, with snippets."""
    hits = (await db.execute(
        """SELECT rowid, snippet(events_fts, 0, char(2), char(3), '…', 24) FROM events_fts
           WHERE events_fts MATCH ? ORDER BY rowid DESC LIMIT ?""", [fts_query, RESULTS_SHOWN])).rows
    if not hits:
        return []
    ids = [h[0] for h in hits]
    marks = placeholders(ids)
    info = {r["id"]: dict(r) for r in (await db.execute(
        f"SELECT id, type, status, date, date_mod, importance FROM events WHERE id IN ({marks})", ids)).rows}
    results = []
    for event_id, snip in hits:
        if event_id in info:
            event = info[event_id]
            event["date_label"] = format_date(event["date"], event["date_mod"])
            event["snippet"] = snippet_pieces(snip)
            event["snippet_text"] = "".join(p["text"] for p in event["snippet"])
            results.append(event)
    return results


async def search_articles(db, fts_query: str) -> list[dict]:
    """The newest articles whose title or text matches, with snippets."""
    hits = (await db.execute(
        """SELECT rowid, snippet(articles_fts, 1, char(2), char(3), '…', 24) FROM articles_fts
           WHERE articles_fts MATCH ? ORDER BY rowid DESC LIMIT ?""", [fts_query, RESULTS_SHOWN])).rows
    if not hits:
        return []
    ids = [h[0] for h in hits]
    marks = placeholders(ids)
    info = {r["id"]: dict(r) for r in (await db.execute(
        f"""SELECT a.id, a.title, a.url, a.published_at, s.name AS source FROM articles a
            LEFT JOIN sources s ON s.id = a.source_id WHERE a.id IN ({marks})""", ids)).rows}
    results = []
    for article_id, snip in hits:
        if article_id in info:
            article = info[article_id]
            article["url"] = safe_url(article["url"])
            article["snippet"] = snippet_pieces(snip)
            article["snippet_text"] = "".join(p["text"] for p in article["snippet"])
            results.append(article)
    return results


async def search_view(datasette, request):
    """Serve the search page; without q it shows just the form."""
    db = kb_database(datasette)
    try:
        q = single(request.args, "q")
        fts_query = fts_phrase_query(q) if q else None
    except BadParameter as exc:
        return await error_response(datasette, request, 400, str(exc), exc.parameter)
    events = await search_events(db, fts_query) if fts_query else []
    articles = await search_articles(db, fts_query) if fts_query else []
    if wants_json(request):
        strip = ("snippet",)
        return json_response({
            "ok": True, "q": q,
            "events": [{k: v for k, v in e.items() if k not in strip} for e in events],
            "articles": [{k: v for k, v in a.items() if k not in strip} for a in articles],
        })
    return await html_response(datasette, request, "kb_search.html", {
        "q": q, "events": events, "articles": articles,
        "timeline_query": urlencode({"q": q}) if q else "",
        "table_query": urlencode({"_search": q}) if q else "",
    })


@hookimpl
def register_routes():
    return [(r"^/-/search(?P<format>\.json)?$", search_view)]
