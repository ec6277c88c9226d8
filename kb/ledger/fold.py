"""An event's fields from its reports: lead report, best date, status replay, lookup keys."""

from __future__ import annotations

import datetime as dt
from bisect import insort
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any

from kb.core.excerpts import shorten
from kb.core.time import parse_timestamp
from kb.dates.labels import format_timex
from kb.dates.spans import PRECISION_RANK, DateSpan, date_span, spans_compatible
from kb.ledger.reports import Report, strip_dateline
from kb.ledger.scoring import SourceEvidence

# Dates spanning more than this are too vague to match on; they are keyed like undated ones.
MAX_MATCH_SPAN_DAYS = 400
ROLES = ("agent", "partner", "object", "product", "participant")
DATE_SOURCE_RANK = {"explicit": 0, "relative": 1, "published": 2, "none": 3}
SUMMARY_CHARS = 200
# Fields that story matching reads: when one changes, the event's story profile is rebuilt.
STORY_FIELDS = ("sort_date", "known_at", "sentence")

StatusChange = tuple[str, str | None, str, str, int]  # (at, old, new, reason, article_id)


def months(start: dt.date, end: dt.date) -> list[str]:
    """'YYYY-MM' for every month from start to end inclusive."""
    return list(_months(start.year, start.month, end.year, end.month))


@lru_cache(maxsize=16384)
def _months(year: int, month: int, end_year: int, end_month: int) -> tuple[str, ...]:
    out = []
    while (year, month) <= (end_year, end_month):
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return tuple(out)


def matchable_span(report_or_span: DateSpan | None) -> DateSpan | None:
    """A span precise enough to match on, else None (treated as undated)."""
    if report_or_span is None or report_or_span.days > MAX_MATCH_SPAN_DAYS:
        return None
    return report_or_span


@lru_cache(maxsize=65536)
def matchable_date_span(date: str | None, date_mod: str | None) -> DateSpan | None:
    """matchable_span(date_span(date, date_mod)), remembered."""
    return matchable_span(date_span(date, date_mod))


@lru_cache(maxsize=65536)
def known_date(value: str | None) -> dt.date | None:
    parsed = parse_timestamp(value)
    return parsed.date() if parsed else None


@lru_cache(maxsize=4096)
def summarize(sentence: str | None) -> str | None:
    """The lead sentence without its dateline, shortened at a word boundary when long."""
    if not sentence:
        return None
    text = strip_dateline(" ".join(sentence.split()))
    return shorten(text, SUMMARY_CHARS)


def lead_rank(r: Report) -> tuple:
    """Sort key of the best evidence: first-party, unhedged, reliable, precisely dated, earliest."""
    span = r.span
    return (
        not r.supports,
        not (r.source.first_party and not r.hedged),
        r.hedged,
        -r.source.reliability,
        PRECISION_RANK.get(span.precision, 9) if span else 9,
        r.order,
    )


def scheduled(r: Report, span: DateSpan) -> bool:
    """Whether the report's date lies after the day it was reported: a scheduled date ("is set
    for trial in April"), not the day something happened."""
    known = known_date(r.known_at)
    return known is not None and span.start > known


def date_rank(r: Report, span: DateSpan) -> tuple:
    """Sort key of the best date: a date that is not scheduled after its report, then a date the
    text gives over the publication date a report fell back to, then the most precise, then
    explicit over relative, then the earliest report."""
    return (scheduled(r, span), r.date_source == "published", PRECISION_RANK[span.precision], span.days,
            DATE_SOURCE_RANK.get(r.date_source, 3), r.order)


@dataclass(frozen=True)
class EventDate:
    """The date an event takes from its reports."""

    date: str | None
    mod: str | None
    text: str | None
    source: str
    span: DateSpan | None


def event_date(dated: Report | None, first_day: Report | None) -> EventDate:
    """The best dated report's date, made precise by the earliest report dated by its publication
    day when that day lies inside it ("in July 2019" and a July 22, 2019 report of the news)."""
    if dated is None:
        return EventDate(None, None, None, "none", None)
    span = dated.span
    if (first_day is not None and span is not None and first_day.span is not None
            and dated.date_source != "published" and span.precision != "day"
            and span.start <= first_day.span.start <= span.end):
        return EventDate(first_day.date, None, dated.date_text, dated.date_source, first_day.span)
    return EventDate(dated.date, dated.date_mod, dated.date_text, dated.date_source, span)


