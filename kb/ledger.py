"""The claim ledger: one event per fact, merged from many reports, with status and history."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Iterator
from typing import Any

import sqlite_utils

from kb.date_spans import (
    PRECISION_RANK,
    DateSpan,
    date_span,
    more_precise,
    parse_timestamp,
    spans_compatible,
)
from kb.reports import Report, SourceResolver, ignored_entity_ids, load_reports, strip_dateline
from kb.scoring import ScoringContext, store_event_scores
from kb.similarity import content_words, jaccard, overlap_coefficient

log = logging.getLogger(__name__)

# Dates spanning more than this are too vague to match on; they are keyed like undated ones.
MAX_MATCH_SPAN_DAYS = 400
ROLES = ("agent", "partner", "object", "product", "participant")
DATE_SOURCE_RANK = {"explicit": 0, "relative": 1, "published": 2, "none": 3}
SUMMARY_CHARS = 200
CHUNK = 500  # ids per IN (...) query

# The canned "what did we know on :as_of" query: each event known by then, with its status
# and independent report count at that time (as_of: a date, or a UTC timestamp ending in Z).
AS_OF_SQL = """
SELECT e.id AS event_id, e.type, e.date, e.date_mod, e.sort_date, e.summary,
       p.status AS status_then, e.status AS status_now, p.reason AS status_reason,
       e.known_at,
       (SELECT count(DISTINCT l.original_article_id) FROM event_links l
         WHERE l.event_id = e.id AND substr(l.known_at, 1, length(:as_of)) <= :as_of) AS mentions_then,
       e.importance, e.confidence
FROM events e
JOIN event_status_periods p ON p.event_id = e.id
WHERE substr(e.known_at, 1, length(:as_of)) <= :as_of
  AND substr(p.valid_from, 1, length(:as_of)) <= :as_of
  AND (p.valid_to IS NULL OR substr(p.valid_to, 1, length(:as_of)) > :as_of)
