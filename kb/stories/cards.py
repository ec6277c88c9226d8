"""The story card: a story's facts, sections, scores and sourced timeline, as data and as text."""

from __future__ import annotations

import json
import textwrap
from typing import Any

import sqlite_utils

from kb.core.errors import NotFound
from kb.core.event_types import EVENT_TYPES
from kb.core.formats import percent
from kb.dates.labels import format_date
from kb.ledger.scoring import load_weights
from kb.ledger.sql_helpers import rows_as_dicts
from kb.stories.matching import section_of

# How a card names each event type: by its name, but "people" for personnel changes.
TYPE_LABELS = {**{name: name for name in EVENT_TYPES}, "personnel": "people"}


def _rows(db: sqlite_utils.Database, sql: str, params: list[Any]) -> list[dict[str, Any]]:
    return rows_as_dicts(db.execute(sql, params))


def list_stories(db: sqlite_utils.Database, status: str | None = None,
                 limit: int | None = None) -> list[dict[str, Any]]:
    """Stories (not merged ones) by importance, most important first."""
    sql = """SELECT id, title, status, importance, confidence, mentions, events, first_seen, updated_at,
                    section FROM stories WHERE status != 'merged'"""
    params: list[Any] = []
    if status:
        sql += " AND status = ?"
        params.append(status)
    sql += " ORDER BY importance DESC, id"
    if limit:
        sql += " LIMIT ?"
        params.append(limit)
    return rows_as_dicts(db.execute(sql, params))


def event_sources(db: sqlite_utils.Database, event_id: int) -> list[dict[str, Any]]:
    """The articles reporting an event (copies flagged), earliest first."""
    rows = _rows(db, """SELECT DISTINCT article_id, title, url, source, published_at, first_party,
                               independent, original_article_id
                        FROM event_reports WHERE event_id = ?""", [event_id])
    return sorted(rows, key=lambda r: (r["published_at"] or "", r["article_id"]))


def story_card(db: sqlite_utils.Database, story_id: int,
               weights: dict[str, Any] | None = None) -> dict[str, Any]:
    """Everything a story card shows, as a JSON-ready dict."""
    weights = weights or load_weights()
    rows = _rows(db, "SELECT * FROM stories WHERE id = ?", [story_id])
    if not rows:
        raise NotFound(f"no story with id {story_id}: see `kb stories list`")
    story = rows[0]
    if story["status"] == "merged":
        raise NotFound(f"story {story_id} was merged into story {story['merged_into']}: "
                       f"see `kb stories show {story['merged_into']}`")
    events = _rows(db, """SELECT e.id, e.type, e.date, e.date_mod, e.sort_date, e.status, e.summary,
                                 e.sentence, e.importance, e.confidence, e.mentions, e.sources,
                                 e.known_at, e.hedged, e.attributed_to, se.manual
                          FROM story_events se JOIN events e ON e.id = se.event_id
                          WHERE se.story_id = ? ORDER BY e.sort_date, e.id""", [story_id])
    timeline = []
    for event in events:
        timeline.append({
            "event_id": event["id"],
            "date": event["date"],
            "date_mod": event["date_mod"],
            "date_display": format_date(event["date"], event["date_mod"]),
            "sort_date": event["sort_date"],
            "type": event["type"],
            "section": section_of(event["type"], weights),
            "status": event["status"],
            "summary": event["summary"],
            "importance": event["importance"],
            "confidence": event["confidence"],
            "mentions": event["mentions"],
            "sources": event["sources"],
            "known_at": event["known_at"],
            "manual": bool(event["manual"]),
            "reports": event_sources(db, event["id"]),
        })
    shown = [e for e in timeline if e["status"] != "superseded"]
    key_count = int(weights["stories"].get("key_facts", 8))
    key = sorted((e for e in shown if e["date"] and e["status"] != "denied"),
                 key=lambda e: (-(e["importance"] or 0.0), e["event_id"]))[:key_count]
    key.sort(key=lambda e: (e["sort_date"] or "", e["event_id"]))
    sections = []
    titles = weights["stories"]["section_titles"]
    for name in weights["stories"]["sections"]:
        members = [e for e in shown if e["section"] == name]
        if members:
            sections.append({"name": name, "title": titles.get(name, name), "events": members})
    components = json.loads(story["score_components"]) if story["score_components"] else {}
    return {
        "id": story["id"],
        "title": story["title"],
        "overview": story["overview"],
        "status": story["status"],
        "section": story["section"],
        "importance": story["importance"],
        "confidence": story["confidence"],
        "importance_pct": percent(story["importance"]),
        "confidence_pct": percent(story["confidence"]),
        "mentions": story["mentions"],
        "events": len(timeline),
        "first_seen": story["first_seen"],
        "updated_at": story["updated_at"],
        "updated_display": format_date((story["updated_at"] or "")[:10] or None),
        "first_seen_display": format_date((story["first_seen"] or "")[:10] or None),
        "title_locked": bool(story["title_locked"]),
        "overview_locked": bool(story["overview_locked"]),
        "score_components": components,
        "formula_version": story["formula_version"],
        "key_facts": [{k: e[k] for k in ("event_id", "date", "date_display", "type", "status",
                                          "summary", "importance", "confidence")} for e in key],
        "sections": sections,
        "timeline": timeline,
    }


def _fact_line(event: dict[str, Any]) -> str:
    status = "" if event["status"] in ("reported", "confirmed") else f" [{event['status']}]"
    return f"{event['date_display']}: {event['summary'] or ''}{status}"


def render_card(card: dict[str, Any], width: int = 88) -> str:
    """The card as plain text for a terminal."""
    wrap = textwrap.TextWrapper(width=width, subsequent_indent="    ", break_long_words=False,
                                break_on_hyphens=False)
    lines = [card["title"], "=" * min(len(card["title"]), width)]
    lines.append(
        f"Importance {card['importance_pct']} · Confidence {card['confidence_pct']} · "
        f"Mentions {card['mentions']} · {card['status'].capitalize()} · "
        f"First seen {card['first_seen_display']} · Updated {card['updated_display']}"
    )
    if card["overview"]:
        lines += ["", *textwrap.wrap(card["overview"], width)]
    if card["key_facts"]:
        lines += ["", "Key facts"]
        lines += [wrap.fill(f"  - {_fact_line(e)}") for e in card["key_facts"]]
    for section in card["sections"]:
        lines += ["", section["title"]]
        for event in section["events"]:
            lines.append(wrap.fill(
                f"  - {_fact_line(event)} ({TYPE_LABELS.get(event['type'], event['type'])}; "
                f"importance {percent(event['importance'])}, confidence {percent(event['confidence'])})"))
    lines += ["", "Timeline and sources"]
    for event in card["timeline"]:
        lines.append(wrap.fill(f"  #{event['event_id']} {_fact_line(event)} ({event['status']})"))
        for report in event["reports"]:
            copy = "" if report["independent"] else f", copy of article {report['original_article_id']}"
            lines.append(wrap.fill(f"      {report['source'] or 'unknown source'}: "
                                   f"{report['title'] or report['url']} <{report['url']}>{copy}"))
    return "\n".join(lines)
