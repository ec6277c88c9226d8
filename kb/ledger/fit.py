"""Whether a report can tell an event's fact: its type, its date and the things it names."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from kb.core.relations import default_relations
from kb.dates.spans import DateSpan, date_span, spans_compatible
from kb.ledger.directions import Directions
from kb.ledger.fold import ALL, known_date, matchable_date_span, matchable_span, type_group
from kb.ledger.reports import Report
from kb.ledger.similarity import overlap_coefficient
from kb.ledger.sql_helpers import marks
from kb.ledger.writing import EventWriter

# Entity labels that name one thing a fact is about (a product, a person), not a hub company.
SPECIFIC_LABELS = frozenset({"PRODUCT", "PERSON"})


class ReportFit(EventWriter):
    """The tests a report passes to join an event (the base of kb.ledger.merge.Ledger): a type
    the event's reports may share (its type group, or an announcement group on the same day),
    a date that fits, the same things named, the same personnel move."""

    # -- types ------------------------------------------------------------------------------

    def joinable_types(self, kind: str) -> tuple[str, ...]:
        """The types of events a report of `kind` may join: its type group (its own first), then
        the other types of its announcement groups."""
        own = type_group(self.weights, kind)
        others = [t for group in self.weights["matching"].get("announcement_groups", []) if kind in group
                  for t in group if t not in own]
        return (*own, *dict.fromkeys(others))

    def held_types(self, event_id: int) -> set[str]:
        """The types the event's reports give."""
        fold = self.folds.get(event_id)
        if fold is not None:
            return set(fold.types[ALL])
        return {row[0] for row in self.db.execute(
            "SELECT DISTINCT type FROM event_mentions WHERE event_id = ?", [event_id])}

    def type_fit(self, report: Report, event_id: int, event_type: str) -> bool | None:
        """None when a report of its type cannot join the event; False when the event's type, or a
        type its reports give, is of the report's type group (an announcement's event takes later
        reports of each of its types as an event of that type would); True when only an
        announcement group holds the report's type and every type the event's reports give (such a
        report must be of the event's day)."""
        own = type_group(self.weights, report.type)
        if event_type in own:
            return False
        held = self.held_types(event_id) | {event_type}
        if held & set(own):
            return False
        for group in self.weights["matching"].get("announcement_groups", []):
            if report.type in group and held <= set(group):
                return True
        return None

    def announced_together(self, report: Report, event_id: int) -> bool:
        """Whether a report of another type names enough of the event to be its announcement: two
        of its parties, or one of its products or people."""
        shared = report.match_ids & self.event_entity_ids(event_id)
        self.load_entity_types(shared)
        return len(shared) >= 2 or any(self.entity_types.get(e) in SPECIFIC_LABELS for e in shared)

    # -- dates and entities --------------------------------------------------------------------

    @property
    def person_conflict_types(self) -> frozenset[str]:
        return frozenset(self.weights["matching"].get("person_conflict_types", []))

    @property
    def agent_day_types(self) -> frozenset[str]:
        return frozenset(self.weights["matching"].get("agent_day_types", []))

    def conflict_reach(self, kind: str) -> int:
        """How many days apart the text's dates of one fact of this type may be (0: none)."""
        if kind in self.conflict_types:
            return self.conflict_days
        if kind in self.person_conflict_types:
            return int(self.weights["matching"].get("person_conflict_days", 0))
        return 0

    def date_fit(self, report: Report, event: dict[str, Any]) -> str | None:
        """How the report's date fits the event's: "day" (the same day, within the tolerance),
        "dated" (nested dates), "window" (one side undated or dated only by the publication date it
        fell back to, and the dated side at most the type's window before the other was known),
        "conflict" (dates from the text at most conflict_reach() days apart, for the types that
        may conflict), or None (another fact)."""
        tolerance = self.day_tolerance
        window = self.windows.get(report.type, self.windows["default"])
        slack = dt.timedelta(days=tolerance)
        ours = report_match_span(report)
        theirs = event_match_span(event)
        if ours and theirs:
            if spans_compatible(ours, theirs, tolerance):
                return "day" if ours.precision == theirs.precision == "day" else "dated"
            reach = self.conflict_reach(report.type)
            if reach and span_gap(ours, theirs) <= reach:
                return "conflict"
            return None
        raw = date_span(event["date"], event["date_mod"])
        if (report.span and raw and report.span.precision == raw.precision == "day"
                and abs((report.span.start - raw.start).days) <= tolerance):
            return "day"
        ours_known, theirs_known = known_date(report.known_at), known_date(event["known_at"])
        if ours is None and theirs is None:
            if ours_known is None or theirs_known is None:
                return "window"
            return "window" if abs(ours_known - theirs_known) <= window else None
        dated, reported = (ours, theirs_known) if ours else (theirs, ours_known)
        if reported is None:
            return None
        return "window" if dated.start - slack <= reported <= dated.end + window else None

    def entities_fit(self, report: Report, event_id: int, min_overlap: float,
                     fit: str | None) -> float | None:
        """How well report and event share entities (their overlap coefficient, plus one for each
        product or person they share, at most two), or None when they are not about the same things.

        The overlap coefficient must reach `min_overlap` (a report naming a subset of the event's
        entities fits); on the same day, sharing two entities, or one product or person, or one
        entity and two names of one company (related_names), is enough (reports of one launch name
        its maker as "Microsoft" or "Microsoft AI", and more or fewer of the places it is
        available in), and with nested dates ("two weeks ago", "in April") one
        product. Conflicting dates need a shared product.
        """
        ours, theirs = report.match_ids, self.event_entity_ids(event_id)
        overlap = overlap_coefficient(ours, theirs)
        shared = ours & theirs
        self.load_entity_types(shared)
        labels = {self.entity_types.get(e) for e in shared}
        score = overlap + min(2, sum(self.entity_types.get(e) in SPECIFIC_LABELS for e in shared))
        if fit == "conflict":
            needed = "PRODUCT" if report.type in self.conflict_types else "PERSON"
            return score if overlap >= min_overlap and needed in labels else None
        # Known only at about the same time, one shared company is no evidence when both sides
        # name others: OpenAI's deal with Amazon a week later is not its agreement with Microsoft.
        hub_only = (fit == "window" and len(shared) == 1 and not labels & SPECIFIC_LABELS
                    and min(len(ours), len(theirs)) >= 2)
        if overlap >= min_overlap and not hub_only:
            return score
        if fit == "day" and (len(shared) >= 2 or labels & SPECIFIC_LABELS):
            return score
        if (fit == "day" and report.type in self.agent_day_types
                and self.shared_agent(report, event_id, shared)):
            return score  # the regulator's orders, told with their recipients or with its chair
        family_overlap = overlap_coefficient(self.family_ids(ours), self.family_ids(theirs))
        if fit == "day" and family_overlap >= min_overlap and not self.other_products(ours, theirs):
            return score  # "OpenAI Foundation" in one report, "OpenAI" in the other
        if fit == "day" and shared and self.related_names(ours - shared, theirs - shared):
            return score  # "Amazon" in one report, "Amazon Web Services" in the other
        if fit == "dated" and "PRODUCT" in labels:
            return score  # "two weeks ago it released MAI-Voice-1": the launch of that day
        return None

    def other_products(self, ours: frozenset[int], theirs: frozenset[int]) -> bool:
        """Whether both sides name products and share none (MAI-Voice-1 and MAI-1-preview, launched
        the same day by the same maker, are two launches)."""
        self.load_entity_types([*ours, *theirs])
        mine = {e for e in ours if self.entity_types.get(e) == "PRODUCT"}
        others = {e for e in theirs if self.entity_types.get(e) == "PRODUCT"}
        return bool(mine and others and not mine & others)

    def family_ids(self, entity_ids: Iterable[int]) -> frozenset[int]:
        """The entities with each organisation replaced by the top organisation it belongs to
        (data/relations.toml parents: "OpenAI Foundation" -> "OpenAI", "Microsoft AI" ->
        "Microsoft"), when that organisation is in the base."""
        ids = sorted(entity_ids)
        self.load_entity_names(ids)
        self.load_entity_types(ids)
        return frozenset(self.family_of(e) if self.entity_types.get(e) == "ORG" else e for e in ids)

    def family_of(self, entity_id: int) -> int:
        found = self.families.get(entity_id)
        if found is None:
            name = self.entity_names.get(entity_id)
            owners = default_relations().owners_of(name) if name else []
            row = (self.db.execute("SELECT id FROM entities WHERE name = ?", [owners[-1]]).fetchone()
                   if owners else None)
            found = self.families[entity_id] = row[0] if row else entity_id
        return found

    def family_lookup_ids(self, entity_ids: Iterable[int]) -> set[int]:
        """The entities, the organisations they belong to and those that belong to them, to look
        events up by: either side of "OpenAI" and "OpenAI Foundation" finds the other's event."""
        ids = set(entity_ids)
        found = ids | set(self.family_ids(ids))
        relations = default_relations()
        for entity_id in sorted(ids):
            if entity_id not in self.family_members:
                name = self.entity_names.get(entity_id)
                members = (sorted(n for n in relations.parents if name in relations.owners_of(n))
                           if name and self.entity_types.get(entity_id) == "ORG" else [])
                rows = self.db.execute(f"SELECT id FROM entities WHERE name IN ({marks(members)})",
                                       members).fetchall() if members else []
                self.family_members[entity_id] = frozenset(row[0] for row in rows)
            found |= self.family_members[entity_id]
        return found

    def same_move(self, report: Report, event_id: int, fit: str | None) -> bool:
        """For personnel reports: whether the report can tell the event's move: not an opposite
        direction of one of its reports (a hire is not the firing before it), and, unless both
        are of the same day, not about other people (both name people, none shared: a team hired
        that day is one fact, Brockman's return a week after Altman's is another)."""
        if report.type != "personnel":
            return True
        if self.directions is None:
            self.directions = Directions(self.weights)
        fold = self.folds.get(event_id)
        triggers = ([r.trigger for r in fold.by_mention.values()] if fold is not None else
                    [row[0] for row in self.db.execute(
                        "SELECT trigger FROM event_mentions WHERE event_id = ?", [event_id])])
        if self.directions.clash(self.directions.of(report.trigger), map(self.directions.of, triggers)):
            return False
        theirs = self.event_entity_ids(event_id)
        self.load_entity_types([*report.match_ids, *theirs])
        people = {e for e in report.match_ids if self.entity_types.get(e) == "PERSON"}
        named = {e for e in theirs if self.entity_types.get(e) == "PERSON"}
        return fit == "day" or not (people and named and not people & named)

    def related_names(self, ours: Iterable[int], theirs: Iterable[int]) -> bool:
        """Whether an entity of one set is named by extending the name of one of the other
        ("Amazon" and "Amazon Web Services", "Microsoft" and "Microsoft AI")."""
        ours, theirs = sorted(ours), sorted(theirs)
        self.load_entity_names([*ours, *theirs])
        name = self.entity_names.get
        pairs = [(name(a) or "", name(b) or "") for a in ours for b in theirs]
        return any(a and b and (a.startswith(b + " ") or b.startswith(a + " ")) for a, b in pairs)

    def shared_agent(self, report: Report, event_id: int, shared: Iterable[int]) -> bool:
        """Whether the report's agent is one of the event's agents (the regulator that sent the
        orders, however many of their recipients each report names)."""
        ours = {e.get("entity_id") for e in report.entities if e.get("role") == "agent"} & set(shared)
        if not ours:
            return False
        fold = self.folds.get(event_id)
        if fold is not None:
            theirs = {e for e, role in fold.roles[ALL] if role == "agent"}
        else:
            theirs = {row[0] for row in self.db.execute(
                "SELECT entity_id FROM event_entities WHERE event_id = ? AND role = 'agent'", [event_id])}
        return bool(ours & theirs)


def report_match_span(report: Report) -> DateSpan | None:
    """The report's date for matching: none when vague, or when it is only the publication date
    the report fell back to (such a report is matched as an undated one, by when it was known)."""
    return None if report.date_source == "published" else matchable_span(report.span)


def event_match_span(event: dict[str, Any]) -> DateSpan | None:
    """The event's date for matching (see report_match_span)."""
    return None if event.get("date_source") == "published" else matchable_date_span(event["date"],
                                                                                     event["date_mod"])


def span_gap(a: DateSpan, b: DateSpan) -> int:
    """Days between two spans that do not overlap (0 when they do)."""
    return max((a.start - b.end).days, (b.start - a.end).days, 0)
