"""Writing the ledger's touched events: fields, entities, history, keys and scores, in few statements."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from kb.ledger.fold import STORY_FIELDS, EventFold
from kb.ledger.scoring import components_json, facts_of, score_event
from kb.ledger.sql_helpers import chunks, marks
from kb.ledger.state import LedgerState

INSERT_ENTITY_SQL = "INSERT INTO event_entities (event_id, entity_id, role) VALUES (?, ?, ?)"


class EventWriter(LedgerState):
    """Writes events from their reports in memory (LedgerState), once per merge."""

    def refresh_event(self, event_id: int, *, score: bool = True) -> bool:
        """Recompute an event from its reports; delete it when none are left. False if gone."""
        return event_id in self.refresh_events([event_id], score=score, reload=True)

    def refresh_events(self, event_ids: Iterable[int], *, score: bool = True,
                       reload: bool = False) -> set[int]:
        """Write touched events (fields, entities, history, keys, scores); return those alive.

        With `reload`, reports and rows are read afresh from the database first.
        """
        ids = sorted(set(event_ids))
        if reload:
            for event_id in ids:
                for cache in (self.rows, self.folds, self.keys, self.key_inputs, self.stored,
                              self.entity_sets):
                    cache.pop(event_id, None)
        self.track(ids)
        alive: set[int] = set()
        for part in chunks(ids):
            entities: dict[int, set[tuple[int, str]]] = {e: set() for e in part}
            for event_id, entity_id, role in self.db.execute(
                    "SELECT event_id, entity_id, role FROM event_entities "
                    f"WHERE event_id IN ({marks(part)})", part):
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
        self.db.conn.executemany(INSERT_ENTITY_SQL, entities)
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
            self.db.conn.executemany(INSERT_ENTITY_SQL, [[event_id, e, role] for e, role in sorted(wanted)])
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
        facts = facts_of(self.ctx, row, fold.best_evidence(), fold.mentions(), fold.highest_authority(),
                         entity_ids, recap_only=fold.recap_only())
        importance, confidence = score_event(facts, self.weights)
        return {"importance": importance.value, "confidence": confidence.value,
                "score_components": components_json(importance, confidence),
                "formula_version": self.ctx.formula_version}
