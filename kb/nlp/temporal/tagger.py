"""The `kb_timex` spaCy component: TIMEX3 expressions tagged by the rules of kb.nlp.temporal."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from spacy.language import Language
from spacy.tokens import Doc, Span

from kb.dates.timex import parse_iso_date
from kb.nlp.doc_text import doc_text
from kb.nlp.temporal.rules import find_timexes


@dataclass(frozen=True)
class Timex:
    """One temporal expression: character offsets into the text, TIMEX3 type, value and mod."""

    start: int
    end: int
    text: str
    type: str
    value: str | None
    mod: str | None = None


def tag_timexes(text: str, published: dt.date | dt.datetime | None) -> list[Timex]:
    """Find the temporal expressions in `text`, resolving relative ones against `published`."""
    if isinstance(published, dt.datetime):
        published = published.date()
    return [Timex(*found) for found in find_timexes(text, published)]


# --- spaCy component ------------------------------------------------------------------

if not Doc.has_extension("published"):
    Doc.set_extension("published", default=None)
if not Doc.has_extension("timexes"):
    Doc.set_extension("timexes", default=None)


class TimexTagger:
    """Sets doc._.timexes (Timex objects) and doc.spans["timex"] from doc._.published."""

    def __init__(self, nlp: Language, name: str = "kb_timex", *, spans_key: str = "timex"):
        self.name = name
        self.spans_key = spans_key

    def __call__(self, doc: Doc) -> Doc:
        published = doc._.published
        if isinstance(published, str):
            published = parse_iso_date(published)
        timexes = tag_timexes(doc_text(doc), published)
        doc._.timexes = timexes
        spans: list[Span] = []
        for timex in timexes:
            span = doc.char_span(timex.start, timex.end, label=timex.type, alignment_mode="expand")
            if span is not None:
                spans.append(span)
        doc.spans[self.spans_key] = spans
        return doc


@Language.factory("kb_timex", default_config={"spans_key": "timex"})
def make_timex_tagger(nlp: Language, name: str, spans_key: str) -> TimexTagger:
    """Build the `kb_timex` component (rule-based; needs no data download)."""
    return TimexTagger(nlp, name, spans_key=spans_key)
