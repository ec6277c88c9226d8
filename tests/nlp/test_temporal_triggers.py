"""Tests for the trigger windows of the TIMEX rules: windowed tagging equals a full scan."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import spacy
from hypothesis import given, settings
from hypothesis import strategies as st

from kb.jobs.temporal_eval import load_gold_dir
from kb.nlp.doc_text import doc_text
from kb.nlp.temporal import vocab as V
from kb.nlp.temporal.rules import find_timexes, rules, trigger_index
from kb.nlp.temporal.triggers import TriggerIndex, pattern_reach, trie_pattern

PUBLISHED = dt.date(2026, 4, 15)
SAMPLE_SRC = Path(__file__).resolve().parents[2] / "data" / "sample" / "src"


def same_as_full_scan(text: str, published: dt.date | None = PUBLISHED) -> None:
    assert find_timexes(text, published) == find_timexes(text, published, full_scan=True)


# --- reading a rule's regex ------------------------------------------------------------------


def test_required_strings_of_a_pattern():
    pattern = re.compile(r"\b(?:(?:early|late)\s+)?(?:January|Jan\.?)\s+(?P<d>\d\d?)\b", re.IGNORECASE)
    reach, runs = pattern_reach(pattern)
    assert reach.strings == {"jan"}  # "january" contains "jan": one string suffices
    assert reach.before >= len("early ")
    assert reach.after >= len("uary 31") + 1
    assert runs == {(r"\s",)}


def test_every_rule_is_read():
    # a rule the analysis cannot read scans whole texts: correct, but slow
    assert all(reach is not None for reach in trigger_index().reaches)


def test_a_backreference_cannot_be_read_and_scans_in_full():
    pattern = re.compile(r"\b(\w+)\s+\1\b")
    assert pattern_reach(pattern) is None
    assert TriggerIndex([pattern]).windows("so so it goes") == [None]


def test_trie_pattern_finds_the_longest_string():
    finder = re.compile(trie_pattern(["day", "daylong", "days", "am"]))
    assert [m.group() for m in finder.finditer("a daylong days day am")] == ["daylong", "days", "day", "am"]


def test_windows_cover_only_the_text_near_triggers():
    text = "Filler words here. " * 40 + "It shipped in March 2024. " + "More filler text. " * 40
    index = trigger_index()
    windows = dict(zip((rule.name for rule in rules()), index.windows(text), strict=True))
    (start, end), = windows["month_year"]
    assert start <= text.index("March") and end >= text.index("2024") + 4
    assert end - start < 200
    assert windows["weekday"] == []


# --- windowed tagging equals a full scan -----------------------------------------------------


def test_gold_texts_tag_the_same_as_a_full_scan():
    for doc in load_gold_dir():
        same_as_full_scan(doc.text, doc.published)


def test_sample_corpus_tags_the_same_as_a_full_scan():
    texts = [path.read_text(encoding="utf-8") for path in sorted(SAMPLE_SRC.glob("*/*.md"))]
    assert texts
    for text in texts:
        same_as_full_scan(text)


def test_long_whitespace_runs_widen_the_windows():
    text = "x " * 100 + "Sales peaked in March" + "\n" * 40 + "2024, and again in late" + "\t" * 40 + "June 2025."
    found = find_timexes(text, PUBLISHED)
    assert [t[4] for t in found] == ["2024-03", "2025-06"]
    same_as_full_scan(text)


def test_long_digit_runs_widen_the_windows():
    same_as_full_scan("Order 12345678901234567890 times a day was the claim, 3.14159265358979 years on.")


def test_letters_that_fold_oddly_scan_in_full():
    # re.IGNORECASE equates the long s with "s": "ſeconds" is the unit "seconds"
    text = "It took ten ſeconds, then two ſeconds more."
    assert all(w is None for w in trigger_index().windows(text))
    same_as_full_scan(text)


WORDS = sorted({
    *V.months(), *V.weekdays(), *V.seasons(), *V.numbers(), *V.units(), *V.set_words(),
    *V.reference_words(), *V.duration_mods(), *V.date_mods(), *V.holidays(),
    "ago", "later", "earlier", "from now", "the", "of", "this", "last", "next", "fiscal", "FY",
    "Q3", "H1", "quarter", "half", "first", "1990s", "'90s", "2024", "2025-03-04", "4/14/2026",
    "14", "3rd", "9", "a.m.", "pm", "noon", "10:30", "ET", "Pacific time", "every", "per",
    "times", "once a", "multi-year", "year-long", "-old", "weekend", "today", "tonight",
    "morning", "day", "that day", "the next day", "currently", "said", "was", "will",
})


@settings(max_examples=300, deadline=None)
@given(st.lists(
    st.one_of(
        st.sampled_from(WORDS),
        st.sampled_from([" ", "  ", "\n", "\n\n\n\n", ", ", ". ", "-", "'", "\t\t\t"]),
        st.text(alphabet="aeimnorstyAMQ0123456789 .,-:/'", max_size=6),
    ),
    max_size=40,
))
def test_random_texts_tag_the_same_as_a_full_scan(pieces):
    text = " ".join(pieces)
    same_as_full_scan(text)
    same_as_full_scan(text, None)


# --- the prefix-factored vocabulary alternation ----------------------------------------------


def flat_alternation(words: set[str]) -> str:
    ordered = sorted(words, key=lambda w: (-len(w), w))
    return "|".join(re.escape(w).replace(r"\ ", r"\s+") for w in ordered)


@settings(max_examples=200, deadline=None)
@given(
    st.sets(st.text(alphabet="abAB -", min_size=1, max_size=5), min_size=1, max_size=8),
    st.text(alphabet="abAB -x", max_size=30),
    st.booleans(),
)
def test_alternation_matches_like_the_flat_longest_first_form(words, text, ignore_case):
    flags = re.IGNORECASE if ignore_case else 0
    # followed by a word boundary, so a shorter word is tried when the longer one fails
    factored = re.compile(rf"(?:{V.alternation(words)})\b", flags)
    flat = re.compile(rf"(?:{flat_alternation(words)})\b", flags)
    assert [m.span() for m in factored.finditer(text)] == [m.span() for m in flat.finditer(text)]


# --- the shared doc text ---------------------------------------------------------------------


def test_doc_text_is_the_docs_text_and_is_built_once():
    nlp = spacy.blank("en")
    doc = nlp("Microsoft said  on Tuesday\n\nthat it would ship. ")
    assert doc_text(doc) == doc.text
    assert doc_text(doc) is doc_text(doc)
    assert doc_text(nlp("")) == ""
