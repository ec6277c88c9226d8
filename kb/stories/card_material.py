"""What a story card is written from: the story's events, their reports, and the sentences,
entities and amounts of the storyline's articles, read in a bounded number of queries.

A story may hold tens of thousands of events; the card reads its most important and its latest
ones (`CARD_EVENTS`, `LATEST_EVENTS`) and the articles behind them (`CARD_ARTICLES`), so a card
costs about the same for a story of ten events or thirty thousand.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import sqlite_utils

from kb.dates.labels import format_date
from kb.ledger.sql_helpers import marks, rows_as_dicts
from kb.stories.card_sentences import Sentence, split_sentences

CARD_EVENTS = 200  # the story's most important events the card reads
LATEST_EVENTS = 30  # and its latest ones, whatever their importance
CARD_ARTICLES = 40  # the storyline articles whose sentences it reads
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

EVENT_SQL = """SELECT e.id, e.type, e.date, e.date_mod, e.sort_date, e.status, e.summary, e.sentence,
                      e.importance, e.confidence, e.mentions, e.sources, e.known_at, e.hedged,
                      e.attributed_to, e.article_id, se.manual, se.added_at
               FROM story_events se JOIN events e ON e.id = se.event_id"""


def cite_label(source: str | None, published_at: str | None) -> str:
    """How prose cites a report: "(Wirefield Tech, Apr 14)". A parenthesis in the outlet's name
    ("Newsroom Wire (sample)") is left out, so that citations never nest."""
    source = re.sub(r"\s*\([^()]*\)", "", source).strip() if source else source
    day = (published_at or "")[:10]
    when = ""
    if len(day) == 10 and day[5:7].isdigit() and 1 <= int(day[5:7]) <= 12:
        when = f", {MONTHS[int(day[5:7]) - 1]} {int(day[8:10])}"
    return f"({source or 'unknown source'}{when})"


def citation(article: dict[str, Any], event_id: int | None = None) -> dict[str, Any]:
    """A link to the report a card field came from: its article, outlet and date."""
    return {
        "article_id": article["id"],
        "event_id": event_id,
        "source": article["source"],
        "title": article["title"],
        "url": article["url"],
        "date": (article["published_at"] or "")[:10] or None,
        "label": cite_label(article["source"], article["published_at"]),
    }


@dataclass
class Material:
    """A story's events, reports and article sentences, as the card's sections read them."""

    story: dict[str, Any]
    events: list[dict[str, Any]]
    entities: dict[int, list[dict[str, Any]]]  # event id -> [{name, type, role}]
    reports: dict[int, list[dict[str, Any]]]  # event id -> reports, earliest first
    articles: dict[int, dict[str, Any]]  # article id -> article row
    sentences: list[Sentence] = field(default_factory=list)
    clauses: list[dict[str, Any]] = field(default_factory=list)  # context clauses of those articles

    def copies_of(self, article_id: int) -> list[int]:
        return [a["id"] for a in self.articles.values() if a["duplicate_of"] == article_id]

    def cite(self, article_id: int, event_id: int | None = None) -> dict[str, Any]:
        return citation(self.articles[article_id], event_id)

    def lead_report(self, event: dict[str, Any]) -> dict[str, Any] | None:
        """The report an event's fields come from: its lead article's, else its first."""
        reports = self.reports.get(event["id"], [])
        for report in reports:
            if report["article_id"] == event["article_id"]:
                return report
        return reports[0] if reports else None

    def event_sentence(self, event: dict[str, Any]) -> Sentence | None:
        """The article sentence an event's lead report was found in (with its entities and amounts)."""
        report = self.lead_report(event)
        if report is None:
            return None
        for sentence in self.sentences:
            if (
                sentence.article_id == report["article_id"]
                and sentence.start <= report["start"] < sentence.end
            ):
                return sentence
        return None


def load_events(db: sqlite_utils.Database, story_id: int) -> list[dict[str, Any]]:
    """The story's most important and latest events (not superseded), in date order."""
    small = db.execute(
        "SELECT count(*) FROM (SELECT 1 FROM story_events WHERE story_id = ? LIMIT ?)",
        [story_id, CARD_EVENTS + LATEST_EVENTS + 1],
    ).fetchone()[0]
    if small <= CARD_EVENTS + LATEST_EVENTS:
        rows = rows_as_dicts(db.execute(f"{EVENT_SQL} WHERE se.story_id = ?", [story_id]))
    else:
        # story_events carries each event's importance, date and liveness (ev_*), indexed per story:
        # both walks stop after their LIMIT whatever the story's size.
        ids = {
            r[0]
            for r in db.execute(
                """SELECT event_id FROM story_events INDEXED BY idx_story_events_rank
                   WHERE story_id = ? AND ev_live ORDER BY ev_importance DESC, event_id LIMIT ?""",
                [story_id, CARD_EVENTS],
            )
        }
        ids |= {
            r[0]
            for r in db.execute(
                """SELECT event_id FROM story_events INDEXED BY idx_story_events_recent
                   WHERE story_id = ? AND ev_live ORDER BY ev_sort_date DESC, event_id DESC LIMIT ?""",
                [story_id, LATEST_EVENTS],
            )
        }
        ordered = sorted(ids)
        rows = rows_as_dicts(
            db.execute(
                f"{EVENT_SQL} WHERE se.story_id = ? AND e.id IN ({marks(ordered)})", [story_id, *ordered]
            )
        )
    rows = [r for r in rows if r["status"] != "superseded"]
    for row in rows:
        row["date_display"] = format_date(row["date"], row["date_mod"])
    rows.sort(key=lambda r: (r["sort_date"] or "", r["id"]))
    return rows


