"""The temporal tagger's word lists, loaded once from data/temporal/vocab.toml."""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import cache

from kb.core.config import data_file, read_toml
from kb.nlp.regex_trie import trie_regex

VOCAB_PATH = data_file("temporal/vocab.toml")


@cache
def vocab() -> dict:
    """The whole vocabulary file as a dict."""
    return read_toml(VOCAB_PATH)


def alternation(words: Iterable[str]) -> str:
    """A regex alternation of `words` preferring the longest, with spaces matching any whitespace.

    Words are factored by common prefixes ("a(?:\\s+few|n)?" rather than "a\\s+few|an|a"):
    the regex engine then tries a few branches per position instead of every word. Words
    that differ only in letter case at a branching point keep the flat, longest-first form,
    whose order matters when matched case-insensitively.
    """
    words = set(words)
    trie: dict = {}
    for word in words:
        node = trie
        for ch in word:
            node = node.setdefault(r"\s+" if ch == " " else re.escape(ch), {})
        node[""] = {}
    if _case_clash(trie):
        ordered = sorted(words, key=lambda w: (-len(w), w))
        return "|".join(re.escape(w).replace(r"\ ", r"\s+") for w in ordered)
    return trie_regex(trie)


def _case_clash(node: dict) -> bool:
    keys = [k.lower() for k in node if k]
    return len(keys) != len(set(keys)) or any(_case_clash(child) for child in node.values())


@cache
def months() -> dict[str, int]:
    return dict(vocab()["months"])


@cache
def ambiguous_months() -> frozenset[str]:
    return _words("ambiguous_months")


@cache
def weekdays() -> dict[str, int]:
    return dict(vocab()["weekdays"])


@cache
def seasons() -> dict[str, str]:
    return dict(vocab()["seasons"])


@cache
def parts_of_day() -> dict[str, str]:
    return dict(vocab()["parts_of_day"])


@cache
def numbers() -> dict[str, str]:
    return dict(vocab()["numbers"])


def number_value(words: str) -> str:
    """The count a number word names ("three" 3, "thirty-five" 35, "a few" X), or the words
    themselves (digits)."""
    words = re.sub(r"\s+", " ", words.lower())
    if re.fullmatch(r"\d{1,3}(?:,\d{3})+", words):  # "2,500"
        return words.replace(",", "")
    tens, _, ones = words.replace("-", " ").partition(" ")
    if ones and tens in year_tens() and ones in year_ones():  # "thirty-five", "twenty four"
        return str(year_tens()[tens] + year_ones()[ones])
    return numbers().get(words, words)


@cache
def ordinals() -> dict[str, int]:
    return dict(vocab()["ordinals"])


@cache
def year_tens() -> dict[str, int]:
    return dict(vocab()["year_tens"])


@cache
def year_ones() -> dict[str, int]:
    return dict(vocab()["year_ones"])


@cache
def units() -> dict[str, str]:
    return dict(vocab()["units"])


@cache
def set_words() -> dict[str, str]:
    return dict(vocab()["set_words"])


@cache
def reference_words() -> dict[str, str]:
    return dict(vocab()["reference_words"])


@cache
def duration_mods() -> dict[str, str]:
    return dict(vocab()["duration_mods"])


@cache
def date_mods() -> dict[str, str]:
    return dict(vocab()["date_mods"])


def _words(key: str) -> frozenset[str]:
    return frozenset(vocab()["words"][key])


@cache
def time_zones() -> frozenset[str]:
    return _words("time_zones")


@cache
def weekday_name_followers() -> frozenset[str]:
    return _words("weekday_name_followers")


@cache
def count_preceders() -> frozenset[str]:
    return frozenset(w.lower() for w in _words("count_preceders"))


@cache
def year_preceders() -> frozenset[str]:
    return _words("year_preceders")


@cache
def month_preceders() -> frozenset[str]:
    return _words("month_preceders")


@cache
def count_nouns_re() -> re.Pattern:
    return re.compile(rf"\s+(?:{alternation(_words('count_nouns'))})\b")


@cache
def future_cues_re() -> re.Pattern:
    # "next to the embassy" is a place, not a time to come
    return re.compile(rf"(?<![\w'])(?:{alternation(_words('future_cues'))})\b(?!\s+to\b)", re.IGNORECASE)


@cache
def past_cues_re() -> re.Pattern:
    return re.compile(rf"\b(?:{alternation(_words('past_cues'))}|[a-z]{{2,}}ed)\b", re.IGNORECASE)


@cache
def past_cue_words() -> frozenset[str]:
    return frozenset(w.lower() for w in _words("past_cues"))


@cache
def not_past_ed() -> frozenset[str]:
    return _words("not_past_ed")


@cache
def duration_adjectives() -> frozenset[str]:
    return _words("duration_adjectives")


FULL_MONTH_NAMES = ("January", "February", "March", "April", "May", "June", "July", "August",
                    "September", "October", "November", "December")


def month_pattern() -> str:
    """A case-sensitive regex group `month`: full names, or abbreviations with an optional dot."""
    full = [m for m in months() if m in FULL_MONTH_NAMES]
    short = [m for m in months() if m not in FULL_MONTH_NAMES]
    return rf"(?-i:(?P<month>(?:{alternation(full)})\b|(?:{alternation(short)})\b\.?))"


@cache
def holidays() -> dict[str, str]:
    return dict(vocab().get("holidays", {}))
