"""Word-overlap similarity of short texts, for matching reports to events and events to stories."""

from __future__ import annotations

import math
import re
from collections import Counter
from functools import lru_cache

from spacy.lang.en.stop_words import STOP_WORDS

_WORD = re.compile(r"[a-z0-9][a-z0-9\-]*[a-z0-9]|[a-z0-9]")


def content_words(text: str | None) -> list[str]:
    """Lower-cased words of a text without stop words and one-letter tokens."""
    if not text:
        return []
    return [w for w in _WORD.findall(text.lower()) if len(w) > 1 and w not in STOP_WORDS]


@lru_cache(maxsize=16384)  # the ledger compares the same event sentences with many reports
def content_word_set(text: str | None) -> frozenset[str]:
    """The distinct content words of a text."""
    return frozenset(content_words(text))


def jaccard(a: set[str] | frozenset[str], b: set[str] | frozenset[str]) -> float:
    """|a and b| / |a or b|, 0 for two empty sets."""
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)


def norm_of(vector: Counter) -> float:
    """The Euclidean length of a word-count vector."""
    return math.sqrt(sum(c * c for c in vector.values()))


def cosine(a: Counter, b: Counter, b_norm: float | None = None) -> float:
    """Cosine similarity of two word-count vectors (`b_norm`: norm_of(b), when known)."""
    if not a or not b:
        return 0.0
    dot = sum(count * b.get(word, 0) for word, count in a.items())
    norm = norm_of(a) * (norm_of(b) if b_norm is None else b_norm)
    return dot / norm if norm else 0.0


def overlap_coefficient(a: frozenset | set, b: frozenset | set) -> float:
    """|a and b| / min(|a|, |b|): 1 when one set contains the other."""
    if not a or not b:
        return 0.0
    return len(a & b) / min(len(a), len(b))
