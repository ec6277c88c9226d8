"""The article view at /-/article/{id} (and .json): text with entities and dates highlighted, its events."""

from __future__ import annotations

from datasette import hookimpl

from datasette_plugins.event_queries import EVENT_COLUMNS, decorate_events, event_json, placeholders
from datasette_plugins.formatting import highlight_segments, safe_url
from datasette_plugins.params import BadParameter, parse_id
from datasette_plugins.responses import (
    error_response,
    html_response,
    json_response,
    kb_database,
    wants_json,
)
from kb.dates.labels import format_date

MAX_TEXT_CHARS = 200_000


async def article_profile(db, article_id: int) -> dict | None:
    """The article, its highlighted text and the events found in it, or None."""
    rows = (await db.execute(
        """SELECT a.*, s.name AS source_name, s.first_party FROM articles a
           LEFT JOIN sources s ON s.id = a.source_id WHERE a.id = ?""", [article_id])).rows
    if not rows:
        return None
    article = dict(rows[0])
    article["safe_url"] = safe_url(article["url"])
    text = (article["text"] or article["summary"] or "")[:MAX_TEXT_CHARS]
    mentions = [dict(r) for r in (await db.execute(
        """SELECT m.start, m."end", m.text, m.label, m.entity_id, en.name FROM mentions m
           LEFT JOIN entities en ON en.id = m.entity_id WHERE m.article_id = ? ORDER BY m.start""",
        [article_id])).rows]
    timexes = [dict(r) for r in (await db.execute(
        """SELECT start, "end", text, type, value, mod FROM timexes WHERE article_id = ? ORDER BY start""",
        [article_id])).rows]
    spans = [{"start": m["start"], "end": m["end"], "kind": "entity",
              "title": m["name"] or m["label"],
              "href": f"/-/entity/{m['entity_id']}" if m["entity_id"] else None} for m in mentions]
    spans += [{"start": t["start"], "end": t["end"], "kind": "date",
               "title": f"{t['type']} {format_date(t['value'], t['mod']) if t['value'] else ''}".strip()}
              for t in timexes]
    event_ids = [r[0] for r in (await db.execute(
        """SELECT id FROM events WHERE article_id = :id
           UNION SELECT event_id FROM event_mentions WHERE article_id = :id AND event_id IS NOT NULL""",
        {"id": article_id})).rows]
    events = []
    if event_ids:
        marks = placeholders(event_ids)
        event_rows = [dict(r) for r in (await db.execute(
            f"SELECT {EVENT_COLUMNS} FROM events e WHERE e.id IN ({marks}) ORDER BY e.sort_date DESC",
            event_ids)).rows]
        events = await decorate_events(db, event_rows)
    reports = [dict(r) for r in (await db.execute(
        """SELECT id, type, date, date_mod, sentence, event_id, hedged, negated, confidence
           FROM event_mentions WHERE article_id = ? ORDER BY start""", [article_id])).rows]
    for report in reports:
        report["date_label"] = format_date(report["date"], report["date_mod"])
    return {"article": article, "pieces": highlight_segments(text, spans), "text": text,
            "mentions": mentions, "timexes": timexes, "events": events, "reports": reports}


async def article_view(datasette, request):
    """Serve an article as HTML or JSON; 400 for a malformed id, 404 for an unknown one."""
    db = kb_database(datasette)
    try:
        article_id = parse_id(request.url_vars["id"], "id")
    except BadParameter as exc:
        return await error_response(datasette, request, 400, f"article {exc.message}", "id")
    profile = await article_profile(db, article_id)
    if profile is None:
        return await error_response(datasette, request, 404, f"no article has id {article_id}")
    if wants_json(request):
        a = profile["article"]
        return json_response({
            "ok": True,
            "article": {"id": a["id"], "title": a["title"], "url": a["safe_url"], "source": a["source_name"],
                        "published_at": a["published_at"], "author": a["author"], "status": a["status"],
                        "duplicate_of": a["duplicate_of"], "text": profile["text"]},
            "mentions": profile["mentions"], "timexes": profile["timexes"],
            "event_mentions": profile["reports"],
            "events": [event_json(e) for e in profile["events"]],
        })
    return await html_response(datasette, request, "kb_article.html", profile)


@hookimpl
def register_routes():
    return [(r"^/-/article/(?P<id>[^/]+?)(?P<format>\.json)?$", article_view)]
