"""Article context for events: the lead's date for undated sentences, and who "the company" is."""

from __future__ import annotations

import datetime as dt
import re
from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from kb.dates.spans import date_span
from kb.nlp.events.lexicon import ContextSettings

DAY_VALUE = re.compile(r"^\d{4}-\d\d-\d\d")
# "REDMOND, Wash. —", "SAN FRANCISCO —", "NEW YORK (Reuters) -": the paragraph a news story opens with.
DATELINE = re.compile(
    r"^[A-Z][A-Z .,'’]{2,}(?:,\s*[A-Z][\w.]*\.?)*(?:\s+and\s+[A-Z][A-Z .,'’]+)?"
    r"\s*(?:\([^)]*\)\s*)?[—–-]\s"
)
YEAR = re.compile(r"\b(?:1[89]|20)\d\d\b|\b\d{4}-\d\d")
# What may come before a date that opens a paragraph: a list dash, a preposition.
SCOPE_OPENER = re.compile(r"[\W_]*(?:(?:on|in|at|by|as of|during|early|late|earlier|later)\s+)?",
                          re.IGNORECASE)
HEADING_WORDS = 12
SENTENCE_END = re.compile(r"[.!?:;\"”’')\]…]$")

# What the date of an undated event may come from (set by kb.nlp.events.extractor on each event).
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


def is_heading(text: str, starts: list[int], index: int) -> bool:
    """Whether paragraph `index` is a heading: a short line that ends no sentence ("Why this
    matters")."""
    end = starts[index + 1] if index + 1 < len(starts) else len(text)
    line = text[starts[index] : end].strip()
    return bool(line) and not SENTENCE_END.search(line) and len(line.split()) <= HEADING_WORDS


def lead_paragraphs(text: str, starts: list[int], settings: ContextSettings) -> int:
    """How many paragraphs form the lead: up to the dateline paragraph, or the first two
    paragraphs of prose (a heading between them does not count)."""
    for index, start in enumerate(starts[: settings.lead_paragraphs]):
        if DATELINE.match(text, start):
            return index + 1
    prose = 0
    for index in range(min(settings.lead_paragraphs, len(starts))):
        prose += not is_heading(text, starts, index)
        if prose == 2:
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


def paragraph_scopes(text: str, timexes: list[Any], starts: list[int]) -> dict[int, ContextDate]:
    """The dates that open a paragraph ("On March 3, 2026 Acme said ...", "In 2019, ...", a
    list item "- On May 4, the board ..."): they scope the paragraph's sentences."""
    scopes: dict[int, ContextDate] = {}
    for tx in timexes:
        paragraph = paragraph_of(starts, tx.start)
        if paragraph in scopes or tx.type not in ("DATE", "TIME") or not tx.value[:1].isdigit():
            continue
        possessive = text.startswith(("'s", "’s"), tx.end)  # "Monday's vote" names a thing
        if not possessive and SCOPE_OPENER.fullmatch(text, starts[paragraph], tx.start):
            source = "explicit" if YEAR.search(tx.text) else "relative"
            scopes[paragraph] = ContextDate(tx.value.split("T")[0], tx.mod, tx.text, source)
    return scopes


def date_from_context(text: str, timexes: list[Any], events: list[dict], classes: list[str],
                      published: dt.date | None, starts: list[int], settings: ContextSettings,
                      bonus: float = 0.0) -> None:
    """Date the events without a date of their own from the lead, their paragraph's opening
    date and the dated events before them (in place; apply_context_dates)."""
    lead = lead_date(text, timexes, published, starts, settings)
    scopes = paragraph_scopes(text, timexes, starts)
    if published is not None:
        # A present-tense report takes a paragraph's date only when it is the news of the days
        # before publication, as the lead's date ("It is the largest investor" after "In 2019, ...").
        recent = {p: c for p, c in scopes.items() if DAY_VALUE.match(c.value)
                  and 0 <= (published - dt.date.fromisoformat(c.value[:10])).days <= settings.lead_max_days}
    else:
        recent = {}
    apply_context_dates(events, classes, lead, published, starts, bonus, settings.news_paragraphs,
                        scopes, recent)
    if published is not None:
        narrow_weeks(events, published)


def narrow_weeks(events: list[dict], published: dt.date) -> None:
    """An event dated by the week of publication ("Acme and Zeta unveiled a joint venture this
    week") takes the day the article gives inside that week, up to publication, to another event
    naming one of its entities ("Zeta's chief spoke at the launch on Tuesday"), in place. An
    earlier week ("last week") is left as told."""
    days = [e for e in events if e["date"] and DAY_VALUE.match(e["date"]) and e["date_text"]
            and e["date_source"] in ("explicit", "relative")]
    for event in events:
        span = date_span(event["date"]) if event["date"] and "-W" in event["date"] else None
        if span is None or not span.start <= published <= span.end:
            continue
        names = set(event["entities"])
        for other in days:
            day = dt.date.fromisoformat(other["date"][:10])
            if span.start <= day <= published and names & set(other["entities"]):
                event["date"], event["date_mod"] = other["date"][:10], other["date_mod"]
                event["date_text"], event["date_source"] = other["date_text"], other["date_source"]
                break


