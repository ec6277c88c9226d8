"""A rule-based sentence splitter that knows news abbreviations ("Wash.", "Inc.", "U.S.", "a.m.")."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import numpy
from spacy.attrs import SENT_START
from spacy.language import Language
from spacy.tokens import Doc

from kb.config import DATA_DIR, read_toml

DEFAULT_SETTINGS = DATA_DIR / "nlp.toml"
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
        settings = read_toml(path or DEFAULT_SETTINGS).get("sentences", {})
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

    def _ends_sentence(self, doc: Doc, i: int) -> bool:
        """Whether token i closes a sentence, judging by the abbreviation and what follows."""
        text = doc[i].text
        if text in END_PUNCT:
            if text != "." or i == 0:
                return True
            kind = self._abbreviation(doc[i - 1].text) if not doc[i - 1].whitespace_ else None
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
        nxt = i + 1
        while nxt < len(doc) and doc[nxt].is_space:
            nxt += 1
        if nxt >= len(doc):
            return True
        following = doc[nxt].text
        return following[:1].isupper() and following.lower() in self.starters

    def __call__(self, doc: Doc) -> Doc:
        n = len(doc)
        if n == 0:
            return doc
        starts = [False] * n
        starts[0] = True
        i = 0
        while i < n:
            token = doc[i]
            if token.is_space and "\n" in token.text:
                if i + 1 < n and not doc[i + 1].is_space:
                    starts[i + 1] = True
            elif (token.text in END_PUNCT or token.text.endswith(".")) and self._ends_sentence(doc, i):
                j = i + 1
                while j < n and (doc[j].text in CLOSERS or doc[j].text in END_PUNCT):
                    j += 1
                while j < n and doc[j].is_space:
                    j += 1
                if j < n:
                    starts[j] = True
                i = j
                continue
            i += 1
        # Token.is_sent_start's setter scans the whole doc each time; set them all at once.
        values = numpy.array([1 if start else -1 for start in starts], dtype="int64").astype("uint64").reshape(n, 1)
        doc.from_array([SENT_START], values)
        return doc


@Language.factory("kb_sentences", default_config={"settings_path": None})
def make_sentence_splitter(nlp: Language, name: str, settings_path: str | None) -> SentenceSplitter:
    """The kb_sentences pipeline component (abbreviation lists from data/nlp.toml)."""
    return SentenceSplitter.from_settings(settings_path)