ORDER BY e.sort_date, e.id
"""


def chunks(ids: list[int], size: int = CHUNK) -> Iterator[list[int]]:
    for i in range(0, len(ids), size):
        yield ids[i:i + size]


def months(start: dt.date, end: dt.date) -> list[str]:
    """'YYYY-MM' for every month from start to end inclusive."""
    out, year, month = [], start.year, start.month
    while (year, month) <= (end.year, end.month):
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


def matchable_span(report_or_span: DateSpan | None) -> DateSpan | None:
    """A span precise enough to match on, else None (treated as undated)."""
    if report_or_span is None or report_or_span.days > MAX_MATCH_SPAN_DAYS:
        return None
    return report_or_span


def known_date(value: str | None) -> dt.date | None:
    parsed = parse_timestamp(value)
    return parsed.date() if parsed else None


def summarize(sentence: str | None) -> str | None:
    """The lead sentence without its dateline, shortened at a word boundary when long."""
    if not sentence:
        return None
    text = strip_dateline(" ".join(sentence.split()))
    if len(text) <= SUMMARY_CHARS:
        return text
    return text[:SUMMARY_CHARS].rsplit(" ", 1)[0].rstrip(",;:") + "…"


class Ledger:
    """Merges reports into events and keeps each event's fields, status and history current."""

    def __init__(self, db: sqlite_utils.Database, ctx: ScoringContext):
        self.db = db
        self.ctx = ctx
        self.weights = ctx.weights
        self.resolver = SourceResolver(db)
        self.ignored = ignored_entity_ids(db, list(self.weights["matching"].get("outlet_entities", [])))
        self.ignored_labels = frozenset(self.weights["matching"].get("ignore_entity_types", []))

    # -- loading -------------------------------------------------------------------------

    def reports_of_event(self, event_id: int) -> list[Report]:
        return load_reports(self.db, "em.event_id = ?", [event_id], self.resolver, self.ignored,
                            self.ignored_labels)

    def reports_of_articles(self, article_ids: list[int]) -> list[Report]:
        reports: list[Report] = []
        for part in chunks(article_ids):
            marks = ", ".join("?" for _ in part)
            reports.extend(load_reports(self.db, f"em.article_id IN ({marks})", part,
                                        self.resolver, self.ignored, self.ignored_labels))
        reports.sort(key=lambda r: r.order)
        return reports

    def event_row(self, event_id: int) -> dict[str, Any] | None:
        cursor = self.db.execute("SELECT * FROM events WHERE id = ?", [event_id])
        row = cursor.fetchone()
        if row is None:
            return None
        return dict(zip([c[0] for c in cursor.description], row, strict=True))

    def event_entity_ids(self, event_id: int) -> frozenset[int]:
        """The event's entities that count for matching (no outlets, no places)."""
        rows = self.db.execute(
            """SELECT DISTINCT ee.entity_id, en.type FROM event_entities ee
               JOIN entities en ON en.id = ee.entity_id WHERE ee.event_id = ?""", [event_id])
        return frozenset(r[0] for r in rows.fetchall()
                         if r[0] not in self.ignored and r[1] not in self.ignored_labels)

    # -- matching a report to an event ------------------------------------------------------

    def linked_event(self, report: Report) -> int | None:
        """The event this article's report went to before (reprocessing keeps event ids)."""
        row = self.db.execute(
            """SELECT l.event_id, e.type FROM event_links l JOIN events e ON e.id = l.event_id
               WHERE l.article_id = ? AND l.mention_key = ?""",
            [report.article_id, report.key],
        ).fetchone()
        if row and (row[1] == report.type or report.denial):
            return row[0]
        return None

    def candidate_ids(self, entity_ids: Iterable[int], types: Iterable[str], buckets: list[str]) -> set[int]:
        """Events keyed under any of the entities, types and buckets (by index, no scan)."""
        found: set[int] = set()
        buckets = sorted(set(buckets))
        for entity_id in sorted(entity_ids):
            for event_type in types:
                for part in chunks(buckets, 200):
                    marks = ", ".join("?" for _ in part)
                    rows = self.db.execute(
                        f"SELECT event_id FROM event_keys WHERE entity_id = ? AND type = ? AND bucket IN ({marks})",
                        [entity_id, event_type, *part],
                    ).fetchall()
                    found.update(r[0] for r in rows)
        return found

    def dates_compatible(self, report: Report, event: dict[str, Any]) -> bool:
        """Equal or nested dates; or, with one side undated, within the type's window."""
        matching = self.weights["matching"]
        tolerance = int(matching["day_tolerance_days"])
        windows = matching["undated_window_days"]
        window = dt.timedelta(days=int(windows.get(report.type, windows["default"])))
        slack = dt.timedelta(days=tolerance)
        ours = matchable_span(report.span)
        theirs = matchable_span(date_span(event["date"], event["date_mod"]))
        if ours and theirs:
            return spans_compatible(ours, theirs, tolerance)
        ours_known, theirs_known = known_date(report.known_at), known_date(event["known_at"])
        if ours is None and theirs is None:
            if ours_known is None or theirs_known is None:
                return True
            return abs(ours_known - theirs_known) <= window
        dated, reported = (ours, theirs_known) if ours else (theirs, ours_known)
        if reported is None:
            return False
        return dated.start - slack <= reported <= dated.end + window

    def match_score(self, report: Report, event_id: int, min_overlap: float) -> float | None:
        """How well a report fits an event, or None when it cannot be the same fact."""
        event = self.event_row(event_id)
        if event is None or event["status"] == "superseded":
            return None
        overlap = overlap_coefficient(report.match_ids, self.event_entity_ids(event_id))
        if overlap < min_overlap:
            return None
        if not report.denial and not self.dates_compatible(report, event):
            return None
        if report.denial and (event["known_at"] or "") > (report.known_at or "9999"):
            return None  # a denial answers a claim already made
        text = jaccard(set(content_words(report.sentence)), set(content_words(event["sentence"])))
        bonus = 0.0
        if report.denial and event["status"] == "rumored":
            bonus = 0.5  # denials usually answer rumors
        elif report.date and report.date == event["date"]:
            bonus = 0.1
        return overlap + 0.5 * text + bonus

    def find_event(self, report: Report) -> int | None:
        """The existing event this report is about, or None."""
        linked = self.linked_event(report)
        if linked is not None:
            return linked
        if not report.match_ids:
            return None
        matching = self.weights["matching"]
        if report.denial:
            denial = matching["denial"]
            known = known_date(report.known_at)
            if known is None:
                return None
            buckets = ["k" + m for m in months(known - dt.timedelta(days=int(denial["window_days"])), known)]
            candidates = self.candidate_ids(report.match_ids, ["*"], buckets)
            min_overlap = float(denial["min_entity_overlap"])
        else:
            candidates = self.candidate_ids(report.match_ids, [report.type], self.lookup_buckets(report))
            min_overlap = float(matching["min_entity_overlap"])
        best: tuple[float, int] | None = None
        for event_id in sorted(candidates):
            score = self.match_score(report, event_id, min_overlap)
            if score is not None and (best is None or score > best[0]):
                best = (score, event_id)
        return best[1] if best else None

    def lookup_buckets(self, report: Report) -> list[str]:
        """Key buckets where a compatible event of the report's type would be filed."""
        matching = self.weights["matching"]
        windows = matching["undated_window_days"]
        window = dt.timedelta(days=int(windows.get(report.type, windows["default"])))
        slack = dt.timedelta(days=int(matching["day_tolerance_days"]))
        span = matchable_span(report.span)
        if span is not None:
            dated = months(span.start - slack, span.end + slack)
            undated = ["u" + m for m in months(span.start - slack, span.end + window)]
            return dated + undated
        known = known_date(report.known_at)
        if known is None:
            return []
        dated = months(known - window, known + slack)
        undated = ["u" + m for m in months(known - window, known + window)]
        return dated + undated

    # -- creating and refreshing events ----------------------------------------------------

    def create_event(self, report: Report) -> int:
        cursor = self.db.execute(
            "INSERT INTO events (type, status, known_at, first_reported_at) VALUES (?, 'reported', ?, ?)",
            [report.type, report.known_at, report.known_at],
        )
        return int(cursor.lastrowid)

    def link_report(self, report: Report, event_id: int) -> None:
        self.db.execute("UPDATE event_mentions SET event_id = ? WHERE id = ?", [event_id, report.mention_id])
        self.db.execute(
            """INSERT INTO event_links (article_id, mention_key, event_id, original_article_id, known_at)
               VALUES (?, ?, ?, ?, ?)
               ON CONFLICT (article_id, mention_key) DO UPDATE SET event_id = excluded.event_id,
                   original_article_id = excluded.original_article_id, known_at = excluded.known_at""",
            [report.article_id, report.key, event_id, report.original_article_id, report.known_at],
        )

    def lead_report(self, reports: list[Report]) -> Report:
        """The best evidence: first-party, unhedged, reliable, precisely dated, earliest."""
        def rank(r: Report) -> tuple:
            span = r.span
            return (
                not r.supports,
                not (r.source.first_party and not r.hedged),
                r.hedged,
                -r.source.reliability,
                PRECISION_RANK.get(span.precision, 9) if span else 9,
                r.order,
            )
        return min(reports, key=rank)

    def best_date(self, reports: list[Report]) -> Report | None:
        """The report with the most precise date (explicit over relative over published)."""
        best: Report | None = None
        for report in reports:
            span = report.span
            if span is None:
                continue
            if best is None:
                best = report
                continue
            best_span = best.span
            assert best_span is not None
            if more_precise(span, best_span) or (
                not more_precise(best_span, span)
                and DATE_SOURCE_RANK.get(report.date_source, 3) < DATE_SOURCE_RANK.get(best.date_source, 3)
            ):
                best = report
        return best

    def replay_status(self, reports: list[Report]) -> list[tuple[str, str | None, str, str, int]]:
        """Replay reports in arrival order; each status change as (at, old, new, reason, article)."""
        cfg = self.weights["status"]
        needed = int(cfg["confirm_min_sources"])
        min_reliability = float(cfg["confirm_min_reliability"])
        reliable_sources: set[str] = set()
        status: str | None = None
        changes: list[tuple[str, str | None, str, str, int]] = []
        for r in reports:
            who = r.source.name or f"article {r.article_id}"
            new, reason = status, ""
            if r.denial:
                party = f" by {r.attributed_to}" if r.attributed_to else ""
                new, reason = "denied", f"denied{party} ({who})"
            elif r.negated:
                if status is None:
                    new, reason = "reported", f"first reported, in the negative, by {who}"
            elif r.hedged or self.ctx.attribution_kind(r) == "anonymous":
                # Anonymous sourcing ("people familiar with the plans") is speculation too.
                if status is None:
                    new, reason = "rumored", f"first reported, hedged or anonymously sourced, by {who}"
            elif r.source.first_party:
                new, reason = "confirmed", f"stated by first-party source {who}"
            else:
                if r.source.reliability >= min_reliability:
                    reliable_sources.add(r.source.key)
                if len(reliable_sources) >= needed and status != "denied":
                    new, reason = "confirmed", f"reported by {len(reliable_sources)} independent reliable sources"
                elif status in (None, "rumored"):
                    first = "first reported" if status is None else "reported without hedging"
                    new, reason = "reported", f"{first} by {who}"
            if new is not None and new != status:
                changes.append((r.known_at or "", status, new, reason, r.article_id))
                status = new
        return changes

    def refresh_event(self, event_id: int, *, score: bool = True) -> bool:
        """Recompute an event from its reports; delete it when none are left. False if gone."""
        reports = self.reports_of_event(event_id)
        current = self.event_row(event_id)
        if current is None:
            return False
        if not reports:
            self.db.execute("DELETE FROM events WHERE id = ?", [event_id])
            return False
        claims = [r for r in reports if not r.denial] or reports
        lead = self.lead_report(claims)
        dated = self.best_date(claims)
        span = dated.span if dated else None
        first = reports[0]
        changes = self.replay_status(reports)
        superseded_by = current["superseded_by"]
        if superseded_by is not None:
            other = self.event_row(superseded_by)
            if other is None or other["id"] == event_id:
                superseded_by = None
            else:
                changes.append((other["known_at"] or "", changes[-1][2] if changes else None, "superseded",
                                f"superseded by event {other['id']}", other["article_id"]))
        status = changes[-1][2] if changes else "reported"
        supporting = [r for r in reports if r.supports]
        fields = {
            "type": lead.type if not lead.denial else current["type"],
            "article_id": lead.article_id,
            "date": dated.date if dated else None,
            "date_mod": dated.date_mod if dated else None,
            "date_text": dated.date_text if dated else None,
            "date_source": dated.date_source if dated else "none",
            "date_precision": span.precision if span else None,
            "date_start": span.start.isoformat() if span else None,
            "date_end": span.end.isoformat() if span else None,
            "sort_date": span.start.isoformat() if span else (first.known_at or "")[:10] or None,
            "sentence": lead.sentence,
            "start": lead.start,
            "end": lead.end,
            "hedged": int(bool(supporting) and all(r.hedged for r in supporting)),
            "negated": int(all(r.negated for r in reports)),
            "attributed_to": lead.attributed_to,
            "status": status,
            "superseded_by": superseded_by,
            "summary": summarize(lead.sentence),
            "mentions": len({r.original_article_id for r in reports}),
            "sources": len({r.source.key for r in reports}),
            "first_reported_at": first.known_at,
            "first_reported_by": first.source.source_id,
            "known_at": first.known_at,
            "updated_at": max((r.known_at or "" for r in reports), default=None) or None,
        }
        if any(current.get(k) != v for k, v in fields.items()):
            sets = ", ".join(f'"{k}" = ?' for k in fields)
            self.db.execute(f"UPDATE events SET {sets} WHERE id = ?", [*fields.values(), event_id])
        self.write_entities(event_id, claims)
        self.write_history(event_id, changes)
        self.write_keys(event_id, fields, claims)
        if score:
            row = self.event_row(event_id)
            assert row is not None
            entity_ids = [r[0] for r in self.db.execute(
                "SELECT DISTINCT entity_id FROM event_entities WHERE event_id = ?", [event_id]).fetchall()]
            store_event_scores(self.ctx, row, reports, entity_ids)
        return True

    def write_entities(self, event_id: int, reports: list[Report]) -> None:
        """event_entities = the union of the reports' entities with their roles."""
        wanted: set[tuple[int, str]] = set()
        for report in reports:
            for entity in report.entities:
                entity_id = entity.get("entity_id")
                if not isinstance(entity_id, int) or entity_id in self.ignored:
                    continue
                role = entity.get("role") if entity.get("role") in ROLES else "participant"
                wanted.add((entity_id, role))
        existing = set(self.db.execute("SELECT entity_id, role FROM event_entities WHERE event_id = ?",
                                       [event_id]).fetchall())
        if existing == wanted:
            return
        self.db.execute("DELETE FROM event_entities WHERE event_id = ?", [event_id])
        for entity_id, role in sorted(wanted):
            # A report may name an entity that was deleted since: skip it rather than fail.
            if self.db.execute("SELECT 1 FROM entities WHERE id = ?", [entity_id]).fetchone():
                self.db.execute("INSERT INTO event_entities (event_id, entity_id, role) VALUES (?, ?, ?)",
                                [event_id, entity_id, role])

    def write_history(self, event_id: int, changes: list[tuple[str, str | None, str, str, int]]) -> None:
        """Make event_history the replayed status changes (unchanged rows are left alone)."""
        existing = self.db.execute(
            "SELECT at, old_status, new_status, reason, article_id FROM event_history WHERE event_id = ? ORDER BY id",
            [event_id],
        ).fetchall()
        if [tuple(r) for r in existing] == changes:
            return
        self.db.execute("DELETE FROM event_history WHERE event_id = ?", [event_id])
        for at, old, new, reason, article_id in changes:
            self.db.execute(
                """INSERT INTO event_history (event_id, at, old_status, new_status, reason, article_id)
                   VALUES (?, ?, ?, ?, ?, (SELECT id FROM articles WHERE id = ?))""",
                [event_id, at, old, new, reason, article_id],
            )

    def write_keys(self, event_id: int, fields: dict[str, Any], reports: list[Report]) -> None:
        """File the event under (entity, type, month) keys so later reports find it by index."""
        entity_ids = sorted({i for r in reports for i in r.match_ids})
        span = matchable_span(date_span(fields["date"], fields["date_mod"]))
        known = known_date(fields["known_at"])
        buckets: list[tuple[str, str]] = []
        if span is not None:
            buckets = [(fields["type"], m) for m in months(span.start, span.end)]
        elif known is not None:
            buckets = [(fields["type"], "u" + months(known, known)[0])]
        if known is not None:
            buckets.append(("*", "k" + months(known, known)[0]))
        wanted = {(e, t, b) for e in entity_ids for t, b in buckets}
        existing = set(self.db.execute("SELECT entity_id, type, bucket FROM event_keys WHERE event_id = ?",
                                       [event_id]).fetchall())
        if existing == wanted:
            return
        self.db.execute("DELETE FROM event_keys WHERE event_id = ?", [event_id])
        for entity_id, event_type, bucket in sorted(wanted):
            self.db.execute("INSERT INTO event_keys (entity_id, type, bucket, event_id) VALUES (?, ?, ?, ?)",
                            [entity_id, event_type, bucket, event_id])

    # -- superseding -----------------------------------------------------------------------

    def apply_supersession(self, event_ids: Iterable[int]) -> set[int]:
        """Mark rumored events replaced by later, more precise events; return those changed."""
        cfg = self.weights["supersede"]
        window = int(cfg["window_days"])
        changed: set[int] = set()
        for event_id in sorted(set(event_ids)):
            event = self.event_row(event_id)
            if event is None or event["status"] not in ("reported", "confirmed"):
                continue
            span = date_span(event["date"], event["date_mod"])
            known = known_date(event["known_at"])
            entity_ids = self.event_entity_ids(event_id)
            if span is None or known is None or not entity_ids:
                continue
            buckets = ["k" + m for m in months(known - dt.timedelta(days=window), known)]
            for other_id in sorted(self.candidate_ids(entity_ids, ["*"], buckets) - {event_id}):
                other = self.event_row(other_id)
                if (other is None or other["type"] != event["type"] or other["status"] != "rumored"
                        or (other["known_at"] or "") >= (event["known_at"] or "")):
                    continue
                if overlap_coefficient(entity_ids, self.event_entity_ids(other_id)) < float(cfg["min_entity_overlap"]):
                    continue
                other_span = date_span(other["date"], other["date_mod"])
                if other_span is not None and not more_precise(span, other_span):
                    continue
                self.db.execute("UPDATE events SET superseded_by = ? WHERE id = ?", [event_id, other_id])
                self.refresh_event(other_id)
                changed.add(other_id)
        return changed

    # -- the entry point -----------------------------------------------------------------

    def integrate(self, article_ids: list[int]) -> set[int]:
        """Attach the articles' reports to events; return the ids of events touched."""
        article_ids = sorted(set(article_ids))
        touched: set[int] = set()
        for part in chunks(article_ids):
            marks = ", ".join("?" for _ in part)
            touched.update(r[0] for r in self.db.execute(
                f"SELECT DISTINCT event_id FROM event_links WHERE article_id IN ({marks})", part).fetchall())
        reports = self.reports_of_articles(article_ids)
        for report in reports:
            if report.event_id is not None and self.event_row(report.event_id) is not None:
                event_id = report.event_id
            else:
                event_id = self.find_event(report) or self.create_event(report)
            self.link_report(report, event_id)
            touched.add(event_id)
            self.refresh_event(event_id, score=False)
        current_keys = {(r.article_id, r.key) for r in reports}
        for part in chunks(article_ids):
            marks = ", ".join("?" for _ in part)
            for article_id, key, _ in self.db.execute(
                f"SELECT article_id, mention_key, event_id FROM event_links WHERE article_id IN ({marks})", part
            ).fetchall():
                if (article_id, key) not in current_keys:
                    self.db.execute("DELETE FROM event_links WHERE article_id = ? AND mention_key = ?",
                                    [article_id, key])
        alive = {event_id for event_id in sorted(touched) if self.refresh_event(event_id)}
        alive |= self.apply_supersession(alive)
        return alive