def type_precedence(weights: dict[str, Any]) -> dict[str, int]:
    """Each type's rank in its group of weights' matching.type_groups (ties of the type count are
    settled by it); 0 for other types."""
    return {kind: rank for group in weights["matching"].get("type_groups", [])
            for rank, kind in enumerate(group)}


def type_group(weights: dict[str, Any], kind: str) -> tuple[str, ...]:
    """The types whose events a report of `kind` may join (its own first)."""
    for group in weights["matching"].get("type_groups", []):
        if kind in group:
            return (kind, *(t for t in group if t != kind))
    return (kind,)


def with_date_conflicts(reports: Iterable[Report], best: Report, tolerance: int,
                        replay: StatusReplay) -> list[StatusChange]:
    """The status history with a row for each report whose own date (from the text) conflicts with
    the event's: the event keeps one date and shows the others, each after the changes of the
    reports that arrived before it, with the status then (a conflict changes no status)."""
    span = best.span
    rows: list[tuple[tuple, int, StatusChange]] = [(order, 0, change) for order, change
                                                   in zip(replay.orders, replay.changes, strict=True)]
    for r in reports:
        if r.span is None or r.date_source == "published" or spans_compatible(r.span, span, tolerance):
            continue
        then = [c[2] for order, c in zip(replay.orders, replay.changes, strict=True) if order <= r.order]
        status = then[-1] if then else (replay.changes[0][2] if replay.changes else "reported")
        who = r.source.name or f"article {r.article_id}"
        rows.append((r.order, 1, (r.known_at or "", status, status,
                                  f"date conflict: {who} dates it {format_timex(r.date, r.date_mod)}; "
                                  f"the event keeps {format_timex(best.date, best.date_mod)}", r.article_id)))
    return [change for _, _, change in sorted(rows, key=lambda row: row[:2])]


def report_evidence(report: Report, attribution: str) -> SourceEvidence:
    """What one supporting report says for its source."""
    return SourceEvidence(
        reliability=report.source.reliability,
        first_party=report.source.first_party,
        hedged=report.hedged,
        attribution=attribution,
        extraction=float(report.confidence if report.confidence is not None else 0.5),
    )


def evidence_rank(evidence: SourceEvidence) -> tuple:
    """Sort key of a source's best evidence: unhedged, then named, then surest extraction."""
    return (not evidence.hedged, evidence.attribution == "named", evidence.extraction)


def report_authority(report: Report, first_party_authority: float) -> float:
    """How authoritative a report's source is (first-party channels at least `first_party_authority`)."""
    return max(report.source.reliability, first_party_authority if report.source.first_party else 0.0)


class StatusReplay:
    """An event's status replayed over its reports in arrival order, one report at a time."""

    def __init__(self, weights: dict[str, Any], attribution_kind: Callable[[Report], str]):
        cfg = weights["status"]
        self.needed = int(cfg["confirm_min_sources"])
        self.min_reliability = float(cfg["confirm_min_reliability"])
        self.attribution_kind = attribution_kind
        self.reliable_sources: set[str] = set()
        self.status: str | None = None
        self.changes: list[StatusChange] = []  # (at, old, new, reason, article)
        self.orders: list[tuple] = []  # the order of the report that made each change

    def step(self, r: Report) -> None:
        """Apply the next report in arrival order."""
        status = self.status
        who = r.source.name or f"article {r.article_id}"
        new, reason = status, ""
        if r.denial:
            party = f" by {r.attributed_to}" if r.attributed_to else ""
            new, reason = "denied", f"denied{party} ({who})"
        elif r.negated:
            if status is None:
                new, reason = "reported", f"first reported, in the negative, by {who}"
        elif r.hedged or self.attribution_kind(r) == "anonymous":
            # Anonymous sourcing ("people familiar with the plans") is speculation too.
            if status is None:
                new, reason = "rumored", f"first reported, hedged or anonymously sourced, by {who}"
        elif r.source.first_party:
            new, reason = "confirmed", f"stated by first-party source {who}"
        else:
            if r.source.reliability >= self.min_reliability:
                self.reliable_sources.add(r.source.key)
            if len(self.reliable_sources) >= self.needed and status != "denied":
                sources = len(self.reliable_sources)
                new, reason = "confirmed", f"reported by {sources} independent reliable sources"
            elif status in (None, "rumored"):
                first = "first reported" if status is None else "reported without hedging"
                new, reason = "reported", f"{first} by {who}"
        if new is not None and new != status:
            self.changes.append((r.known_at or "", status, new, reason, r.article_id))
            self.orders.append(r.order)
            self.status = new


