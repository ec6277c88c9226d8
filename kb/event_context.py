"""Article context for events: the lead's date for undated sentences, and who "the company" is."""

from __future__ import annotations

import datetime as dt
import re
from bisect import bisect_right
from dataclasses import dataclass
from typing import Any

from kb.event_lexicon import ContextSettings

DAY_VALUE = re.compile(r"^\d{4}-\d\d-\d\d")
# "REDMOND, Wash. —", "SAN FRANCISCO —", "NEW YORK (Reuters) -": the paragraph a news story opens with.
DATELINE = re.compile(r"^[A-Z][A-Z .,'’]{2,}(?:,\s*[A-Z][\w.]*\.?)*(?:\s+and\s+[A-Z][A-Z .,'’]+)?\s*(?:\([^)]*\)\s*)?[—–-]\s")
YEAR = re.compile(r"\b(?:1[89]|20)\d\d\b|\b\d{4}-\d\d")

# What the date of an undated event may come from (set by kb.events on each event).
OWN = "own"            # a timex of its own sentence
SAME_DAY = "same_day"  # present tense, "now", present perfect: the story's date
INHERIT = "inherit"    # past or future tense without a date: the paragraph's or the lead's date
BLOCKED = "blocked"    # hedged, background ("already", "had"), or a date that is not a point


@dataclass(frozen=True)
class ContextDate:
    """A date that governs other sentences: its value, mod, words and source."""

    value: str
    mod: str | None
    text: str | None
    source: str


def paragraph_starts(text: str) -> list[int]:
    """Character offsets where each line (paragraph) of the text begins."""
    starts = [0]
    pos = text.find("\n")
    while pos != -1:
        starts.append(pos + 1)
        pos = text.find("\n", pos + 1)
    return starts


def paragraph_of(starts: list[int], char: int) -> int:
    """Index of the paragraph holding character `char`."""
    return max(bisect_right(starts, char) - 1, 0)


def lead_paragraphs(text: str, starts: list[int], settings: ContextSettings) -> int:
    """How many paragraphs form the lead: up to the dateline paragraph, or the first few."""
    for index, start in enumerate(starts[: settings.lead_paragraphs]):
        if DATELINE.match(text, start):
            return index + 1
    return min(2, len(starts))


def lead_date(text: str, timexes: list[Any], published: dt.date | None, starts: list[int],
              settings: ContextSettings) -> ContextDate | None:
    """The date of the news the article reports: the first day date of its lead ("on Tuesday",
    a dateline "April 14, 2026") at most `lead_max_days` before publication."""
    if published is None:
        return None
    count = lead_paragraphs(text, starts, settings)
    lead_end = starts[count] if count < len(starts) else len(text)
    for tx in timexes:
        if tx.start >= lead_end:
            break
        if tx.type not in ("DATE", "TIME") or not tx.value or not DAY_VALUE.match(tx.value):
            continue
        try:
            day = dt.date.fromisoformat(tx.value[:10])
        except ValueError:
            continue
        if 0 <= (published - day).days <= settings.lead_max_days:
            source = "explicit" if YEAR.search(tx.text) else "relative"
            return ContextDate(tx.value[:10], tx.mod, tx.text, source)
    return None


def apply_context_dates(events: list[dict], classes: list[str], lead: ContextDate | None,
                        published: dt.date | None, starts: list[int], bonus: float = 0.0) -> None:
    """Date the events that have no date of their own from their context (in place).

    A present-tense report ("is now available", "has hired") takes the date of the news the
    lead reports, else the publication date. A past or future sentence without a date takes the
    date of the nearest earlier dated event of its paragraph, else the lead's date."""
    last_own: dict[int, dict] = {}
    for event, kind in zip(events, classes, strict=True):
        paragraph = paragraph_of(starts, event["start"])
        if kind == OWN and event["date"]:
            last_own[paragraph] = event
            continue
        if event["date"] and event["date_source"] != "published":
            continue
        source: ContextDate | None = None
        if kind == SAME_DAY:
            source = lead
        elif kind == INHERIT:
            earlier = last_own.get(paragraph)
            if earlier is not None:
                source = ContextDate(earlier["date"], earlier["date_mod"], earlier["date_text"],
                                     earlier["date_source"])
            else:
                source = lead
        if source is None:
            continue
        if kind == SAME_DAY and published is not None and source.value == published.isoformat():
            continue  # already dated by publication
        if event["date"] is None:
            event["confidence"] = round(min(0.99, event["confidence"] + bonus), 3)
        event["date"], event["date_mod"] = source.value, source.mod
        event["date_text"], event["date_source"] = source.text, source.source
