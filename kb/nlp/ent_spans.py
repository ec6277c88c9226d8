"""Span extensions and helpers shared by the entity components: char ranges to doc.ents."""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Iterable

from spacy.tokens import Doc, Span
from spacy.util import filter_spans


def register_extensions() -> None:
    """Register `Span._.candidate` and `Span._.value` once (safe to call repeatedly)."""
    if not Span.has_extension("candidate"):
        Span.set_extension("candidate", default=False)
    if not Span.has_extension("value"):
        Span.set_extension("value", default=None)


register_extensions()


def char_span(doc: Doc, start: int, end: int, label: str, kb_id: str = "", *,
              expand: bool = True) -> Span | None:
    """A span for a character range: exact when tokens align, else (if `expand`) widened to whole tokens."""
    span = doc.char_span(start, end, label=label, kb_id=kb_id)
    if span is None and expand:
        span = doc.char_span(start, end, label=label, kb_id=kb_id, alignment_mode="expand")
    if span is None or len(span) == 0:
        return None
    return span


def timex_ranges(doc: Doc) -> list[tuple[int, int]]:
    """Character ranges of the time expressions found by kb_timex, if it ran."""
    ranges: list[tuple[int, int]] = []
    if "timex" in doc.spans:
        ranges.extend((s.start_char, s.end_char) for s in doc.spans["timex"])
    if Doc.has_extension("timexes"):
        for timex in doc._.timexes or ():
            ranges.append((timex.start, timex.end))
    return ranges


class Occupied:
    """A set of character ranges; answers whether a new range overlaps any of them."""

    def __init__(self, ranges: Iterable[tuple[int, int]] = ()):
        self._ranges: list[tuple[int, int]] = sorted(ranges)
        self._starts: list[int] = []
        self._max_ends: list[int] = []
        self._dirty = True

    def add(self, start: int, end: int) -> None:
        bisect.insort(self._ranges, (start, end))
        self._dirty = True

    def overlaps(self, start: int, end: int) -> bool:
        if self._dirty:
            self._starts = [s for s, _ in self._ranges]
            self._max_ends = list(itertools.accumulate((e for _, e in self._ranges), max))
            self._dirty = False
        # Ranges starting before `end` overlap if the furthest any of them reaches is past `start`.
        i = bisect.bisect_left(self._starts, end)
        return i > 0 and self._max_ends[i - 1] > start


def occupied_by_ents_and_timexes(doc: Doc) -> Occupied:
    """Ranges already taken by entities or time expressions."""
    ranges = [(e.start_char, e.end_char) for e in doc.ents]
    ranges.extend(timex_ranges(doc))
    return Occupied(ranges)


def add_ents(doc: Doc, spans: list[Span], *, overwrite: bool = False) -> None:
    """Add spans to doc.ents; on overlap keep the old ents unless `overwrite`."""
    if not spans:
        return
    spans = filter_spans(spans)
    existing = list(doc.ents)
    if overwrite:
        taken = {i for s in spans for i in range(s.start, s.end)}
        kept = [e for e in existing if not any(i in taken for i in range(e.start, e.end))]
        doc.ents = sorted(kept + spans, key=lambda s: s.start)
        return
    taken = {i for e in existing for i in range(e.start, e.end)}
    new = [s for s in spans if not any(i in taken for i in range(s.start, s.end))]
    if existing and new and doc.has_annotation("ENT_IOB", require_complete=True):
        # Every token already says B, I or O: setting only the new spans gives the same
        # annotation as re-setting all of them, without rebuilding the existing ones.
        doc.set_ents(new, default="unmodified")
        return
    doc.ents = sorted(existing + new, key=lambda s: s.start)