CLAIMS, ALL = 0, 1  # the two report groups an event's fields come from (claims: no denials)


class EventFold:
    """An event's fields, status history, entities and match ids folded over its reports.

    Reports are folded in arrival order, so a report arriving after the others costs the
    same however many the event has; one arriving earlier than some (or replacing a report
    with other content) makes the fold start again from the first report. Fields come from
    the claims (reports that are not denials), or from all reports when all are denials.
    """

    def __init__(self, weights: dict[str, Any], attribution_kind: Callable[[Report], str],
                 ignored: frozenset[int]):
        self.weights = weights
        self.attribution_kind = attribution_kind
        self.ignored = ignored
        self.first_party_authority = float(weights["importance"]["first_party_authority"])
        self.precedence = type_precedence(weights)
        self.prevailing = frozenset(weights["matching"].get("prevailing_types", []))
        self.tolerance = int(weights["matching"]["day_tolerance_days"])
        self.by_mention: dict[int, Report] = {}
        self.ordered: list[Report] = []  # arrival order
        self.version = 0  # changes when the entity sets may have lost members (else they only grow)
        self._clear()

    def _clear(self) -> None:
        self.replay = StatusReplay(self.weights, self.attribution_kind)
        self.leads: list[tuple[tuple, Report] | None] = [None, None]
        self.dated: list[tuple[tuple, Report] | None] = [None, None]
        # The earliest report dated by its publication day (event_date).
        self.first_day: list[Report | None] = [None, None]
        self.roles: list[set[tuple[int, str]]] = [set(), set()]
        self.role_ids: list[set[int]] = [set(), set()]  # the entities of `roles`
        self.match: list[set[int]] = [set(), set()]
        self.types: list[Counter[str]] = [Counter(), Counter()]
        self.supporting = self.supporting_hedged = self.negated = 0
        self.originals: set[int] = set()
        self.source_keys: set[str] = set()
        self.updated_at = ""
        # source key -> (rank, order, best evidence)
        self.evidence: dict[str, tuple[tuple, tuple, SourceEvidence]] = {}
        self.authority: float | None = None
        self.version += 1

    def __len__(self) -> int:
        return len(self.ordered)

    def add(self, report: Report) -> None:
        """Add a report (or replace the one with its mention id)."""
        known = self.by_mention.get(report.mention_id)
        if known is not None:
            # The same mention read by another query differs at most in its key.
            if replace(report, key=known.key) == known:
                return
            self.by_mention[report.mention_id] = report
            self.ordered = sorted(self.by_mention.values(), key=lambda r: r.order)
            self._refold()
            return
        self.by_mention[report.mention_id] = report
        if self.ordered and report.order < self.ordered[-1].order:
            # Only the status replay depends on the order: the rest takes the report as it is.
            insort(self.ordered, report, key=lambda r: r.order)
            self._fold(report, replay=False)
            self.replay = StatusReplay(self.weights, self.attribution_kind)
            for earlier in self.ordered:
                self.replay.step(earlier)
        else:
            self.ordered.append(report)
            self._fold(report)

    def extend(self, reports: Iterable[Report]) -> None:
        for report in sorted(reports, key=lambda r: r.order):
            self.add(report)

    def _refold(self) -> None:
        self._clear()
        for report in self.ordered:
            self._fold(report)

    def _fold(self, r: Report, replay: bool = True) -> None:
        if replay:
            self.replay.step(r)
        if self.leads[CLAIMS] is None and not r.denial:
            self.version += 1  # the first claim: fields and entities now come from the claims
        span = r.span
        rank = lead_rank(r)
        dated = date_rank(r, span) if span is not None else None
        roles = {(e["entity_id"], e.get("role") if e.get("role") in ROLES else "participant")
                 for e in r.entities
                 if isinstance(e.get("entity_id"), int) and e["entity_id"] not in self.ignored}
        for group in (ALL,) if r.denial else (CLAIMS, ALL):
            lead = self.leads[group]
            if lead is None or rank < lead[0]:
                self.leads[group] = (rank, r)
            best = self.dated[group]
            if dated is not None and (best is None or dated < best[0]):
                self.dated[group] = (dated, r)
            if (r.date_source == "published" and span is not None and span.precision == "day"
                    and (self.first_day[group] is None or r.order < self.first_day[group].order)):
                self.first_day[group] = r
            self.roles[group].update(roles)
            self.role_ids[group].update(e for e, _ in roles)
            self.match[group].update(r.match_ids)
            self.types[group][r.type] += 1
        if r.supports:
            self.supporting += 1
            self.supporting_hedged += r.hedged
        self.negated += r.negated
        self.originals.add(r.original_article_id)
        self.source_keys.add(r.source.key)
        self.updated_at = max(self.updated_at, r.known_at or "")
        authority = report_authority(r, self.first_party_authority)
        self.authority = authority if self.authority is None else max(self.authority, authority)
        if r.supports:
            # Each source's best evidence; of equals, the one that arrived first.
            evidence = report_evidence(r, self.attribution_kind(r))
            rank = evidence_rank(evidence)
            best = self.evidence.get(r.source.key)
            if best is None or rank > best[0] or (rank == best[0] and r.order < best[1]):
                self.evidence[r.source.key] = (rank, r.order, evidence)

    @property
    def group(self) -> int:
        return CLAIMS if self.leads[CLAIMS] is not None else ALL

    def event_type(self, current: dict[str, Any]) -> str:
        """The type of most of the claims (ties: the first of its group in type_groups), except that
        a prevailing type wins when any claim has it (a launch whose price some reports give is a
        release); the type it has when all reports are denials."""
        if self.leads[self.group][1].denial:  # type: ignore[index]
            return current["type"]
        counts = self.types[self.group]
        return min(counts, key=lambda t: (t not in self.prevailing, -counts[t], self.precedence.get(t, 0), t))

    def entity_roles(self) -> set[tuple[int, str]]:
        """The (entity, role) pairs of the claims' entities (outlets left out)."""
        return self.roles[self.group]

    def best_evidence(self) -> list[SourceEvidence]:
        """The best evidence of each source that supports the event, by source key."""
        return [self.evidence[key][2] for key in sorted(self.evidence)]

    def mentions(self) -> int:
        """Independent reporting articles (copies count with their original)."""
        return len(self.originals)

    def recap_only(self) -> bool:
        """Whether every report recalls the fact as an earlier one: background, never news."""
        return bool(self.ordered) and all(r.recap for r in self.ordered)

    def highest_authority(self) -> float:
        return self.authority if self.authority is not None else 0.0

    def entity_ids(self) -> set[int]:
        """The entities of entity_roles()."""
        return self.role_ids[self.group]

    def match_ids(self) -> set[int]:
        """The entities the claims are matched on."""
        return self.match[self.group]

    def supersedable(self, current: dict[str, Any], superseding: dict[str, Any] | None) -> bool:
        """Whether the event stands superseded: another event replaced it and its own reports
        still make it a rumor. A rumor that later reports confirm is no longer superseded, so the
        status follows the reports, not the moment a merge happened to look (merge size and
        arrival order give the same events)."""
        return (superseding is not None and superseding["id"] != current["id"]
                and self.replay.status == "rumored")

    def matching_fields(self, current: dict[str, Any], superseding: dict[str, Any] | None) -> dict[str, Any]:
        """The fields of fields() that matching reads and that keys are made from (cheaper)."""
        lead = self.leads[self.group][1]  # type: ignore[index]
        best = self.dated[self.group]
        date = event_date(best[1] if best else None, self.first_day[self.group])
        superseded = self.supersedable(current, superseding)
        return {
            "type": self.event_type(current),
            "article_id": lead.article_id,
            "date": date.date,
            "date_mod": date.mod,
            "date_source": date.source,
            "sentence": lead.sentence,
            "status": "superseded" if superseded else self.replay.status or "reported",
            "superseded_by": superseding["id"] if superseded else None,  # type: ignore[index]
            "known_at": self.ordered[0].known_at,
        }

    def fields(self, current: dict[str, Any], superseding: dict[str, Any] | None
               ) -> tuple[dict[str, Any], list[StatusChange]]:
        """The event's fields and status history (the fold must hold at least one report).

        `superseding` is the row of the event that supersedes this one (current["superseded_by"]),
        or None when there is none (or it is gone).
        """
        group = self.group
        lead = self.leads[group][1]  # type: ignore[index]
        best = self.dated[group]
        dated = best[1] if best else None
        date = event_date(dated, self.first_day[group])
        span = date.span
        first = self.ordered[0]
        changes = list(self.replay.changes)
        if dated is not None:
            claims = [r for r in self.ordered if not r.denial] if group == CLAIMS else self.ordered
            changes = with_date_conflicts(claims, dated, self.tolerance, self.replay)
        superseded_by = None
        if self.supersedable(current, superseding):
            superseded_by = superseding["id"]
            changes.append((superseding["known_at"] or "", changes[-1][2] if changes else None, "superseded",
                            f"superseded by event {superseding['id']}", superseding["article_id"]))
        status = changes[-1][2] if changes else "reported"
        fields = {
            "type": self.event_type(current),
            "article_id": lead.article_id,
            "date": date.date,
            "date_mod": date.mod,
            "date_text": date.text,
            "date_source": date.source,
            "date_precision": span.precision if span else None,
            "date_start": span.start.isoformat() if span else None,
            "date_end": span.end.isoformat() if span else None,
            "sort_date": span.start.isoformat() if span else (first.known_at or "")[:10] or None,
            "sentence": lead.sentence,
            "start": lead.start,
            "end": lead.end,
            "hedged": int(self.supporting > 0 and self.supporting_hedged == self.supporting),
            "negated": int(self.negated == len(self.ordered)),
            "attributed_to": lead.attributed_to,
            "status": status,
            "superseded_by": superseded_by,
            "summary": summarize(lead.sentence),
            "mentions": len(self.originals),
            "sources": len(self.source_keys),
            "first_reported_at": first.known_at,
            "first_reported_by": first.source.source_id,
            "known_at": first.known_at,
            "updated_at": self.updated_at or None,
        }
        return fields, changes


