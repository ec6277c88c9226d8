"""A rule-based sentence splitter that knows news abbreviations ("Wash.", "Inc.", "U.S.", "a.m.")."""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

import numpy
from spacy.attrs import IDX, ORTH, SENT_START, SPACY
from spacy.language import Language
from spacy.tokens import Doc

from kb.core.config import read_nlp_settings
from kb.nlp.doc_text import doc_text

END_PUNCT = frozenset({".", "!", "?", "…", "...", "?!", "!!", "!?"})
CLOSERS = frozenset({'"', "”", "’", "'", ")", "]", "»"})


class SentenceSplitter:
    """Marks sentence starts: after . ! ? (not after abbreviations) and at line breaks."""

    def __init__(
        self,
        *,
        abbreviations: Iterable[str] = (),
        titles: Iterable[str] = (),
        starters: Iterable[str] = (),
    ):
        self.abbreviations = frozenset(a.lower().rstrip(".") for a in abbreviations)
        self.titles = frozenset(t.lower().rstrip(".") for t in titles)
        self.starters = frozenset(s.lower() for s in starters)

    @classmethod
    def from_settings(cls, path: str | Path | None = None) -> SentenceSplitter:
        """Build from the [sentences] table of data/nlp.toml."""
        settings = read_nlp_settings(path).get("sentences", {})
        return cls(
            abbreviations=settings.get("abbreviations", ()),
            titles=settings.get("titles", ()),
            starters=settings.get("starters", ()),
        )

    def _abbreviation(self, word: str) -> str | None:
        """'title', 'abbrev' or None for a word (without its final period)."""
        low = word.lower()
        if low in self.titles:
            return "title"
        if low in self.abbreviations or "." in low or (len(low) == 1 and low.isalpha()):
            return "abbrev"
        return None

    def _ends_sentence(self, tokens: _Tokens, i: int) -> bool:
        """Whether token i closes a sentence, judging by the abbreviation and what follows."""
        text = tokens.text(i)
        if text in END_PUNCT:
            if text != "." or i == 0:
                return True
            kind = self._abbreviation(tokens.text(i - 1)) if not tokens.space_after(i - 1) else None
        elif len(text) > 1 and text.endswith("."):
            kind = self._abbreviation(text[:-1])
            if kind is None:
                return True
        else:
            return False
        if kind is None:
            return True
        if kind == "title":
            return False
        nxt = tokens.skip_spaces(i + 1)
        if nxt >= tokens.n:
            return True
        following = tokens.text(nxt)
        return following[:1].isupper() and following.lower() in self.starters

    def __call__(self, doc: Doc) -> Doc:
        n = len(doc)
        if n == 0:
            return doc
        tokens = _Tokens(doc)
        starts = numpy.full(n, -1, dtype="int64")
        starts[0] = 1
        resume = 0  # tokens before this were passed over after a sentence end
        # Only tokens holding a line break or sentence punctuation can end a sentence.
        for i in tokens.holding(_BREAK_CHARS):
            if i < resume:
                continue
            text = tokens.text(i)
            if text.isspace() and "\n" in text:
                if i + 1 < n and not tokens.text(i + 1).isspace():
                    starts[i + 1] = 1
            elif (text in END_PUNCT or text.endswith(".")) and self._ends_sentence(tokens, i):
                j = i + 1
                while j < n and (tokens.text(j) in CLOSERS or tokens.text(j) in END_PUNCT):
                    j += 1
                j = tokens.skip_spaces(j)
                if tokens.is_citation(j):  # "... on Bedrock. (cnbc.com) In a memo": the source
                    j = tokens.skip_spaces(j + 3)  # of the sentence before, not the next one's start
                if j < n:
                    starts[j] = 1
                resume = j
        # Token.is_sent_start's setter scans the whole doc each time; set them all at once.
        doc.from_array([SENT_START], starts.astype("uint64").reshape(n, 1))
        return doc


_BREAK_CHARS = re.compile(r"[\n.!?…]")
_WEB_ADDRESS = re.compile(r"(?:www\.)?[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,6}", re.IGNORECASE)


class _Tokens:
    """Token texts and spacing read from the doc's arrays (no Token object per token)."""

    def __init__(self, doc: Doc):
        self.n = len(doc)
        self.doc_text = doc_text(doc)
        array = doc.to_array([ORTH, SPACY, IDX])
        self.orth = array[:, 0].tolist()
        self.spacy = array[:, 1].tolist()
        self.idx = array[:, 2]
        self.strings = doc.vocab.strings

    def text(self, i: int) -> str:
        return self.strings[self.orth[i]]

    def space_after(self, i: int) -> bool:
        return bool(self.spacy[i])

    def skip_spaces(self, i: int) -> int:
        """The first token from i on that is not whitespace (n if none)."""
        while i < self.n and self.text(i).isspace():
            i += 1
        return i

    def is_citation(self, i: int) -> bool:
        """Whether tokens i..i+2 are a source cited by its web address: "(cnbc.com)"."""
        return (i + 2 < self.n and self.text(i) == "(" and self.text(i + 2) == ")"
                and _WEB_ADDRESS.fullmatch(self.text(i + 1)) is not None)

    def holding(self, chars: re.Pattern) -> list[int]:
        """Indices, in order, of the tokens containing a character `chars` matches."""
        offsets = [m.start() for m in chars.finditer(self.doc_text)]
        if not offsets:
            return []
        found = numpy.searchsorted(self.idx, offsets, side="right") - 1
        return sorted(set(found.tolist()))


@Language.factory("kb_sentences", default_config={"settings_path": None})
def make_sentence_splitter(nlp: Language, name: str, settings_path: str | None) -> SentenceSplitter:
    """The kb_sentences pipeline component (abbreviation lists from data/nlp.toml)."""
    return SentenceSplitter.from_settings(settings_path)
