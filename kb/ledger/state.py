"""The ledger's events in memory: rows, folded reports, entity sets and lookup keys, kept current
as reports attach (kb.ledger.writing writes the events, kb.ledger.merge matches reports to them)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

import sqlite_utils

from kb.ledger.directions import Directions
from kb.ledger.fold import EventFold, StatusChange, key_buckets
from kb.ledger.reports import Report, SourceResolver, ignored_entity_ids, load_reports
from kb.ledger.scoring import ScoringContext
from kb.ledger.sql_helpers import chunks, marks, rows_as_dicts

SCORE_COLUMNS = ("importance", "confidence", "score_components", "formula_version")
INSERT_KEY_SQL = "INSERT INTO event_keys (entity_id, type, bucket, event_id) VALUES (?, ?, ?, ?)"


class LedgerState:
    """The events a merge reads and changes, held in memory (the base of kb.ledger.merge.Ledger).

    Event rows and matchable entity sets are read once; a touched event's reports are
    folded (EventFold) as they attach, and its lookup keys are refiled at once, so later
    reports of the batch find it; mention links are queued and written in one statement.
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
        self.conflict_days = int(matching.get("conflict_days", 0))
        self.conflict_types = frozenset(matching.get("conflict_types", []))
        self.entity_types: dict[int, str | None] = {}
        self.entity_names: dict[int, str | None] = {}
        self.families: dict[int, int] = {}  # organisation -> the top organisation it belongs to
        self.family_members: dict[int, frozenset[int]] = {}  # organisation -> those belonging to it
        self.directions: Directions | None = None  # personnel directions, read when first needed
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
        self.absorbed_into: dict[int, int] = {}  # events folded into another: gone -> kept

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
                        JOIN entities en ON en.id = ee.entity_id
                        WHERE ee.event_id IN ({marks(part)})""", part):
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

    def load_entity_names(self, entity_ids: Iterable[int]) -> None:
        wanted = sorted({e for e in entity_ids if e not in self.entity_names})
        for part in chunks(wanted):
            found = dict(self.db.execute(f"SELECT id, name FROM entities WHERE id IN ({marks(part)})",
                                         part).fetchall())
            for entity_id in part:
                self.entity_names[entity_id] = found.get(entity_id)

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
                    "SELECT entity_id, type, bucket, event_id FROM event_keys "
                    f"WHERE event_id IN ({marks(part)})", part):
                self.keys[event_id].add((entity_id, event_type, bucket))

    def new_fold(self, reports: Iterable[Report] = ()) -> EventFold:
        fold = EventFold(self.weights, self.ctx.attribution_kind, self.ignored)
        fold.extend(reports)
        return fold

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
            fields = {"id": self.highest_event_id() + 1, **fields}
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
            self.last_event_id = self.highest_event_id()
        self.last_event_id += 1
        return self.last_event_id

    def highest_event_id(self) -> int:
        """The highest id of a live event or of one folded into another (never given again)."""
        return self.db.execute("SELECT max(coalesce((SELECT max(id) FROM events), 0), "
                               "coalesce((SELECT max(id) FROM event_ids_retired), 0))").fetchone()[0]

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
        self.folds[event_id].add(report)
        self.refile(event_id)
        self.pending_links.append([event_id, report.mention_id, report.article_id, report.key,
                                   report.original_article_id, report.known_at])

    def refile(self, event_id: int) -> None:
        """Bring an event's matching fields up to date with its fold and refile its keys. Until
        the event is written, only what matching reads is kept current."""
        fold = self.folds[event_id]
        current = self.rows[event_id]
        assert current is not None
        superseding = None
        if current["superseded_by"] is not None:
            superseding = self.event_row(current["superseded_by"])
        fields = fold.matching_fields(current, superseding)
        current.update(fields)
        self.file_event(event_id, fields, fold)

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
                  fields["date_source"], fold.version)
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
            self.db.conn.executemany(INSERT_KEY_SQL, [[*k, event_id] for k in sorted(added)])
            self.keys[event_id] |= added
        else:
            buckets = key_buckets(*inputs[:6])
            self.write_keys(event_id, {(e, t, b) for e in match for t, b in buckets})
        self.key_inputs[event_id] = (inputs, len(match), len(entity_ids), buckets, frozenset(match))

    def write_keys(self, event_id: int, wanted: set[tuple[int, str, str]]) -> None:
        """File the event under (entity, type, month) keys so later reports find it by index."""
        existing = self.keys[event_id]
        if existing == wanted:
            return
        self.db.conn.executemany("DELETE FROM event_keys WHERE entity_id = ? AND type = ? AND bucket = ? "
                                 "AND event_id = ?", [[*k, event_id] for k in sorted(existing - wanted)])
        self.db.conn.executemany(INSERT_KEY_SQL, [[*k, event_id] for k in sorted(wanted - existing)])
        self.keys[event_id] = set(wanted)