def _event_entities(db: sqlite_utils.Database, ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    found: dict[int, list[dict[str, Any]]] = defaultdict(list)
    if ids:
        for event_id, name, kind, role in db.execute(
            f"""SELECT ee.event_id, en.name, en.type, ee.role FROM event_entities ee
                    JOIN entities en ON en.id = ee.entity_id WHERE ee.event_id IN ({marks(ids)})""",
            ids,
        ):
            found[event_id].append({"name": name, "type": kind, "role": role})
    return found


def _reports(db: sqlite_utils.Database, ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    """Each event's reports: the mention (sentence and its offsets) with article and source."""
    found: dict[int, list[dict[str, Any]]] = defaultdict(list)
    if not ids:
        return found
    rows = rows_as_dicts(
        db.execute(
            f"""SELECT em.event_id, em.id AS mention_id, em.article_id, em.type, em.sentence, em.start,
                   em."end", em.hedged, em.attributed_to, a.published_at, a.duplicate_of
            FROM event_mentions em JOIN articles a ON a.id = em.article_id
            WHERE em.event_id IN ({marks(ids)})""",
            ids,
        )
    )
    for row in sorted(rows, key=lambda r: (r["published_at"] or "", r["mention_id"])):
        found[row["event_id"]].append(row)
    return found


ARTICLE_SQL = """SELECT a.id, a.title, a.url, a.published_at, a.duplicate_of, s.name AS source,
                        s.first_party, s.reliability
                 FROM articles a LEFT JOIN sources s ON s.id = a.source_id"""


def _articles(db: sqlite_utils.Database, ids: list[int]) -> dict[int, dict[str, Any]]:
    """The reporting articles and their syndicated copies (which carry no reports of their own)."""
    if not ids:
        return {}
    copies = [r[0] for r in db.execute(f"SELECT id FROM articles WHERE duplicate_of IN ({marks(ids)})", ids)]
    wanted = sorted(set(ids) | set(copies))  # looked up by id: a join here made SQLite scan articles
    rows = rows_as_dicts(db.execute(f"{ARTICLE_SQL} WHERE a.id IN ({marks(wanted)})", wanted))
    return {r["id"]: r for r in rows}


def _chosen_articles(events: list[dict[str, Any]], reports: dict[int, list[dict[str, Any]]],
                     articles: dict[int, dict[str, Any]]) -> list[int]:
    """The storyline's original articles, those behind its latest and most important events
    first, in publication order (time, then URL: never ids, which follow fetch timing)."""
    weight: dict[int, float] = defaultdict(float)
    latest: dict[int, str] = {}
    for event in events:
        for report in reports.get(event["id"], []):
            if report["duplicate_of"] is not None:
                continue  # a copy says what its original says
            weight[report["article_id"]] += (event["importance"] or 0.0) + 0.1
            latest[report["article_id"]] = max(
                latest.get(report["article_id"], ""), report["published_at"] or ""
            )
    def published(a: int) -> tuple[str, str]:
        return (articles.get(a, {}).get("published_at") or "", articles.get(a, {}).get("url") or "")

    ranked = sorted(weight, key=lambda a: (latest[a], weight[a], published(a)), reverse=True)
    return sorted(ranked[:CARD_ARTICLES], key=published)


def _sentences(
    db: sqlite_utils.Database, articles: dict[int, dict[str, Any]], chosen: list[int]
) -> list[Sentence]:
    """The chosen articles' sentences with the entities and amounts named in each."""
    sentences: list[Sentence] = []
    by_article: dict[int, list[Sentence]] = {}
    texts = dict(
        db.execute(f"SELECT id, text FROM articles WHERE id IN ({marks(chosen)})", chosen).fetchall()
    )
    for article_id in chosen:
        article = articles[article_id]
        found = split_sentences(article_id, texts.get(article_id) or "", article["published_at"])
        by_article[article_id] = found
        sentences += found
    if chosen:
        rows = db.execute(
            f"""SELECT m.article_id, m.start, m.label, m.text, en.name, en.type FROM mentions m
                LEFT JOIN entities en ON en.id = m.entity_id
                WHERE m.article_id IN ({marks(chosen)}) ORDER BY m.article_id, m.start""",
            chosen,
        )
        for article_id, start, label, text, name, kind in rows:
            for sentence in by_article.get(article_id, []):
                if sentence.start <= start < sentence.end:
                    if label == "MONEY":
                        sentence.money.append(text)
                    elif name:
                        sentence.entities.setdefault(name, kind)
                    break
    return sentences


def _clauses(db: sqlite_utils.Database, chosen: list[int]) -> list[dict[str, Any]]:
    """The context clauses (statements of no fact: background, plans, opinion...) the extractor
    stored for the chosen articles."""
    if not chosen:
        return []
    rows = rows_as_dicts(
        db.execute(
            f"""SELECT article_id, kind, type, start, "end" FROM context_clauses
                WHERE article_id IN ({marks(chosen)}) ORDER BY article_id, start""",
            chosen,
        )
    )
    order = {article_id: i for i, article_id in enumerate(chosen)}  # publication order, as chosen
    return sorted(rows, key=lambda r: (order[r["article_id"]], r["start"]))


def load_material(db: sqlite_utils.Database, story: dict[str, Any]) -> Material:
    """Everything the card's sections are composed from, for one story."""
    events = load_events(db, story["id"])
    ids = [e["id"] for e in events]
    reports = _reports(db, ids)
    article_ids = sorted({r["article_id"] for rs in reports.values() for r in rs})
    articles = _articles(db, article_ids)
    chosen = _chosen_articles(events, reports, articles)
    material = Material(
        story=story, events=events, entities=_event_entities(db, ids), reports=reports, articles=articles
    )
    material.sentences = _sentences(db, articles, chosen)
    material.clauses = _clauses(db, chosen)
    return material
