"""The storyline's article sentences as the card reads them, and their kinds (background,
implication, legal...) from the cues in data/card_cues.toml.

The card needs every sentence of an article, not only those that made events, and it runs in
the web server, which never loads spaCy: sentences are split here by punctuation, with the
abbreviations of data/nlp.toml, and carry the entities and amounts the analysis stored for
their span (mentions rows, by character offsets).

`context_sentences` is the one place sentences get their kinds: from the cues, and from the
clauses the event extractor stored as stating no fact (table `context_clauses`, kinds in
`CLAUSE_KINDS`): background feeds the strategic context, forward-looking legal clauses and
allegations the legal watch, opinions and plans the competitive implications (where, as for
cue-found sentences, they count only when they name a rival, partner or customer).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from kb.core.config import data_file, read_nlp_settings, read_toml
from kb.core.errors import ConfigError
from kb.ledger.reports import strip_dateline

CUES_PATH = data_file("card_cues.toml")
KINDS = ("background", "implication", "legal", "availability", "terms", "ruling", "next_date")
# A sentence ends at . ! ? (and a closing quote or bracket) followed by space; or at a line break.
_BOUNDARY = re.compile(r"(?<=[.!?])[ \t]+|(?<=[.!?][\"”’')\]])[ \t]+|\s*\n\s*")
_QUOTE = re.compile(r"[\"“]([^\"”]{20,})[\"”]")


@dataclass
class Sentence:
    """One sentence of a storyline article, with what the analysis found in its span."""

    article_id: int
    index: int
    start: int
    end: int
    text: str
    published_at: str | None
    entities: dict[str, str] = field(default_factory=dict)  # name -> entity type
    money: list[str] = field(default_factory=list)  # "$19.50 per million output tokens"
    kinds: frozenset[str] = frozenset()

    @property
    def clean(self) -> str:
        """The sentence without its dateline and with single spaces."""
        return strip_dateline(" ".join(self.text.split()))

    @property
    def quote(self) -> str | None:
        """The quoted words, when the sentence quotes someone at length."""
        match = _QUOTE.search(self.text)
        return match.group(1).strip().rstrip(",") if match else None

    def names(self, *types: str) -> list[str]:
        return [n for n, t in self.entities.items() if not types or t in types]


@lru_cache(maxsize=1)
def _abbreviations() -> frozenset[str]:
    settings = read_nlp_settings().get("sentences", {})
    words = [*settings.get("abbreviations", ()), *settings.get("titles", ())]
    return frozenset(w.lower().rstrip(".") for w in words)


def split_sentences(article_id: int, text: str, published_at: str | None = None) -> list[Sentence]:
    """An article's sentences with their character offsets in its stored text (headings left out)."""
    sentences: list[Sentence] = []
    abbreviations = _abbreviations()
    start = 0
    for match in _BOUNDARY.finditer(text + "\n"):
        piece = text[start : match.start()]
        if "\n" not in match.group(0):
            words = piece.split()
            word = words[-1].rstrip(".").lstrip('"“(').lower() if words else ""
            if word in abbreviations or "." in word or (len(word) == 1 and word.isalpha()):
                continue  # "Wash." or "U.S." does not end a sentence
        lead = len(piece) - len(piece.lstrip())
        body = piece.strip()
        heading = body[-1:] not in ".!?\"”’')" and len(body.split()) < 12
        if body and not body.startswith("#") and not heading:
            sentences.append(
                Sentence(
                    article_id, len(sentences), start + lead, start + lead + len(body), body, published_at
                )
            )
        start = match.end()
    return sentences


@dataclass(frozen=True)
class Cues:
    """Per kind, the lower-case word starts that mark a sentence as of that kind."""

    patterns: dict[str, re.Pattern]

    def kinds_of(self, text: str) -> frozenset[str]:
        return frozenset(kind for kind, pattern in self.patterns.items() if pattern.search(text))


def parse_cues(data: dict[str, Any], source: str) -> Cues:
    patterns = {}
    for kind in KINDS:
        table = data.get(kind, {})
        cues = table.get("cues", []) if isinstance(table, dict) else None
        if not isinstance(cues, list) or not all(isinstance(c, str) and c.strip() for c in cues):
            raise ConfigError(f"{source}: [{kind}] cues must be a list of words")
        if cues:
            alternation = "|".join(re.escape(c.lower()) for c in sorted(cues, key=len, reverse=True))
            patterns[kind] = re.compile(rf"(?:^|(?<=[^\w]))(?:{alternation})", re.IGNORECASE)
    return Cues(patterns)


def load_cues(path: str | Path | None = None) -> Cues:
    path = Path(path) if path else CUES_PATH
    return parse_cues(read_toml(path), str(path))


@lru_cache(maxsize=1)
def default_cues() -> Cues:
    """data/card_cues.toml, read once per process."""
    return load_cues()


# The card's kind of a sentence holding a context clause of each kind (kb/nlp/events/clauses.py);
# questions, conditionals and generic statements feed no section.
CLAUSE_KINDS = {
    "background": "background",
    "legal_forward": "legal",
    "allegation": "legal",
    "opinion": "implication",
    "plan": "implication",
}


def clause_kinds(sentence: Sentence, clauses: list[dict[str, Any]]) -> frozenset[str]:
    """The card kinds of the stored context clauses that start inside the sentence's span."""
    return frozenset(
        CLAUSE_KINDS[c["kind"]]
        for c in clauses
        if c["kind"] in CLAUSE_KINDS and sentence.start <= c["start"] < sentence.end
    )


def context_sentences(
    sentences: list[Sentence], cues: Cues | None = None, clauses: list[dict[str, Any]] | None = None
) -> list[Sentence]:
    """The sentences with their kinds set: those of the cues of data/card_cues.toml and those of
    the stored context clauses (`clauses`: rows of context_clauses with article_id, kind, start)."""
    cues = cues or default_cues()
    by_article: dict[int, list[dict[str, Any]]] = {}
    for clause in clauses or ():
        by_article.setdefault(clause["article_id"], []).append(clause)
    for sentence in sentences:
        sentence.kinds = cues.kinds_of(sentence.text) | clause_kinds(
            sentence, by_article.get(sentence.article_id, [])
        )
    return sentences
