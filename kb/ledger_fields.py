"""An event's fields from its reports: lead report, best date, status replay, lookup keys."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from kb.date_spans import PRECISION_RANK, DateSpan, date_span, more_precise, parse_timestamp
from kb.reports import Report, strip_dateline

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


def lead_report(reports: list[Report]) -> Report:
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


def best_date(reports: list[Report]) -> Report | None:
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


def replay_status(reports: list[Report], weights: dict[str, Any], attribution_kind) -> list[StatusChange]:
    """Replay reports in arrival order; each status change as (at, old, new, reason, article)."""
    cfg = weights["status"]
    needed = int(cfg["confirm_min_sources"])
    min_reliability = float(cfg["confirm_min_reliability"])
    reliable_sources: set[str] = set()
    status: str | None = None
    changes: list[StatusChange] = []
    for r in reports:
        who = r.source.name or f"article {r.article_id}"
        new, reason = status, ""
        if r.denial:
            party = f" by {r.attributed_to}" if r.attributed_to else ""
            new, reason = "denied", f"denied{party} ({who})"
        elif r.negated:
            if status is None:
                new, reason = "reported", f"first reported, in the negative, by {who}"
        elif r.hedged or attribution_kind(r) == "anonymous":
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


def event_fields(current: dict[str, Any], reports: list[Report], superseding: dict[str, Any] | None,
                 weights: dict[str, Any], attribution_kind) -> tuple[dict[str, Any], list[StatusChange]]:
    """An event's fields and status history from its reports (in arrival order).

    `superseding` is the row of the event that supersedes this one (current["superseded_by"]),
    or None when there is none (or it is gone).
    """
    claims = [r for r in reports if not r.denial] or reports
    lead = lead_report(claims)
    dated = best_date(claims)
    span = dated.span if dated else None
    first = reports[0]
    changes = replay_status(reports, weights, attribution_kind)
    superseded_by = None
    if superseding is not None and superseding["id"] != current["id"]:
        superseded_by = superseding["id"]
        changes.append((superseding["known_at"] or "", changes[-1][2] if changes else None, "superseded",
                        f"superseded by event {superseding['id']}", superseding["article_id"]))
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
    return fields, changes


def entity_roles(reports: list[Report], ignored: frozenset[int]) -> set[tuple[int, str]]:
    """The (entity, role) pairs of the reports' entities (outlets left out)."""
    wanted: set[tuple[int, str]] = set()
    for report in reports:
        for entity in report.entities:
            entity_id = entity.get("entity_id")
            if not isinstance(entity_id, int) or entity_id in ignored:
                continue
            role = entity.get("role") if entity.get("role") in ROLES else "participant"
            wanted.add((entity_id, role))
    return wanted


RUMOR_KEY = "rumor:"  # key type prefix of rumored events, which later events may supersede


def event_keys(fields: dict[str, Any], claims: list[Report]) -> set[tuple[int, str, str]]:
    """(entity, type, bucket) keys an event is filed under so later reports find it by index."""
    return keys_for(fields["type"], fields["status"], fields["date"], fields["date_mod"], fields["known_at"],
                    {i for r in claims for i in r.match_ids})


def keys_for(event_type: str, status: str, date: str | None, date_mod: str | None, known_at: str | None,
             entity_ids: Iterable[int]) -> set[tuple[int, str, str]]:
    """The lookup keys of an event: (entity, type, month) for each month its date covers,
    (entity, type, 'u' + month first known) when undated, (entity, '*', 'k' + that month) for
    denials, and (entity, 'rumor:' + type, 'k' + that month) while rumored, for supersession."""
    span = matchable_span(date_span(date, date_mod))
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
    return {(e, t, b) for e in sorted(set(entity_ids)) for t, b in buckets}
