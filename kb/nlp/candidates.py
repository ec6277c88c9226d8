"""Names the gazetteer does not know yet: the `kb_candidates` spaCy component.

Candidates come from job titles ("chief revenue officer Jane Doe", "Jane Doe, the chief
executive of Acme"), speech ("Jane Doe said"), honorifics ("Ms. Doe"), organisation cues
("AI startup Acme"), company suffixes and other capitalised multi-word names. They go into
doc.ents with a guessed label, an empty kb_id and `span._.candidate = True`, never over an
existing entity or time expression, never a month, weekday or capitalised common word.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from spacy.lang.en.stop_words import STOP_WORDS
from spacy.language import Language
from spacy.tokens import Doc

from kb.core.config import data_file, read_toml
from kb.core.errors import ConfigError
from kb.nlp.doc_text import doc_text
from kb.nlp.ent_spans import Occupied, add_ents, char_span, occupied_by_ents_and_timexes

CANDIDATES_FILE = "candidates.toml"
DEFAULT_CANDIDATES = data_file(CANDIDATES_FILE)

_UPPER = "A-ZÀ-ÖØ-Þ"
_WORD = rf"[{_UPPER}](?:[^\W\d_]|['’\-](?=[^\W\d_]))+"
_PERSON_WORD = re.compile(rf"{_WORD}|[A-Z]\.")
# A capitalised word in a name: "Acme", "U.S.", "MAI-Image-3", "H100", "xAI". The look-behind
# sits after the first character so the regex engine can skip to capitals quickly.
_CAPWORD = rf"(?:[{_UPPER}](?<![\w\-].)[\w'’&.\-]*|[a-z]{{1,2}}(?<![\w\-].)[A-Z][\w.\-]*)"
_CONNECTORS = {"of", "&", "de", "du", "van", "von", "der", "la", "le", "al"}
_SEQUENCE = re.compile(
    rf"{_CAPWORD}(?:(?:[ \u00a0]+(?:{'|'.join(sorted(_CONNECTORS))}))?[ \u00a0]+{_CAPWORD})*"
)
_SPACE = r"[ \u00a0]+"
_SENTENCE_END = ".!?:;\n"
_OPENERS = " \t\"'“‘([—–-•*"
_LOWER_WORDS = re.compile(r"(?<![\w'’])[a-z][a-z'’\-]*")
# A single hyphenated word with a digit looks like a model name: "MAI-Voice-2", "GPT-6".
_MODEL_NAME = re.compile(r"[A-Z][A-Za-z]*(?:-[A-Za-z0-9.]+)*-[A-Za-z.]*\d[\w.]*(?:-[\w.]+)*")
_POSSESSIVE = re.compile(r"['’]s$|['’]$")
_INITIALS = re.compile(r"(?:[A-Z]\.)+")
_NON_SPACE = re.compile(r"\S+")

Word = tuple[int, int, str]  # start, end (without possessive or full stop), bare text


@dataclass
class Candidate:
    """A proposed name: character range, guessed label and the rule that found it."""

    start: int
    end: int
    label: str
    rule: str


def _words_alternation(words: list[str]) -> str:
    ordered = sorted(set(words), key=lambda w: (-len(w), w))
    return "|".join(re.escape(w).replace(r"\ ", _SPACE) for w in ordered)


class CandidateFinder:
    """Compiled rules from data/candidates.toml.

    One scan finds runs of capitalised words; each run is split at known entities, dates,
    title words and sentence ends, trimmed of common words, and labelled from the words
    around it (a title before, ", the chief executive" after, "said", "Ms.", "startup").
    """

    def __init__(self, vocab: dict[str, Any], source: str = CANDIDATES_FILE):
        try:
            titles = _words_alternation(vocab["titles"])
            verbs = _words_alternation(vocab["speech_verbs"])
            honorifics = _words_alternation(vocab["honorifics"])
            cues = _words_alternation(vocab["org_cue_words"])
            self.title_words = {w.lower() for w in vocab["title_words"]}
            self.speech_verbs = {w.lower() for w in vocab["speech_verbs"]}
            self.suffixes = set(vocab["company_suffixes"])
            self.org_words = set(vocab["org_words"])
            self.dates = {w.lower() for w in [*vocab["months"], *vocab["weekdays"]]}
            self.common = {w.lower() for w in vocab["common_words"]} | set(STOP_WORDS)
            self.first_names = set(vocab["first_names"])
        except (KeyError, TypeError, AttributeError) as exc:
            raise ConfigError(f"{source}: missing or invalid entry: {exc}") from exc
        sp = _SPACE
        # Context patterns, searched in a short window before or matched right after a name.
        self.title_before = re.compile(
            rf"(?<![\w-])(?i:{titles})(?:{sp}(?:of|at|for){sp}[\w&.’'-]+(?:{sp}[{_UPPER}][\w&.-]*){{0,2}})?"
            rf",?{sp}\Z"
        )
        self.appositive_after = re.compile(
            rf",{sp}(?:(?:the|a|an|its|their|his|her){sp})?(?:[\w’'.-]+{sp}){{0,3}}?(?i:{titles})(?![\w-])"
        )
        self.honorific_before = re.compile(rf"(?<![\w-])(?:{honorifics}){sp}\Z")
        self.speech_after = re.compile(rf"{sp}(?i:{verbs})\b")
        self.speech_before = re.compile(rf"(?<![\w-])(?i:said|says){sp}\Z")
        self.cue_before = re.compile(rf"(?<![\w-])(?i:{cues}){sp}\Z")

    def find(self, text: str, occupied: Occupied) -> list[Candidate]:
        """Candidates that do not overlap `occupied` (which grows as they are found).

        A name labelled from its context keeps that label wherever else it appears in the
        text, so one text never gives one name two labels.
        """
        state = _TextState(text)
        found: list[Candidate] = []
        for run in _SEQUENCE.finditer(text):
            for piece in self._pieces(state, run.start(), run.end(), occupied):
                for part in self._split_person_of(state, piece):
                    words = self._trimmed(state, part)
                    candidate = self._classify(state, words) if words else None
                    if candidate is not None and not occupied.overlaps(candidate.start, candidate.end):
                        occupied.add(candidate.start, candidate.end)
                        found.append(candidate)
        labels: dict[str, str] = {}
        for cand in found:
            if cand.rule != "capitalised":
                labels.setdefault(text[cand.start:cand.end], cand.label)
        for cand in found:
            cand.label = labels.setdefault(text[cand.start:cand.end], cand.label)
        return found

    def _pieces(self, state: _TextState, start: int, end: int, occupied: Occupied) -> Iterator[list[Word]]:
        """Split a capitalised run at taken ranges, dates, title words and sentence ends."""
        piece: list[Word] = []
        for m in _NON_SPACE.finditer(state.text, start, end):
            raw = m.group()
            bare = _POSSESSIVE.sub("", raw) if "'" in raw or "’" in raw else raw
            if bare.endswith(".") and not (bare in self.suffixes or _INITIALS.fullmatch(bare)):
                bare = bare.rstrip(".")
            ws = m.start()
            low = bare.lower()
            if (not bare or low in self.dates or low in self.title_words
                    or occupied.overlaps(ws, ws + len(raw))):
                if piece:
                    yield piece
                piece = []
                continue
            piece.append((ws, ws + len(bare), bare))
            if bare != raw and raw.endswith(".") and not _POSSESSIVE.search(raw):
                yield piece  # a full stop that is not part of "Inc." or "U.S." ends the sentence
                piece = []
        if piece:
            yield piece

    def _split_person_of(self, state: _TextState, words: list[Word]) -> list[list[Word]]:
        """Split "Jane Doe of Acme Labs" into the person and the organisation."""
        for i, (_, _, w) in enumerate(words):
            if w != "of" or not 2 <= i <= 3:
                continue
            head = words[:i]
            if all(_PERSON_WORD.fullmatch(x) for _, _, x in head) and (
                head[0][2] in self.first_names
                or self.title_before.search(state.text, max(0, head[0][0] - 90), head[0][0])
                or self.speech_before.search(state.text, max(0, head[0][0] - 8), head[0][0])
            ):
                return [head, words[i + 1:]]
        return [words]

    def _trimmed(self, state: _TextState, words: list[Word]) -> list[Word] | None:
        """Drop common, title and connector words from the edges; None if only those remain."""
        while words and self._droppable_start(state, *words[0]):
            words = words[1:]
        while words and self._droppable_end(words[-1][2]):
            words = words[:-1]
        if not words or all(self._is_generic(w) for _, _, w in words if w.lower() not in _CONNECTORS):
            return None
        return words

    def _classify(self, state: _TextState, words: list[Word]) -> Candidate | None:
        """Label a trimmed piece from its shape and the words around it; None to drop it."""
        text = state.text
        start, end = words[0][0], words[-1][1]
        name = text[start:end]
        named = [w for _, _, w in words if w.lower() not in _CONNECTORS]
        person_shape = (
            len(named) == len(words) and not name.isupper()
            and all(_PERSON_WORD.fullmatch(w) for w in named)
        )
        if person_shape and len(named) <= 2 and self.honorific_before.search(text, max(0, start - 6), start):
            return Candidate(start, end, "PERSON", "honorific")
        if len(named) <= 3 and self.cue_before.search(text, max(0, start - 24), start):
            label = "PRODUCT" if len(named) == 1 and _MODEL_NAME.fullmatch(name) else "ORG"
            return Candidate(start, end, label, "org_cue")
        if len(named) == 1:
            if _MODEL_NAME.fullmatch(name):
                return Candidate(start, end, "PRODUCT", "model_name")
            return None
        if person_shape and len(named) <= 3 and not self._org_like(named):
            if (self.title_before.search(text, max(0, start - 90), start)
                    or self.appositive_after.match(text, end)):
                return Candidate(start, end, "PERSON", "title")
            if (self.speech_after.match(text, end)
                    or self.speech_before.search(text, max(0, start - 8), start)):
                return Candidate(start, end, "PERSON", "speech")
        if name.isupper() and state.line_start(start):
            return Candidate(start, end, "GPE", "dateline")  # "SAN FRANCISCO —"
        if state.in_headline(start):
            return None
        return Candidate(start, end, self.guess_label(name), "capitalised")

    def _org_like(self, named: list[str]) -> bool:
        return named[-1] in self.suffixes or any(w in self.org_words for w in named)

    def _is_generic(self, word: str) -> bool:
        low = word.lower()
        return low in self.common or low in self.title_words or low in self.dates

    def _droppable_start(self, state: _TextState, start: int, end: int, word: str) -> bool:
        low = word.lower()
        if low in _CONNECTORS or self._is_generic(word) or not word[:1].isalpha():
            return True
        # A capitalised first word of a sentence that the text also uses in lower case.
        return word[:1].isupper() and state.sentence_initial(start) and low in state.lower_words

    def _droppable_end(self, word: str) -> bool:
        low = word.lower()
        if word in self.suffixes:
            return False
        return low in _CONNECTORS or low in STOP_WORDS or low in self.speech_verbs or low in self.dates

    def guess_label(self, name: str) -> str:
        """ORG for company suffixes and org words, PRODUCT with digits, PERSON for two or
        three plain words starting with a first name, else ORG."""
        words = [_POSSESSIVE.sub("", w) for w in name.split()]
        if self._org_like(words):
            return "ORG"
        if any(ch.isdigit() for ch in name):
            return "PRODUCT"
        if (2 <= len(words) <= 3 and words[0] in self.first_names
                and all(_PERSON_WORD.fullmatch(w) for w in words)):
            return "PERSON"
        return "ORG"


class _TextState:
    """Lazily computed facts about a text: lower-case vocabulary, headline lines."""

    def __init__(self, text: str):
        self.text = text
        self._lower: set[str] | None = None
        self._headline: dict[int, bool] = {}

    @property
    def lower_words(self) -> set[str]:
        if self._lower is None:
            self._lower = set(_LOWER_WORDS.findall(self.text))
        return self._lower

    def line_start(self, pos: int) -> bool:
        """True if only spaces stand between pos and the start of its line."""
        return self.text[self.text.rfind("\n", 0, pos) + 1: pos].strip() == ""

    def sentence_initial(self, pos: int) -> bool:
        """True if only openers (quotes, brackets, dashes) stand between pos and a sentence end."""
        i = pos - 1
        while i >= 0 and self.text[i] in _OPENERS:
            i -= 1
        return i < 0 or self.text[i] in _SENTENCE_END

    def in_headline(self, pos: int) -> bool:
        """True if pos lies on a short line written in title case (a headline)."""
        line_start = self.text.rfind("\n", 0, pos) + 1
        if line_start not in self._headline:
            line_end = self.text.find("\n", pos)
            line = self.text[line_start: line_end if line_end >= 0 else len(self.text)]
            words = [w for w in re.findall(r"[^\W\d_][\w'’\-]*", line) if w.lower() not in STOP_WORDS]
            capitalised = sum(1 for w in words if w[0].isupper())
            # Headlines are short, mostly capitalised and, unlike sentences, lack a final stop.
            self._headline[line_start] = (
                len(line) <= 160 and len(words) >= 4 and capitalised >= 0.75 * len(words)
                and not line.rstrip().endswith((".", "!", "?", ":", ";", '"', "”"))
            )
        return self._headline[line_start]


def load_candidate_finder(path: str | Path | None = None) -> CandidateFinder:
    """Read data/candidates.toml (or `path`) and compile it."""
    path = Path(path) if path else DEFAULT_CANDIDATES
    return CandidateFinder(read_toml(path), str(path))


@Language.factory("kb_candidates", default_config={"path": None})
def make_candidates(nlp: Language, name: str, *, path: str | None) -> CandidatesComponent:
    """Factory for the `kb_candidates` component."""
    return CandidatesComponent(nlp, name, path=path)


class CandidatesComponent:
    """Adds candidate names to doc.ents with `span._.candidate = True`."""

    def __init__(self, nlp: Language, name: str = "kb_candidates", *, path: str | None = None):
        self.name = name
        self.path = path
        self.finder: CandidateFinder | None = None

    def initialize(self, get_examples=None, *, nlp: Language | None = None,
                   path: str | Path | None = None) -> None:
        """Load the vocabulary file."""
        self.finder = load_candidate_finder(path or self.path)

    def __call__(self, doc: Doc) -> Doc:
        if self.finder is None:
            self.initialize()
        assert self.finder is not None
        spans = []
        for found in self.finder.find(doc_text(doc), occupied_by_ents_and_timexes(doc)):
            # Strict alignment: a guess that cuts through a token ("/Newsroom") is dropped.
            span = char_span(doc, found.start, found.end, found.label, expand=False)
            if span is not None:
                span._.candidate = True
                spans.append(span)
        add_ents(doc, spans)
        return doc