def apply_context_dates(events: list[dict], classes: list[str], lead: ContextDate | None,
                        published: dt.date | None, starts: list[int], bonus: float = 0.0,
                        news_paragraphs: int = 0, scopes: dict[int, ContextDate] | None = None,
                        recent_scopes: dict[int, ContextDate] | None = None) -> None:
    """Date the events that have no date of their own from their context (in place).

    A present-tense report ("is now available", "has hired") takes the date that opens its
    paragraph when that is a day of the week before publication, else the date of the news the
    lead reports, else the publication date. A past or future sentence without a date takes the
    date of the nearest earlier dated event of its paragraph, else the date that opens its
    paragraph, else the lead's date."""
    scopes, recent_scopes = scopes or {}, recent_scopes or {}
    last_own: dict[int, dict] = {}
    # An undated, unhedged report in the first paragraphs of a dated article (where news is told)
    # is news of the day it was reported; recaps without a date of their own made no event.
    reported_day = ContextDate(published.isoformat(), None, None, "published") if published else None
    for event, kind in zip(events, classes, strict=True):
        paragraph = paragraph_of(starts, event["start"])
        if kind == OWN and event["date"]:
            last_own[paragraph] = event
            continue
        if event["date"] and event["date_source"] != "published":
            continue
        source: ContextDate | None = None
        if kind == SAME_DAY:
            own_words = event["date_text"] is not None  # "today", "now"
            source = lead if own_words else recent_scopes.get(paragraph, lead)
        elif kind == INHERIT:
            earlier = last_own.get(paragraph)
            if earlier is not None:
                source = ContextDate(earlier["date"], earlier["date_mod"], earlier["date_text"],
                                     earlier["date_source"])
                # What followed a recalled fact is recalled too ("On March 3, Anthropic unveiled a
                # coding model ... Amazon joined it on stage to announce ...").
                event["recap"] = event["recap"] or earlier["recap"]
            elif paragraph in scopes:
                source = scopes[paragraph]
                # A paragraph opened by an older date tells an earlier fact ("In July 2019, ...").
                event["recap"] = event["recap"] or paragraph not in recent_scopes
            elif lead is not None:
                source = lead
            elif not event["hedged"] and paragraph < news_paragraphs:
                source = reported_day
        if source is None:
            continue
        if kind == SAME_DAY and published is not None and source.value == published.isoformat():
            continue  # already dated by publication
        if event["date"] is None:
            event["confidence"] = round(min(0.99, event["confidence"] + bonus), 3)
        event["date"], event["date_mod"] = source.value, source.mod
        event["date_text"], event["date_source"] = source.text, source.source


@dataclass(frozen=True)
class Antecedent:
    """An entity an anaphor can stand for."""

    start: int
    label: str
    name: str
    known: bool


class EntityContext:
    """Who "the company", "the companies", "it" and "he" are: recent and lead entities.
    The entities are read on the first question, as most articles never ask."""

    def __init__(self, read_mentions: Callable[[], list[Antecedent]], lead_end: int):
        self.read_mentions = read_mentions
        self.lead_end = lead_end
        self.mentions: list[Antecedent] | None = None
        self.starts: list[int] = []
        self.main_orgs: list[Antecedent] = []

    def load(self) -> list[Antecedent]:
        """Read the entities and rank the article's main organisations (named in the lead
        first, then by how often named)."""
        if self.mentions is not None:
            return self.mentions
        self.mentions = sorted(self.read_mentions(), key=lambda m: m.start)
        self.starts = [m.start for m in self.mentions]
        counts: dict[str, int] = {}
        first: dict[str, Antecedent] = {}
        for m in self.mentions:
            if m.label == "ORG":
                counts[m.name] = counts.get(m.name, 0) + 1
                first.setdefault(m.name, m)
        ranked = sorted(counts, key=lambda n: (first[n].start >= self.lead_end, -counts[n], first[n].start))
        self.main_orgs = [first[n] for n in ranked]
        return self.mentions

    def recent(self, label: str, before: int, floor: int) -> Antecedent | None:
        """The last entity of `label` named between `floor` and `before`."""
        mentions = self.load()
        index = bisect_right(self.starts, before) - 1
        while index >= 0 and mentions[index].start >= floor:
            if mentions[index].label == label and mentions[index].start < before:
                return mentions[index]
            index -= 1
        return None

    def resolve(self, kind: str, before: int, floor: int) -> list[Antecedent]:
        """The entities an anaphor of `kind` ("org", "orgs", "person") refers to."""
        self.load()
        if kind == "orgs":
            return self.main_orgs[:2] if len(self.main_orgs) >= 2 else []
        label = "PERSON" if kind == "person" else "ORG"
        found = self.recent(label, before, floor)
        if found is None and kind == "org" and self.main_orgs:
            found = self.main_orgs[0]
        return [found] if found is not None else []


def find_anaphor(text: str, start: int, end: int, settings: ContextSettings) -> tuple[int, int, str] | None:
    """The last anaphor ("the company", "the two companies", "he") in text[start:end]."""
    if settings.anaphors is None:
        return None
    found = None
    for m in settings.anaphors.finditer(text, start, end):
        found = m
    if found is None:
        return None
    return found.start(), found.end(), settings.anaphor_kinds[" ".join(found.group(0).lower().split())]
