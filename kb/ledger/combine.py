"""Events of one announcement made of reports of other types: folded into one as soon as they show it.

Reports are matched one by one, so the first report of an announcement filed under one type
("Sam Altman is returning as CEO", personnel) may have made its event before any report tied it to
the report of another type ("a new board chaired by Bret Taylor", corporate) that made a second.
When an event changes, it is compared with the events of its day: two events whose types are of
two type groups, whose reports' types all lie in one announcement group (weights'
matching.announcement_groups), both dated to the same day by their text and naming the same
parties (two of them, or a person or a product) are one announcement: the younger event's
reports join the older, which is kept.
This runs after every report that joins an event, so merging in batches or all at once, and
merging again, build the same events.
"""

from __future__ import annotations

import datetime as dt

from kb.ledger.fit import SPECIFIC_LABELS, ReportFit, event_match_span
from kb.ledger.fold import months, type_group


class AnnouncementCombine(ReportFit):
    """Folds the events of one announcement together (the base of kb.ledger.merge.Ledger)."""

    absorbed_into: dict[int, int]

    def surviving(self, event_id: int) -> int:
        """The event that holds an event's reports now (itself unless it was folded into another)."""
        while event_id in self.absorbed_into:
            event_id = self.absorbed_into[event_id]
        return event_id

    def combine_announcement(self, event_id: int) -> int:
        """Fold the event and the events of its announcement together; return the one that stays."""
        while True:
            other = self.announcement_partner(event_id)
            if other is None:
                return event_id
            keep, gone = min(event_id, other), max(event_id, other)
            self.absorb(keep, gone)
            event_id = keep

    def announcement_partner(self, event_id: int) -> int | None:
        """The oldest other event of the same announcement as this one, or None."""
        groups = self.weights["matching"].get("announcement_groups", [])
        event = self.event_row(event_id)
        if not groups or event is None or event["status"] not in ("reported", "confirmed"):
            return None
        span = event_match_span(event)
        if span is None or span.precision != "day":
            return None
        held = self.held_types(event_id) | {event["type"]}
        kinds = sorted({t for group in groups if held <= set(group) for t in group})
        if not kinds:
            return None
        slack = dt.timedelta(days=self.day_tolerance)
        entities = self.event_entity_ids(event_id)
        candidates = self.ranked_candidate_ids(entities, kinds, months(span.start - slack, span.end + slack))
        self.load_events(candidates)
        for other in sorted(candidates):
            if other != event_id and self.same_announcement(event_id, held, other):
                return other
        return None

    def same_announcement(self, event_id: int, held: set[str], other_id: int) -> bool:
        """Whether another event tells the same announcement (see the module docstring)."""
        other = self.event_row(other_id)
        if other is None or other["status"] not in ("reported", "confirmed"):
            return False
        theirs = event_match_span(other)
        ours = event_match_span(self.event_row(event_id))  # type: ignore[arg-type]
        if theirs is None or ours is None or theirs.precision != "day":
            return False
        if abs((theirs.start - ours.start).days) > self.day_tolerance:
            return False
        ours_type = self.event_row(event_id)["type"]  # type: ignore[index]
        if other["type"] in type_group(self.weights, ours_type):
            return False  # events of one type group take reports one by one (two hires of a day stay two)
        kinds = held | self.held_types(other_id) | {other["type"]}
        if not any(kinds <= set(group) for group in self.weights["matching"]["announcement_groups"]):
            return False
        ours_ids, theirs_ids = self.event_entity_ids(event_id), self.event_entity_ids(other_id)
        shared = ours_ids & theirs_ids
        self.load_entity_types(shared)
        if len(shared) < 2 and not any(self.entity_types.get(e) in SPECIFIC_LABELS for e in shared):
            return False
        return not self.other_products(ours_ids, theirs_ids)

    def absorb(self, keep: int, gone: int) -> None:
        """Move every report of `gone` to `keep`; `gone` is deleted when the events are written."""
        if gone not in self.folds:
            self.track([gone])
        if keep not in self.folds:
            self.track([keep])
        reports = list(self.folds[gone].ordered)
        fold = self.folds[keep]
        for report in reports:
            fold.add(report)
        self.folds[gone] = self.new_fold()
        self.write_keys(gone, set())  # not found by later reports (the row goes when written)
        self.refile(keep)
        self.db.execute("UPDATE event_mentions SET event_id = ? WHERE event_id = ?", [keep, gone])
        self.db.execute("UPDATE event_links SET event_id = ? WHERE event_id = ?", [keep, gone])
        for link in self.pending_links:
            if link[0] == gone:
                link[0] = keep
        self.absorbed_into[gone] = keep
        self.db.execute("INSERT OR IGNORE INTO event_ids_retired (id) VALUES (?)", [gone])
        self.used.update((keep, gone))