RUMOR_KEY = "rumor:"  # key type prefix of rumored events, which later events may supersede


def keys_for(event_type: str, status: str, date: str | None, date_mod: str | None, known_at: str | None,
             entity_ids: Iterable[int], date_source: str | None = None) -> set[tuple[int, str, str]]:
    """The lookup keys of an event: (entity, type, month) for each month its date covers,
    (entity, type, 'u' + month first known) when undated, (entity, '*', 'k' + that month) for
    denials, and (entity, 'rumor:' + type, 'k' + that month) while rumored, for supersession."""
    buckets = key_buckets(event_type, status, date, date_mod, known_at, date_source)
    return {(e, t, b) for e in sorted(set(entity_ids)) for t, b in buckets}


def key_buckets(event_type: str, status: str, date: str | None, date_mod: str | None,
                known_at: str | None, date_source: str | None = None) -> list[tuple[str, str]]:
    """The (type, bucket) halves of an event's lookup keys (see keys_for). An event dated only by
    the publication date its report fell back to is filed as undated (matching treats it so)."""
    span = matchable_date_span(date, date_mod) if date_source != "published" else None
    known = known_date(known_at)
    buckets: list[tuple[str, str]] = []
    if span is not None:
        buckets = [(event_type, m) for m in months(span.start, span.end)]
    elif known is not None:
        buckets = [(event_type, "u" + months(known, known)[0])]
    if known is not None:
        buckets.append(("*", "k" + months(known, known)[0]))
        if status == "rumored":
            buckets.append((RUMOR_KEY + event_type, "k" + months(known, known)[0]))
    return buckets
