"""What event rules look at in a sentence: triggers, entity mentions, attribution, quotes, words."""

from __future__ import annotations

import re
from dataclasses import dataclass

from spacy.tokens import Span

from kb.nlp.events.lexicon import EventLexicon, TriggerDef

# Entity labels that are amounts, not participants.
AMOUNT_LABELS = frozenset({"MONEY", "PERCENT", "QUANTITY", "CARDINAL", "ORDINAL", "DATE", "TIME"})
PARTY_LABELS = frozenset({"ORG", "PERSON", "NORP", "GPE"})
WORD = re.compile(r"[\w'’-]+")
WORD_START = re.compile(r"\w+")
PERFECT_AUX = frozenset({"has", "have", "'s"})
DETERMINERS = frozenset({"the", "a", "an", "its", "their", "his", "her", "this", "that", "'s", "’s", "our"})
QUOTE_CHARS = re.compile(r'["“”]')


@dataclass
class Trigger:
    """A trigger found in the text."""

    start: int
    end: int
    text: str
    defn: TriggerDef


@dataclass
class Mention:
    """An entity span of the sentence, reduced to what event logic needs."""

    start: int
    end: int
    text: str
    label: str
    name: str
    known: bool


@dataclass
class Attribution:
    """Who a sentence's claim comes from, and which entities only carry the report."""

    name: str | None
    start: int
    end: int
    media: frozenset[int]


def entity_name(span: Span) -> str:
    """Canonical name of an entity span, or its surface text for unknown names."""
    return span.kb_id_ or span.text


def is_candidate(span: Span) -> bool:
    """Whether the span is an unknown-name candidate rather than a gazetteer entity."""
    if Span.has_extension("candidate") and span._.candidate:
        return True
    return not span.kb_id_


def quoted_spans(text: str) -> list[tuple[int, int]]:
    """Character ranges inside quotation marks; an unclosed quote ends with its paragraph."""
    spans = []
    open_at = None
    for m in QUOTE_CHARS.finditer(text):
        if open_at is not None and "\n" in text[open_at:m.start()]:
            _close_unclosed(text, open_at, spans)
            open_at = None
        char = m.group(0)
        if open_at is None and _closes(text, m.start()):
            # A closing mark with none open ("...did today," said Brockman) lost its opening mark
            # (typed as an apostrophe, or cut off): the quotation ran from its paragraph's start.
            spans.append((text.rfind("\n", 0, m.start()) + 1, m.start()))
        elif open_at is None and char != "”":
            open_at = m.end()
        elif open_at is not None and char != "“":
            spans.append((open_at, m.start()))
            open_at = None
    if open_at is not None:
        _close_unclosed(text, open_at, spans)
    if spans and _covers_all(text, spans):
        return []  # a page that quotes a whole report (a forum post, a digest): no one speaks in it
    return spans


def _closes(text: str, at: int) -> bool:
    """Whether the mark at `at` can only close a quotation: "”", or a straight mark right after
    punctuation that ends a quoted sentence and before a space or the paragraph's end."""
    if text[at] == "”":
        return True
    after = text[at + 1:at + 2]
    return text[at] == '"' and at > 0 and text[at - 1] in ",.!?" and after in ("", " ", "\n")


def _covers_all(text: str, spans: list[tuple[int, int]]) -> bool:
    """Whether the quotations hold every word of the text."""
    inside = sum(len("".join(text[start:end].split())) for start, end in spans)
    return inside == len("".join(QUOTE_CHARS.sub("", text).split()))


def _close_unclosed(text: str, open_at: int, spans: list[tuple[int, int]]) -> None:
    """End a quote left open at its paragraph's end. A mark that opens the paragraph with no
    quote opening the next one (a quotation over paragraphs opens each) is a stray mark or a
    quoted block of reporting, not speech: it quotes nothing."""
    end = text.find("\n", open_at)
    end = len(text) if end == -1 else end
    paragraph_start = text.rfind("\n", 0, open_at) + 1
    opens_paragraph = not text[paragraph_start:open_at - 1].strip()
    next_paragraph = text[end:].lstrip()
    if opens_paragraph and not QUOTE_CHARS.match(next_paragraph):
        return
    spans.append((open_at, end))


def find_triggers(text: str, lexicon: EventLexicon) -> list[Trigger]:
    """Every trigger in the text, sorted by position (plain triggers never overlap)."""
    hits = []
    covered_until = 0
    for word in WORD_START.finditer(text):
        entry = lexicon.dispatch.get(word.group(0).lower())
        if entry is None:
            continue
        pos = word.start()
        if pos and (text[pos - 1].isalnum() or text[pos - 1] in "-_"):
            continue
        plain, gaps = entry
        if plain is not None and pos >= covered_until:
            m = plain.match(text, pos)
            defn = lexicon.lookup(m.group(0)) if m else None
            if defn is not None:
                hits.append(Trigger(m.start(), m.end(), m.group(0), defn))
                covered_until = m.end()
        for pattern, defn in gaps:
            m = pattern.match(text, pos)
            if m:
                hits.append(Trigger(m.start(), m.end(), m.group(0), defn))
    hits.sort(key=lambda t: (t.start, -t.end))
    return hits


def words_before(text: str, end: int, count: int, floor: int) -> list[str]:
    """The last `count` words (lower-case) of text[floor:end]."""
    window = text[max(floor, end - 12 * count) : end]
    return [w.lower() for w in WORD.findall(window)][-count:]
