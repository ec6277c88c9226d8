"""The story card: heading, scores, summary, overview, fact sheets, strategic context,
competitive implications, legal watch, key facts, sources, changes and timeline, as one
JSON-ready dict shared by the page, its JSON and `kb stories show` (text in card_text.py)."""

from __future__ import annotations

import json
from typing import Any

import sqlite_utils

from kb.core.errors import NotFound
from kb.core.formats import percent
from kb.core.relations import Relations, default_relations
from kb.dates.labels import format_date
from kb.ledger.scoring import load_weights
from kb.ledger.sql_helpers import rows_as_dicts
from kb.stories.card_changes import story_changes_of
from kb.stories.card_facts import all_facts, case_sheets, deal_sheets, key_facts, product_sheets
from kb.stories.card_material import Material, citation, load_material
from kb.stories.card_prose import cached_prose
from kb.stories.card_sections import (
    competitive_implications,
    lead_group,
    legal_watch,
    overview,
    strategic_context,
    summary,
)
from kb.stories.card_sentences import context_sentences


def _rows(db: sqlite_utils.Database, sql: str, params: list[Any]) -> list[dict[str, Any]]:
    return rows_as_dicts(db.execute(sql, params))


def list_stories(db: sqlite_utils.Database, status: str | None = None,
                 limit: int | None = None) -> list[dict[str, Any]]:
    """Stories (not merged ones) by importance, most important first."""
    sql = """SELECT id, title, status, importance, confidence, mentions, events, first_seen, updated_at,
                    activity_date, section FROM stories WHERE status != 'merged'"""
    params: list[Any] = []
    if status:
        sql += " AND status = ?"
        params.append(status)
    sql += " ORDER BY importance DESC, id"
    if limit:
        sql += " LIMIT ?"
        params.append(limit)
    return rows_as_dicts(db.execute(sql, params))


def card_heading(status: str, title: str) -> str:
    """"Developing Story — <title>": the card's headline with the story's status."""
    return f"{status.capitalize()} Story — {title}"


def story_card(db: sqlite_utils.Database, story_id: int, weights: dict[str, Any] | None = None,
               relations: Relations | None = None) -> dict[str, Any]:
    """Everything a story card shows, as a JSON-ready dict (the page's JSON, `kb stories show`)."""
    weights = weights or load_weights()
    relations = relations or default_relations()
    rows = _rows(db, "SELECT * FROM stories WHERE id = ?", [story_id])
    if not rows:
        raise NotFound(f"no story with id {story_id}: see `kb stories list`")
    story = rows[0]
    if story["status"] == "merged":
        raise NotFound(f"story {story_id} was merged into story {story['merged_into']}: "
                       f"see `kb stories show {story['merged_into']}`")
    material = load_material(db, story)
    context_sentences(material.sentences, clauses=material.clauses)
    facts = all_facts(material, relations)
    products = product_sheets(material, relations)
    lead = lead_group(material, relations)
    context = strategic_context(material, relations, {" ".join(f["text"].lower().split()) for f in facts})
    implications = competitive_implications(material, relations, lead)
    count = int(weights["stories"].get("key_facts", 8))
    card = {
        "id": story["id"],
        "title": story["title"],
        "heading": card_heading(story["status"], story["title"]),
        "status": story["status"],
        "importance": story["importance"],
        "confidence": story["confidence"],
        "importance_pct": percent(story["importance"]),
        "confidence_pct": percent(story["confidence"]),
        "mentions": story["mentions"],
        "events": story["events"],
        "first_seen": story["first_seen"],
        "updated_at": story["updated_at"],
        # "Updated" is the date of the latest fact (kb/stories/activity.py), not of the latest report.
        "activity_date": story.get("activity_date"),
        "updated_display": format_date((story.get("activity_date") or story["updated_at"] or "")[:10]
                                       or None),
        "first_seen_display": format_date((story["first_seen"] or "")[:10] or None),
        "title_locked": bool(story["title_locked"]),
        "overview_locked": bool(story["overview_locked"]),
        "score_components": json.loads(story["score_components"]) if story["score_components"] else {},
        "formula_version": story["formula_version"],
        "summary": summary(material, facts, context, implications, products),
        "overview": (overview(material, facts) if not story["overview_locked"]
                     else {"text": story["overview"] or "", "sentences": [], "locked": True}),
        "fact_sheets": products + deal_sheets(material, relations) + case_sheets(material, relations),
        "strategic_context": context,
        "competitive_implications": implications,
        "legal_watch": legal_watch(material, facts, relations),
        "key_facts": key_facts(facts, count),
        "sources": story_sources(material),
        "changes": story_changes_of(db, story_id),
        "timeline": [timeline_entry(material, e) for e in material.events],
    }
    card["prose"] = cached_prose(db, card)
    return card


def story_sources(material: Material) -> list[dict[str, Any]]:
    """The storyline's articles, earliest first, copies pointing at their originals."""
    out = [{**citation(a), "first_party": bool(a["first_party"]), "independent": a["duplicate_of"] is None,
            "original_article_id": a["duplicate_of"] or a["id"]} for a in material.articles.values()]
    return sorted(out, key=lambda s: (s["date"] or "", s["article_id"]))


def timeline_entry(material: Material, event: dict[str, Any]) -> dict[str, Any]:
    return {
        "event_id": event["id"], "date": event["date"], "date_mod": event["date_mod"],
        "date_display": event["date_display"], "sort_date": event["sort_date"], "type": event["type"],
        "status": event["status"], "summary": event["summary"], "importance": event["importance"],
        "confidence": event["confidence"], "mentions": event["mentions"], "sources": event["sources"],
        "known_at": event["known_at"], "manual": bool(event["manual"]),
        "reports": timeline_reports(material, event["id"]),
    }


def timeline_reports(material: Material, event_id: int) -> list[dict[str, Any]]:
    """The articles that report an event, each once (an article naming it in three sentences is
    one report), with their syndicated copies after them."""
    reports: dict[int, dict[str, Any]] = {}
    for r in material.reports.get(event_id, []):
        if r["article_id"] not in material.articles:
            continue
        for a in (r["article_id"], *material.copies_of(r["article_id"])):
            if a not in reports:
                reports[a] = {**material.cite(a, event_id), "independent": a == r["article_id"],
                              "copy_of": None if a == r["article_id"] else r["article_id"]}
    return list(reports.values())


def card_summary(db: sqlite_utils.Database, story_id: int) -> dict[str, Any]:
    """What a story's Atom entry carries: the card's summary (model-written one when cached),
    heading, scores, mentions, updated date and status."""
    card = story_card(db, story_id)
    prose = card["prose"]
    return {
        "heading": card["heading"],
        "summary": card["summary"]["text"],
        "model_summary": prose["summary"] if prose else None,
        "model": prose["model"] if prose else None,
        "importance_pct": card["importance_pct"],
        "confidence_pct": card["confidence_pct"],
        "mentions": card["mentions"],
        "updated": card["updated_display"],
        "status": card["status"],
    }
