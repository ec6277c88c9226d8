"""The claim ledger: one event per fact, merged from many reports, with status and history."""

from __future__ import annotations

import datetime as dt
import gc
import logging
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import sqlite_utils

from kb.dates.spans import date_span, more_precise, spans_compatible
from kb.ledger.fold import (
    RUMOR_KEY,
    STORY_FIELDS,
    EventFold,
    StatusChange,
    key_buckets,
    keys_for,
    known_date,
    matchable_date_span,
    matchable_span,
    months,
)
from kb.ledger.reports import Report, SourceResolver, ignored_entity_ids, load_reports
from kb.ledger.scoring import ScoringContext, components_json, facts_of, load_weights, score_event
from kb.ledger.similarity import content_word_set, jaccard, overlap_coefficient

log = logging.getLogger(__name__)

CHUNK = 500  # ids per IN (...) query
SCORE_COLUMNS = ("importance", "confidence", "score_components", "formula_version")

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


def marks(values: list[Any]) -> str:
    return ",".join("?" * len(values)) or "NULL"


def rows_as_dicts(cursor) -> list[dict[str, Any]]:
    names = [c[0] for c in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


class Ledger:
    """Merges reports into events and keeps each event's fields, status and history current.

    One instance serves one batch: event rows, entity sets and reports read from the
    database are kept in memory, events are updated in memory as reports join them (each
    event's fields folded report by report, see EventFold), and every touched event is
    written once at the end (its lookup keys at once, so later reports of the batch find
    it; mention links in one statement before the events are written).
    """

    def __init__(self, db: sqlite_utils.Database, ctx: ScoringContext):
        self.db = db
        self.weights = ctx.weights
        self.ignored = ignored_entity_ids(db, list(self.weights["matching"].get("outlet_entities", [])))
        self.ignored_labels = frozenset(self.weights["matching"].get("ignore_entity_types", []))
        self.rows: dict[int, dict[str, Any] | None] = {}  # current event rows (None: no such event)
        self.stored: dict[int, dict[str, Any] | None] = {}  # rows as read, for touched events
        self.entity_sets: dict[int, frozenset[int]] = {}  # matchable entities of an event
        self.folds: dict[int, EventFold] = {}  # touched event -> its reports, folded
        self.keys: dict[int, set[tuple[int, str, str]]] = {}  # touched event -> its event_keys
        self.key_inputs: dict[int, tuple] = {}  # touched event -> what its keys were last filed from
        self.buckets: dict[tuple, list[str]] = {}  # lookup_buckets by (type, matchable span, day known)
        matching = self.weights["matching"]
        self.day_tolerance = int(matching["day_tolerance_days"])
        windows = matching["undated_window_days"]
        self.windows = {kind: dt.timedelta(days=int(days)) for kind, days in windows.items()}
        self.entity_types: dict[int, str | None] = {}
        self.start_merge(ctx)

    def start_merge(self, ctx: ScoringContext) -> None:
        """Begin a merge (one transaction): fresh scoring context, source cache and merge bookkeeping.

        What is kept from an earlier merge of a LedgerSession is the events' own state
        (rows, folds, keys, entity sets), which only the ledger writes.
        """
        self.ctx = ctx
        self.resolver = SourceResolver(self.db)
        self.created: set[int] = set()  # events made in this merge
        self.unwritten: set[int] = set()  # of those, events whose row is not inserted yet
        self.last_event_id: int | None = None  # the id of the last event made, once one is
        self.new_rows: dict[tuple[str, ...], list[list[Any]]] = {}  # new events' rows to insert, by columns
        self.new_entities: list[list[Any]] = []  # and their event_entities rows
        self.new_history: list[list[Any]] = []  # and their event_history rows
        self.pending_links: list[list[Any]] = []  # (event, mention, article, key, original, known_at)
        self.story_changes: set[int] = set()  # events changed in what story matching reads, or gone
        # such events that were in a story: (story, story date, entity ids) before the change
        self.story_before: dict[int, tuple[int, str | None, frozenset[int]]] = {}
        self.used: set[int] = set()  # events read or changed in this merge (for a session's eviction)
        self.deleted = False  # whether an event was deleted (other rows' references to it were cleared)

    def forget(self) -> None:
        """Drop what is held in memory (between chunks of a long run)."""
        for cache in (self.rows, self.stored, self.entity_sets, self.folds, self.keys, self.key_inputs):
            cache.clear()

    def forget_events(self, event_ids: Iterable[int]) -> None:
        """Drop what is held in memory of these events; they are read afresh when next needed."""
        for event_id in event_ids:
            for cache in (self.rows, self.stored, self.entity_sets, self.folds, self.keys, self.key_inputs):
                cache.pop(event_id, None)

    # -- loading -------------------------------------------------------------------------

    def reports_of_event(self, event_id: int) -> list[Report]:
        return load_reports(self.db, "em.event_id = ?", [event_id], self.resolver, self.ignored,
                            self.ignored_labels, keys=False)

    def reports_of_articles(self, article_ids: list[int]) -> list[Report]:
        reports: list[Report] = []
        for part in chunks(article_ids):
            reports.extend(load_reports(self.db, f"em.article_id IN ({marks(part)})", part,
                                        self.resolver, self.ignored, self.ignored_labels))
        reports.sort(key=lambda r: r.order)
        return reports

    def load_events(self, event_ids: Iterable[int]) -> None:
        """Read rows and matchable entity sets of events not yet in memory."""
        wanted = sorted({e for e in event_ids if e not in self.rows})
        if not wanted:
            return
        self.used.update(wanted)
        for part in chunks(wanted):
            found = {row["id"]: row for row in rows_as_dicts(
                self.db.execute(f"SELECT * FROM events WHERE id IN ({marks(part)})", part))}
            entities: dict[int, set[int]] = {}
            for event_id, entity_id, kind in self.db.execute(
                    f"""SELECT DISTINCT ee.event_id, ee.entity_id, en.type FROM event_entities ee
                        JOIN entities en ON en.id = ee.entity_id WHERE ee.event_id IN ({marks(part)})""", part):
                self.entity_types[entity_id] = kind
                if entity_id not in self.ignored and kind not in self.ignored_labels:
                    entities.setdefault(event_id, set()).add(entity_id)
            for event_id in part:
                self.rows[event_id] = found.get(event_id)
                self.entity_sets[event_id] = frozenset(entities.get(event_id, ()))

    def event_row(self, event_id: int) -> dict[str, Any] | None:
        if event_id not in self.rows:
            self.load_events([event_id])
        return self.rows[event_id]

    def event_entity_ids(self, event_id: int) -> frozenset[int]:
        """The event's entities that count for matching (no outlets, no places)."""
        if event_id not in self.entity_sets:
            self.load_events([event_id])
        return self.entity_sets[event_id]

    def load_entity_types(self, entity_ids: Iterable[int]) -> None:
        wanted = sorted({e for e in entity_ids if e not in self.entity_types})
        for part in chunks(wanted):
            found = dict(self.db.execute(f"SELECT id, type FROM entities WHERE id IN ({marks(part)})",
                                         part).fetchall())
            for entity_id in part:
                self.entity_types[entity_id] = found.get(entity_id)

    def track(self, event_ids: Iterable[int]) -> None:
        """Hold reports, stored rows and keys in memory for events about to change."""
        wanted = sorted({e for e in event_ids if e not in self.folds})
        if not wanted:
            return
        self.load_events(wanted)
        for part in chunks(wanted):
            found: dict[int, list[Report]] = {}
            for event_id in part:
                found[event_id] = []
                self.keys[event_id] = set()
                self.key_inputs.pop(event_id, None)
                row = self.rows[event_id]
                self.stored[event_id] = dict(row) if row is not None else None
            for report in load_reports(self.db, f"em.event_id IN ({marks(part)})", part, self.resolver,
                                       self.ignored, self.ignored_labels, keys=False):
                found[report.event_id].append(report)  # type: ignore[index]
            for event_id in part:
                self.folds[event_id] = self.new_fold(found[event_id])
            for entity_id, event_type, bucket, event_id in self.db.execute(
                    f"SELECT entity_id, type, bucket, event_id FROM event_keys WHERE event_id IN ({marks(part)})",
                    part):
                self.keys[event_id].add((entity_id, event_type, bucket))

    def new_fold(self, reports: Iterable[Report] = ()) -> EventFold:
        fold = EventFold(self.weights, self.ctx.attribution_kind, self.ignored)
        fold.extend(reports)
        return fold

    # -- matching a report to an event ------------------------------------------------------

    def ranked_candidate_ids(self, entity_ids: Iterable[int], types: Iterable[str], buckets: list[str]) -> list[int]:
        """Events keyed under any of the entities, types and buckets (by index, no scan): at
        most `max_candidates`, those sharing the most of the entities first, then the newest
        (highest id). Ranked and capped in SQL, so a report meets a bounded number of events
        however dense the base is."""
        entities, kinds, buckets = sorted(set(entity_ids)), sorted(set(types)), sorted(set(buckets))
        if not entities or not buckets:
            return []
        cap = int(self.weights["matching"].get("max_candidates", 0))
        if len(buckets) <= 200:
            # One query ranks and caps by itself.
            limit = "LIMIT ?" if cap else ""
            return [row[0] for row in self.db.execute(
                f"""SELECT event_id FROM event_keys
                    WHERE entity_id IN ({marks(entities)}) AND type IN ({marks(kinds)})
                    AND bucket IN ({marks(buckets)}) GROUP BY event_id
                    ORDER BY count(DISTINCT entity_id) DESC, event_id DESC {limit}""",
                [*entities, *kinds, *buckets] + ([cap] if cap else []))]
        shared: dict[int, set[int]] = {}
        for part in chunks(buckets, 200):
            for event_id, found in self.db.execute(
                    f"""SELECT event_id, group_concat(DISTINCT entity_id) FROM event_keys
                        WHERE entity_id IN ({marks(entities)}) AND type IN ({marks(kinds)})
                        AND bucket IN ({marks(part)}) GROUP BY event_id""", [*entities, *kinds, *part]):
                shared.setdefault(event_id, set()).update(int(e) for e in found.split(","))
        ranked = sorted(shared, key=lambda e: (-len(shared[e]), -e))
        return ranked[:cap] if cap else ranked

    def dates_compatible(self, report: Report, event: dict[str, Any]) -> bool:
        """Equal or nested dates; or, with one side undated, within the type's window."""
        tolerance = self.day_tolerance
        window = self.windows.get(report.type, self.windows["default"])
        slack = dt.timedelta(days=tolerance)
        ours = matchable_span(report.span)
        theirs = matchable_date_span(event["date"], event["date_mod"])
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
        text = jaccard(content_word_set(report.sentence), content_word_set(event["sentence"]))
        bonus = 0.0
        if report.denial and event["status"] == "rumored":
            bonus = 0.5  # denials usually answer rumors
        elif report.date and report.date == event["date"]:
            bonus = 0.1
        return overlap + 0.5 * text + bonus

    def find_event(self, report: Report) -> int | None:
        """The existing event this report is about, or None."""
        if not report.match_ids:
            return None
        matching = self.weights["matching"]
        if report.denial:
            denial = matching["denial"]
            known = known_date(report.known_at)
            if known is None:
                return None
            buckets = ["k" + m for m in months(known - dt.timedelta(days=int(denial["window_days"])), known)]
            candidates = self.ranked_candidate_ids(report.match_ids, ["*"], buckets)
            min_overlap = float(denial["min_entity_overlap"])
        else:
            candidates = self.ranked_candidate_ids(report.match_ids, [report.type], self.lookup_buckets(report))
            min_overlap = float(matching["min_entity_overlap"])
        self.load_events(candidates)
        best: tuple[float, int] | None = None
        for event_id in sorted(candidates):
            score = self.match_score(report, event_id, min_overlap)
            if score is not None and (best is None or score > best[0]):
                best = (score, event_id)
        return best[1] if best else None

    def lookup_buckets(self, report: Report) -> list[str]:
        """Key buckets where a compatible event of the report's type would be filed."""
        # Many reports share a type and a date (or a day known): their buckets are worked out once.
        span = matchable_span(report.span)
        key = (report.type, span, None if span else known_date(report.known_at))
        found = self.buckets.get(key)
        if found is None:
            found = self.buckets[key] = self.buckets_for(report)
        return found

    def buckets_for(self, report: Report) -> list[str]:
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

    # -- keeping events current in memory -----------------------------------------------------

    def create_event(self, report: Report) -> int:
        """A new event with the fields of its first report (attach adds the report).

        Inside a transaction the row is inserted only when the event is written, with its
        final fields and scores, under the id SQLite would have given it then; references
        to it (keys, links, mentions) are checked at commit. Outside one it is inserted now.
        """
        fold = self.new_fold([report])
        fields, _ = fold.fields({"id": None, "type": report.type}, None)
        event_id = self.next_event_id()
        if event_id is None:
            names = ", ".join(f'"{k}"' for k in fields)
            row = rows_as_dicts(self.db.execute(
                f"INSERT INTO events ({names}) VALUES ({marks(list(fields))}) RETURNING *",
                list(fields.values())))[0]
            event_id = int(row["id"])
        else:
            row = {"id": event_id, **fields, **dict.fromkeys(SCORE_COLUMNS)}
            self.unwritten.add(event_id)
        # A new id has no mentions, entities, keys or links yet (deleting an event cascades
        # to them, and foreign keys are on), so it is tracked without reading them.
        self.rows[event_id] = row
        self.stored[event_id] = dict(row)
        self.created.add(event_id)
        self.used.add(event_id)
        self.entity_sets[event_id] = frozenset()
        self.folds[event_id] = fold
        self.keys[event_id] = set()
        self.key_inputs.pop(event_id, None)
        return event_id

    def next_event_id(self) -> int | None:
        """The id the next inserted event would get, or None outside a transaction."""
        if not self.db.conn.in_transaction:
            return None
        if self.last_event_id is None:
            self.db.execute("PRAGMA defer_foreign_keys = ON")  # until this transaction ends
            self.last_event_id = self.db.execute("SELECT max(id) FROM events").fetchone()[0] or 0
        self.last_event_id += 1
        return self.last_event_id

    def recompute(self, event_id: int) -> tuple[EventFold, dict[str, Any], list[StatusChange]] | None:
        """An event's folded reports, fields and status changes from the reports in memory."""
        fold = self.folds[event_id]
        current = self.rows[event_id]
        if not fold or current is None:
            return None
        superseding = None
        if current["superseded_by"] is not None:
            superseding = self.event_row(current["superseded_by"])
        fields, changes = fold.fields(current, superseding)
        return fold, fields, changes

    def attach(self, report: Report, event_id: int) -> None:
        """Add a report to an event in memory, refile the event's keys, queue the report's link."""
        if event_id not in self.folds:
            self.track([event_id])
        self.used.add(event_id)
        fold = self.folds[event_id]
        fold.add(report)
        current = self.rows[event_id]
        assert current is not None
        superseding = None
        if current["superseded_by"] is not None:
            superseding = self.event_row(current["superseded_by"])
        # Until the event is written, only what matching reads is kept current.
        fields = fold.matching_fields(current, superseding)
        current.update(fields)
        self.file_event(event_id, fields, fold)
        self.pending_links.append([event_id, report.mention_id, report.article_id, report.key,
                                   report.original_article_id, report.known_at])

    def write_links(self) -> None:
        """Point the attached mentions at their events and record their links, in two statements."""
        pending, self.pending_links = self.pending_links, []
        # In table order (mention ids, then link keys), so each page is visited once.
        self.db.conn.executemany("UPDATE event_mentions SET event_id = ? WHERE id = ?",
                                 sorted(([event_id, mention_id] for event_id, mention_id, *_ in pending),
                                        key=lambda p: p[1]))
        self.db.conn.executemany(
            """INSERT INTO event_links (article_id, mention_key, event_id, original_article_id, known_at)
               VALUES (?, ?, ?, ?, ?)
               ON CONFLICT (article_id, mention_key) DO UPDATE SET event_id = excluded.event_id,
                   original_article_id = excluded.original_article_id, known_at = excluded.known_at""",
            sorted([article_id, key, event_id, original, known_at]
                   for event_id, _, article_id, key, original, known_at in pending))

    def file_event(self, event_id: int, fields: dict[str, Any], fold: EventFold) -> None:
        """Bring the event's matchable entities and lookup keys up to date with its fields.

        Between two refolds an event's entity sets only grow, so when the key buckets stay the
        same only the keys of new entities are added, and an unchanged event costs nothing.
        """
        inputs = (fields["type"], fields["status"], fields["date"], fields["date_mod"], fields["known_at"],
                  fold.version)
        match, entity_ids = fold.match_ids(), fold.entity_ids()
        filed = self.key_inputs.get(event_id)
        same = filed is not None and filed[0] == inputs
        if same and filed[1] == len(match) and filed[2] == len(entity_ids):  # type: ignore[index]
            return
        if not same or filed[2] != len(entity_ids):  # type: ignore[index]
            self.load_entity_types(entity_ids)
            self.entity_sets[event_id] = frozenset(
                e for e in entity_ids if self.entity_types.get(e) is not None
                and self.entity_types[e] not in self.ignored_labels)
        if same:
            buckets, keyed = filed[3], filed[4]  # type: ignore[index]
            added = {(e, t, b) for e in sorted(match - keyed) for t, b in buckets} - self.keys[event_id]
            self.db.conn.executemany("INSERT INTO event_keys (entity_id, type, bucket, event_id) VALUES (?, ?, ?, ?)",
                                     [[*k, event_id] for k in sorted(added)])
            self.keys[event_id] |= added
        else:
            buckets = key_buckets(*inputs[:5])
            self.write_keys(event_id, {(e, t, b) for e in match for t, b in buckets})
        self.key_inputs[event_id] = (inputs, len(match), len(entity_ids), buckets, frozenset(match))

    def write_keys(self, event_id: int, wanted: set[tuple[int, str, str]]) -> None:
        """File the event under (entity, type, month) keys so later reports find it by index."""
        existing = self.keys[event_id]
        if existing == wanted:
            return
        self.db.conn.executemany("DELETE FROM event_keys WHERE entity_id = ? AND type = ? AND bucket = ? "
                                 "AND event_id = ?", [[*k, event_id] for k in sorted(existing - wanted)])
        self.db.conn.executemany("INSERT INTO event_keys (entity_id, type, bucket, event_id) VALUES (?, ?, ?, ?)",
                                 [[*k, event_id] for k in sorted(wanted - existing)])
        self.keys[event_id] = set(wanted)

    # -- writing events ---------------------------------------------------------------------

    def refresh_event(self, event_id: int, *, score: bool = True) -> bool:
        """Recompute an event from its reports; delete it when none are left. False if gone."""
        return event_id in self.refresh_events([event_id], score=score, reload=True)

    def refresh_events(self, event_ids: Iterable[int], *, score: bool = True, reload: bool = False) -> set[int]:
        """Write touched events (fields, entities, history, keys, scores); return those alive.

        With `reload`, reports and rows are read afresh from the database first.
        """
        ids = sorted(set(event_ids))
        if reload:
            for event_id in ids:
                for cache in (self.rows, self.folds, self.keys, self.key_inputs, self.stored, self.entity_sets):
                    cache.pop(event_id, None)
        self.track(ids)
        alive: set[int] = set()
        for part in chunks(ids):
            entities: dict[int, set[tuple[int, str]]] = {e: set() for e in part}
            for event_id, entity_id, role in self.db.execute(
                    f"SELECT event_id, entity_id, role FROM event_entities WHERE event_id IN ({marks(part)})", part):
                entities[event_id].add((entity_id, role))
            history: dict[int, list[tuple]] = {e: [] for e in part}
            for row in self.db.execute(
                    f"""SELECT event_id, at, old_status, new_status, reason, article_id FROM event_history
                        WHERE event_id IN ({marks(part)}) ORDER BY id""", part):
                history[row[0]].append(tuple(row[1:]))
            for event_id in part:
                if self.write_event(event_id, entities[event_id], history[event_id], score):
                    alive.add(event_id)
            self.insert_new_events()
        return alive

    def insert_new_events(self) -> None:
        """Insert the rows of new events written so far, a statement per table."""
        rows, entities, history = self.new_rows, self.new_entities, self.new_history
        if not rows:
            return
        for columns, values in rows.items():
            names = ", ".join(f'"{k}"' for k in columns)
            self.db.conn.executemany(f"INSERT INTO events ({names}) VALUES ({marks(list(columns))})", values)
        self.db.conn.executemany("INSERT INTO event_entities (event_id, entity_id, role) VALUES (?, ?, ?)", entities)
        self.db.conn.executemany(
            """INSERT INTO event_history (event_id, at, old_status, new_status, reason, article_id)
               VALUES (?, ?, ?, ?, ?, (SELECT id FROM articles WHERE id = ?))""", history)
        self.new_rows, self.new_entities, self.new_history = {}, [], []

    def write_event(self, event_id: int, entities: set[tuple[int, str]], history: list[tuple],
                    score: bool) -> bool:
        """Write one event from its reports in memory; delete it when it has none."""
        if self.rows.get(event_id) is None:
            return False
        if event_id not in self.unwritten:
            # New events written before this one go first: history rows are numbered in writing order.
            self.insert_new_events()
        computed = self.recompute(event_id)
        if computed is None:
            self.note_story_change(event_id, entities)
            self.db.execute("DELETE FROM events WHERE id = ?", [event_id])
            self.rows[event_id] = None
            self.deleted = True
            return False
        fold, fields, changes = computed
        stored = self.stored.get(event_id) or {}
        wanted = fold.entity_roles()
        self.load_entity_types(e for e, _ in wanted)
        wanted = {(e, role) for e, role in wanted if self.entity_types.get(e) is not None}
        # A new event always changes what story matching reads (it was inserted with its fields).
        if event_id in self.created or {e for e, _ in entities} != {e for e, _ in wanted} or any(
                stored.get(k) != fields[k] for k in STORY_FIELDS):
            self.note_story_change(event_id, entities)
        row = {**stored, **fields, "id": event_id}
        values = dict(fields)
        if score:
            values.update(self.score_values(row, fold, sorted({e for e, _ in wanted})))
        # One UPDATE of the columns that changed (so the full-text and story-total triggers
        # run only when what they read changed).
        changed = {k: v for k, v in values.items() if stored.get(k) != v}
        if event_id in self.unwritten:
            # Inserted with other new events (insert_new_events): nothing refers to it yet.
            self.unwritten.discard(event_id)
            row.update(values)
            self.new_rows.setdefault(tuple(row), []).append(list(row.values()))
            self.new_entities.extend([event_id, e, role] for e, role in sorted(wanted))
            self.new_history.extend([event_id, *change] for change in changes)
            self.file_event(event_id, fields, fold)
            self.rows[event_id] = row
            self.stored[event_id] = dict(row)
            return True
        if changed:
            sets = ", ".join(f'"{k}" = ?' for k in changed)
            self.db.execute(f"UPDATE events SET {sets} WHERE id = ?", [*changed.values(), event_id])
        row.update(values)
        if entities != wanted:
            # A report may name an entity that was deleted since: such entities are left out.
            if entities:
                self.db.execute("DELETE FROM event_entities WHERE event_id = ?", [event_id])
            self.db.conn.executemany("INSERT INTO event_entities (event_id, entity_id, role) VALUES (?, ?, ?)",
                                     [[event_id, e, role] for e, role in sorted(wanted)])
        if history != changes:
            if history:
                self.db.execute("DELETE FROM event_history WHERE event_id = ?", [event_id])
            self.db.conn.executemany(
                """INSERT INTO event_history (event_id, at, old_status, new_status, reason, article_id)
                   VALUES (?, ?, ?, ?, ?, (SELECT id FROM articles WHERE id = ?))""",
                [[event_id, *change] for change in changes])
        self.file_event(event_id, fields, fold)
        self.rows[event_id] = row
        self.stored[event_id] = dict(row)
        return True

    def note_story_change(self, event_id: int, entities: set[tuple[int, str]]) -> None:
        """Remember an event about to change in what story matching reads (or to be deleted),
        with its story, story date and entities as they are now, so that its story's entity
        index can be updated by difference."""
        self.story_changes.add(event_id)
        if event_id in self.story_before or event_id in self.created:  # a new event is in no story yet
            return
        row = self.db.execute("SELECT story_id, ev_story_date FROM story_events WHERE event_id = ? "
                              "ORDER BY story_id LIMIT 1", [event_id]).fetchone()
        if row is not None:
            self.story_before[event_id] = (row[0], row[1], frozenset(e for e, _ in entities))

    def score_values(self, row: dict[str, Any], fold: EventFold, entity_ids: list[int]) -> dict[str, Any]:
        """An event's importance, confidence and their stored explanation."""
        facts = facts_of(self.ctx, row, fold.best_evidence(), fold.mentions(), fold.highest_authority(), entity_ids)
        importance, confidence = score_event(facts, self.weights)
        return {"importance": importance.value, "confidence": confidence.value,
                "score_components": components_json(importance, confidence),
                "formula_version": self.ctx.formula_version}

    # -- superseding -----------------------------------------------------------------------

    def apply_supersession(self, event_ids: Iterable[int]) -> set[int]:
        """Mark rumored events replaced by later, more precise events; return those changed."""
        cfg = self.weights["supersede"]
        window = int(cfg["window_days"])
        changed: set[int] = set()
        ids = sorted(set(event_ids))
        self.load_events(ids)
        for event_id in ids:
            event = self.event_row(event_id)
            if event is None or event["status"] not in ("reported", "confirmed"):
                continue
            span = date_span(event["date"], event["date_mod"])
            known = known_date(event["known_at"])
            entity_ids = self.event_entity_ids(event_id)
            if span is None or known is None or not entity_ids:
                continue
            buckets = ["k" + m for m in months(known - dt.timedelta(days=window), known)]
            # Only rumors can be superseded: they have keys of their own, so hub entities
            # ("Microsoft") do not bring every event of the last months in as candidates.
            # Ranked and capped as report candidates are (matching.max_candidates).
            others = sorted(o for o in self.ranked_candidate_ids(entity_ids, [RUMOR_KEY + event["type"]], buckets)
                            if o != event_id)
            self.load_events(others)
            for other_id in others:
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
        links: dict[tuple[int, str], int] = {}
        for part in chunks(article_ids):
            for article_id, key, event_id in self.db.execute(
                    f"SELECT article_id, mention_key, event_id FROM event_links WHERE article_id IN ({marks(part)})",
                    part):
                links[(article_id, key)] = event_id
        touched = set(links.values())
        # Reports these articles had before may have been deleted since (reanalysis): their
        # events are read afresh (a no-op unless state is kept from an earlier merge).
        self.forget_events(touched)
        self.track(touched)
        reports = self.reports_of_articles(article_ids)
        self.load_events({r.event_id for r in reports if r.event_id is not None})
        for report in reports:
            event_id = None
            if report.event_id is not None and self.event_row(report.event_id) is not None:
                event_id = report.event_id
            else:
                event_id = self.linked_event(report, links.get((report.article_id, report.key)))
                if event_id is None:
                    event_id = self.find_event(report) or self.create_event(report)
            self.attach(report, event_id)
            touched.add(event_id)
        current_keys = {(r.article_id, r.key) for r in reports}
        self.write_links()
        stale = [[article_id, key] for (article_id, key) in sorted(links) if (article_id, key) not in current_keys]
        self.db.conn.executemany("DELETE FROM event_links WHERE article_id = ? AND mention_key = ?", stale)
        alive = self.refresh_events(touched)
        alive |= self.apply_supersession(alive)
        return alive

    def linked_event(self, report: Report, event_id: int | None) -> int | None:
        """The event this article's report went to before (reprocessing keeps event ids)."""
        if event_id is None:
            return None
        row = self.event_row(event_id)
        if row and (row["type"] == report.type or report.denial):
            return event_id
        return None


def integrate_articles(db: sqlite_utils.Database, article_ids: list[int],
                       session: LedgerSession | None = None) -> None:
    """Merge these articles' event_mentions into events, rescore them and update stories.

    Called by the analysis step after it stores an article batch. Idempotent: running it
    again over the same articles changes nothing. With a `session`, the events' state read
    by earlier merges of the same run is reused (the result is the same).
    """
    from kb.stories.placement import place_events

    ctx = ScoringContext(db)
    try:
        with db.conn, cyclic_gc_paused():
            ledger = session.ledger_for(db, ctx) if session is not None else Ledger(db, ctx)
            before = stories_by_event(db, ledger_linked_events(db, article_ids))
            touched = ledger.integrate(article_ids)
            changed = sorted(ledger.story_changes)
            stale = {before[e] for e in changed if e in before} | set(stories_by_event(db, changed).values())
            place_events(db, ctx, touched, extra_story_ids=set(before.values()), stale_story_ids=stale,
                         story_before=ledger.story_before)
    except BaseException:
        if session is not None:
            session.discard()  # rolled back: what it holds no longer matches the database
        raise
    if session is not None:
        session.merged(ledger)


class LedgerSession:
    """The claim ledger's event state kept from one merge to the next within one analysis run.

    Only the ledger writes events, their keys, entities and history, and a run holds the
    ingest lock, so rows, folded reports, keys and entity sets read by one merge are still
    true at the next; scoring contexts and source caches stay per merge. The state is
    dropped after a failed merge, after a merge that deleted an event (other rows' references
    to it were cleared by the database), when the weights or the ignored entities change,
    and for events whose articles are analysed again. At most `max_events` events and the
    reports of at most `max_reports` (about 5 kB each in memory) are held: the events used
    longest ago are let go first.
    """

    def __init__(self, max_events: int = 10_000, max_reports: int = 50_000):
        self.max_events = max_events
        self.max_reports = max_reports
        self.ledger: Ledger | None = None
        self.recency: dict[int, None] = {}  # held events, least recently used first
        self.merges = 0  # merges that reused the state

    def ledger_for(self, db: sqlite_utils.Database, ctx: ScoringContext) -> Ledger:
        """The ledger for the next merge: the kept one when still valid, else a new one."""
        ledger = self.ledger
        if ledger is not None and ledger.db is db and ledger.weights == ctx.weights:
            outlets = list(ctx.weights["matching"].get("outlet_entities", []))
            if ignored_entity_ids(db, outlets) == ledger.ignored:
                ledger.start_merge(ctx)
                self.merges += 1
                return ledger
        self.discard()
        self.ledger = Ledger(db, ctx)
        return self.ledger

    def merged(self, ledger: Ledger) -> None:
        """After a committed merge: note the events it used and let go of the oldest."""
        if ledger is not self.ledger or ledger.deleted:
            self.discard()
            return
        recency = self.recency
        for event_id in sorted(ledger.used):
            recency.pop(event_id, None)
            recency[event_id] = None
        folds = ledger.folds
        events, reports = len(recency), sum(len(fold) for fold in folds.values())
        oldest: list[int] = []
        for event_id in recency:
            if events <= self.max_events and reports <= self.max_reports:
                break
            oldest.append(event_id)
            events -= 1
            reports -= len(folds[event_id]) if event_id in folds else 0
        ledger.forget_events(oldest)
        for event_id in oldest:
            del recency[event_id]
        if len(ledger.entity_types) > 20 * self.max_events:
            ledger.entity_types.clear()
        if len(ledger.buckets) > self.max_events:
            ledger.buckets.clear()

    def forget_articles(self, db: sqlite_utils.Database, article_ids: list[int]) -> None:
        """Let go of the events these articles' reports went to (before the reports are replaced)."""
        if self.ledger is not None:
            self.ledger.forget_events(ledger_linked_events(db, article_ids))

    def discard(self) -> None:
        """Drop everything held; the next merge reads afresh."""
        self.ledger = None
        self.recency = {}


@contextmanager
def cyclic_gc_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector for the block.

    A merge keeps tens of thousands of small objects alive until it ends and makes no
    reference cycles, so the collector's full passes only re-scan them: about a fifth of
    the merge's time on a 1,000-article batch. Reference counting still frees everything.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def rebuild_event_keys(db: sqlite_utils.Database, weights: dict[str, Any] | None = None) -> int:
    """File every event under its lookup keys from its stored date and entities; return rows.

    For databases whose events were written without the ledger (bench/generate_db.py);
    the ledger keeps the keys current by itself. The caller commits.
    """
    weights = weights if weights is not None else load_weights()
    matching = weights["matching"]
    ignored = ignored_entity_ids(db, list(matching.get("outlet_entities", [])))
    ignored_types = sorted(matching.get("ignore_entity_types", []))
    count = 0
    db.execute("DELETE FROM event_keys")
    last = 0
    while True:
        rows = db.execute("SELECT id, type, status, date, date_mod, known_at FROM events WHERE id > ? "
                          "ORDER BY id LIMIT ?", [last, 5000]).fetchall()
        if not rows:
            break
        first, last = rows[0][0], rows[-1][0]
        entities: dict[int, set[int]] = {}
        for event_id, entity_id in db.execute(
                f"""SELECT ee.event_id, ee.entity_id FROM event_entities ee JOIN entities en ON en.id = ee.entity_id
                    WHERE ee.event_id BETWEEN ? AND ? AND en.type NOT IN ({marks(ignored_types)})""",
                [first, last, *ignored_types]):
            if entity_id not in ignored:
                entities.setdefault(event_id, set()).add(entity_id)
        keys = [[*key, event_id] for event_id, event_type, status, date, date_mod, known_at in rows
                for key in sorted(keys_for(event_type, status, date, date_mod, known_at,
                                           entities.get(event_id, ())))]
        db.conn.executemany("INSERT INTO event_keys (entity_id, type, bucket, event_id) VALUES (?, ?, ?, ?)", keys)
        count += len(keys)
    return count


def ledger_linked_events(db: sqlite_utils.Database, article_ids: list[int]) -> set[int]:
    """Events the articles' reports are linked to."""
    found: set[int] = set()
    for part in chunks(sorted(set(article_ids))):
        found.update(r[0] for r in db.execute(
            f"SELECT DISTINCT event_id FROM event_links WHERE article_id IN ({marks(part)})", part).fetchall())
    return found


def stories_by_event(db: sqlite_utils.Database, event_ids: Iterable[int]) -> dict[int, int]:
    """The story of each of the events that has one."""
    found: dict[int, int] = {}
    for part in chunks(sorted(set(event_ids))):
        for event_id, story_id in db.execute(
                f"SELECT event_id, min(story_id) FROM story_events WHERE event_id IN ({marks(part)}) "
                "GROUP BY event_id", part):
            found[event_id] = story_id
    return found


def known_as_of(db: sqlite_utils.Database, as_of: str) -> list[dict[str, Any]]:
    """Run the as-of query: every event known on `as_of`, with its status then."""
    cursor = db.execute(AS_OF_SQL, {"as_of": as_of})
    names = [c[0] for c in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