def integrate_articles(db: sqlite_utils.Database, article_ids: list[int]) -> None:
    """Merge these articles' event_mentions into events, rescore them and update stories.

    Called by the analysis step after it stores an article batch. Idempotent: running it
    again over the same articles changes nothing.
    """
    from kb.stories import place_events

    ctx = ScoringContext(db)
    with db.conn:
        ledger = Ledger(db, ctx)
        stories_before = story_ids_of_events(db, ledger_linked_events(db, article_ids))
        touched = ledger.integrate(article_ids)
        stale = stories_before | story_ids_of_events(db, touched)
        place_events(db, ctx, touched, extra_story_ids=stories_before, stale_story_ids=stale)


def ledger_linked_events(db: sqlite_utils.Database, article_ids: list[int]) -> set[int]:
    """Events the articles' reports are linked to."""
    found: set[int] = set()
    for part in chunks(sorted(set(article_ids))):
        marks = ", ".join("?" for _ in part)
        found.update(r[0] for r in db.execute(
            f"SELECT DISTINCT event_id FROM event_links WHERE article_id IN ({marks})", part).fetchall())
    return found


def story_ids_of_events(db: sqlite_utils.Database, event_ids: Iterable[int]) -> set[int]:
    """Stories holding any of the events."""
    found: set[int] = set()
    for part in chunks(sorted(set(event_ids))):
        marks = ", ".join("?" for _ in part)
        found.update(r[0] for r in db.execute(
            f"SELECT DISTINCT story_id FROM story_events WHERE event_id IN ({marks})", part).fetchall())
    return found


def known_as_of(db: sqlite_utils.Database, as_of: str) -> list[dict[str, Any]]:
    """Run the as-of query: every event known on `as_of`, with its status then."""
    cursor = db.execute(AS_OF_SQL, {"as_of": as_of})
    names = [c[0] for c in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
