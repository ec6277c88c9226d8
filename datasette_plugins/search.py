"""Search at /-/search?q= (and .json): matching stories and entities first, then events and articles.

Events and articles are found by full-text search (stemmed, newest first); stories by the words
of their title and overview (most important first), entities by their name or an alias.
"""

from __future__ import annotations

from urllib.parse import urlencode

from datasette import hookimpl

from datasette_plugins.event_queries import date_label_of, placeholders
from datasette_plugins.formatting import safe_url, score_labels
from datasette_plugins.params import WORD_PATTERN, BadParameter, fts_phrase_query, single
from datasette_plugins.responses import (
    error_response,
    html_response,
    json_response,
    kb_database,
    wants_json,
)

RESULTS_SHOWN = 20
NAMED_SHOWN = 10
# An entity's events are counted up to this many (a hub entity has hundreds of thousands).
EVENTS_COUNTED = 10_000
MAX_WORDS = 8
# Snippet markers: control characters that cannot come from the query, replaced by <mark>.
MARK_START, MARK_END = "\x02", "\x03"


def snippet_pieces(snippet: str | None) -> list[dict]:
    """A snippet with match markers split into plain and marked pieces (escaped by the template)."""
    pieces = []
    for i, part in enumerate((snippet or "").replace(MARK_END, MARK_START).split(MARK_START)):
        if part:
            pieces.append({"text": part, "marked": i % 2 == 1})
    return pieces


def like_patterns(q: str) -> list[str]:
    """One LIKE pattern per word of `q` (wildcards in the words escaped with a backslash)."""
    words = WORD_PATTERN.findall(q)[:MAX_WORDS]
    return ["%" + w.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%" for w in words]


async def search_stories(db, q: str) -> list[dict]:
    """Stories whose title or overview holds every word of `q`, most important first."""
    patterns = like_patterns(q)
    if not patterns:
        return []
    where = " AND ".join(
        f"(title LIKE :w{i} ESCAPE '\\' OR coalesce(overview, '') LIKE :w{i} ESCAPE '\\')"
        for i in range(len(patterns)))
    rows = [dict(r) for r in (await db.execute(
        f"""SELECT id, title, overview, status, importance, confidence, updated_at FROM stories
            WHERE status != 'merged' AND {where}
            ORDER BY importance IS NULL, importance DESC, id DESC LIMIT {NAMED_SHOWN}""",
        {f"w{i}": p for i, p in enumerate(patterns)})).rows]
    for story in rows:
        story.update(score_labels(story))
    return rows


async def search_entities(db, q: str) -> list[dict]:
    """Entities whose name or an alias holds every word of `q`: exact names first, then the most central."""
    patterns = like_patterns(q)
    if not patterns:
        return []
    names = " AND ".join(f"n.text LIKE :w{i} ESCAPE '\\'" for i in range(len(patterns)))
    params = {f"w{i}": p for i, p in enumerate(patterns)}
    params["q"] = q.strip()
    return [dict(r) for r in (await db.execute(
        f"""SELECT en.id, en.name, en.type, en.status, en.description,
                   (SELECT count(*) FROM (SELECT DISTINCT event_id FROM event_entities ee
                     WHERE ee.entity_id = en.id LIMIT {EVENTS_COUNTED + 1})) AS events
            FROM entities en
            WHERE en.status != 'ignored' AND en.id IN (
                SELECT n.id FROM (SELECT id, name AS text FROM entities
                                  UNION ALL SELECT entity_id, alias FROM entity_aliases) n
                WHERE {names})
            ORDER BY lower(en.name) = lower(:q) DESC, en.status = 'known' DESC, en.centrality DESC, en.name
            LIMIT {NAMED_SHOWN}""", params)).rows]


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
        f"SELECT id, type, status, date, date_mod, sort_date, first_reported_at, importance FROM events "
        f"WHERE id IN ({marks})", ids)).rows}
    results = []
    for event_id, snip in hits:
        if event_id in info:
            event = info[event_id]
            event["date_label"] = date_label_of(event)
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
    stories = await search_stories(db, q) if fts_query else []
    entities = await search_entities(db, q) if fts_query else []
    events = await search_events(db, fts_query) if fts_query else []
    articles = await search_articles(db, fts_query) if fts_query else []
    if wants_json(request):
        strip = ("snippet",)
        return json_response({
            "ok": True, "q": q,
            "stories": [{k: s[k] for k in ("id", "title", "overview", "status", "importance_pct",
                                            "confidence_pct")} for s in stories],
            "entities": entities,
            "events": [{k: v for k, v in e.items() if k not in strip} for e in events],
            "articles": [{k: v for k, v in a.items() if k not in strip} for a in articles],
        })
    return await html_response(datasette, request, "kb_search.html", {
        "q": q, "stories": stories, "entities": entities, "events": events, "articles": articles,
        "timeline_query": urlencode({"q": q}) if q else "",
        "table_query": urlencode({"_search": q}) if q else "",
    })


@hookimpl
def register_routes():
    return [(r"^/-/search(?P<format>\.json)?$", search_view)]
