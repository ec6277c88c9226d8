"""Tests for the TIMEX3 tagger: constructs, false hits, helpers, spaCy component, gold scores."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys

import pytest
import spacy
from hypothesis import given, settings
from hypothesis import strategies as st

from kb.dates.labels import format_timex
from kb.dates.timex import is_valid_timex_value, parse_iso_date, timex_precision
from kb.jobs.temporal_eval import (
    TimeMLFormatError,
    evaluate_timexes,
    load_gold_dir,
    parse_timeml,
)
from kb.nlp.temporal.tagger import Timex, tag_timexes

WED = dt.date(2026, 4, 15)  # a Wednesday in ISO week 16

# (sentence, published, expected extent, type, value, mod)
CASES = [
    # explicit dates in the common formats
    ("It shipped on April 14, 2026.", WED, "April 14, 2026", "DATE", "2026-04-14", None),
    ("It shipped on 14 April 2026.", WED, "14 April 2026", "DATE", "2026-04-14", None),
    ("It shipped on Apr. 14, a day early.", WED, "Apr. 14", "DATE", "2026-04-14", None),
    ("The filing is dated 2026-04-14.", WED, "2026-04-14", "DATE", "2026-04-14", None),
    ("The form is dated 4/14/2026.", WED, "4/14/2026", "DATE", "2026-04-14", None),
    ("It launched Tuesday, April 14, to fanfare.", WED, "Tuesday, April 14", "DATE", "2026-04-14", None),
    ("The 2026-04 release fixed it.", WED, "2026-04", "DATE", "2026-04", None),
    ("Sales peaked in November 2025.", WED, "November 2025", "DATE", "2025-11", None),
    ("The lab was founded in 2015.", WED, "2015", "DATE", "2015", None),
    # days relative to publication
    ("Shares fell yesterday.", WED, "yesterday", "DATE", "2026-04-14", None),
    ("The model is live today.", WED, "today", "DATE", "2026-04-15", None),
    ("Results arrive tomorrow.", WED, "tomorrow", "DATE", "2026-04-16", None),
    ("Microsoft on Tuesday released the model.", WED, "Tuesday", "DATE", "2026-04-14", None),
    ("The company will launch it on Thursday.", WED, "Thursday", "DATE", "2026-04-16", None),
    ("The company announced the deal on Thursday.", WED, "Thursday", "DATE", "2026-04-09", None),
    ("It is set to close next Monday.", WED, "next Monday", "DATE", "2026-04-20", None),
    ("He resigned last Friday.", WED, "last Friday", "DATE", "2026-04-10", None),
    ("Talks resumed this week.", WED, "this week", "DATE", "2026-W16", None),
    ("Talks stalled last week.", WED, "last week", "DATE", "2026-W15", None),
    ("Talks resume next week.", WED, "next week", "DATE", "2026-W17", None),
    ("Prices rose last month.", WED, "last month", "DATE", "2026-03", None),
    ("Prices rise next month.", WED, "next month", "DATE", "2026-05", None),
    ("Prices rose this month.", WED, "this month", "DATE", "2026-04", None),
    ("It was unveiled two weeks ago.", WED, "two weeks ago", "DATE", "2026-W14", None),
    ("It was unveiled a year ago.", WED, "a year ago", "DATE", "2025", None),
    ("It shipped earlier this month.", WED, "earlier this month", "DATE", "2026-04", None),
    ("It shipped earlier this year.", WED, "earlier this year", "DATE", "2026", None),
    ("It ships later this year.", WED, "later this year", "DATE", "2026", None),
    ("Sales slowed in the first quarter.", WED, "the first quarter", "DATE", "2026-Q1", None),
    # early / mid / late
    ("The two announced a partnership in late February.", WED, "late February", "DATE", "2026-02", "END"),
    ("It lands in early April.", WED, "early April", "DATE", "2026-04", "START"),
    ("The report came out in mid-2024.", WED, "mid-2024", "DATE", "2024", "MID"),
    ("Demand fell in late 2025.", WED, "late 2025", "DATE", "2025", "END"),
    ("All of it goes live before the end of 2026.", WED, "the end of 2026", "DATE", "2026", "END"),
    ("It should be ready by the end of the year.", WED, "the end of the year", "DATE", "2026", "END"),
    # quarters, halves, fiscal years, decades
    ("Revenue grew in Q3 2025.", WED, "Q3 2025", "DATE", "2025-Q3", None),
    ("Revenue grew in the third quarter of 2025.", WED, "the third quarter of 2025", "DATE", "2025-Q3", None),
    ("Profit rose in the first half.", dt.date(2026, 8, 3), "the first half", "DATE", "2026-H1", None),
    ("It expects gains in the second half of next year.", WED, "the second half of next year", "DATE", "2027-H2", None),
    ("Targets for H1 2026 were met.", WED, "H1 2026", "DATE", "2026-H1", None),
    ("Spending rose in fiscal 2025.", WED, "fiscal 2025", "DATE", "2025", None),
    ("Spending rose in FY25.", WED, "FY25", "DATE", "2025", None),
    ("Results for its fiscal third quarter beat forecasts.", WED, "fiscal third quarter", "DATE", "2026-Q3", None),
    ("Growth defined the 2020s.", WED, "the 2020s", "DATE", "202", None),
    ("It began in the '90s.", WED, "the '90s", "DATE", "199", None),
    ("Fines grew over the past decade.", WED, "the past decade", "DURATION", "P10Y", None),
    # durations
    ("They signed a seven-year deal.", WED, "seven-year", "DURATION", "P7Y", None),
    ("He stayed for three months.", WED, "three months", "DURATION", "P3M", None),
    ("Talks lasted more than a decade.", WED, "more than a decade", "DURATION", "P10Y", "MORE_THAN"),
    ("Engineers fixed it within 24 hours.", WED, "24 hours", "DURATION", "PT24H", None),
    ("The lawsuit could drag on for years.", WED, "years", "DURATION", "PXY", None),
    ("It was a multiyear investment.", WED, "multiyear", "DURATION", "PXY", None),
    # sets
    ("The team meets every week.", WED, "every week", "SET", "P1W", None),
    ("The team ships weekly.", WED, "weekly", "SET", "P1W", None),
    ("Prices are reviewed each quarter.", WED, "each quarter", "SET", "P1Q", None),
    ("Leaders meet every Tuesday.", WED, "every Tuesday", "SET", "XXXX-WXX-2", None),
    ("The plan costs $20 a month.", WED, "a month", "SET", "P1M", None),
    ("Storms return every winter.", WED, "every winter", "SET", "XXXX-WI", None),
    ("The board meets eight times a year.", WED, "eight times a year", "SET", "P1Y", None),
    # present, past, future references
    ("It has worked until now.", WED, "now", "DATE", "PRESENT_REF", None),
    ("The service is currently down.", WED, "currently", "DATE", "PRESENT_REF", None),
    ("The firm recently hired a chief.", WED, "recently", "DATE", "PAST_REF", None),
    ("A fix will arrive in the near future.", WED, "the near future", "DATE", "FUTURE_REF", None),
    # seasons
    ("It opens this summer.", WED, "this summer", "DATE", "2026-SU", None),
    ("It opens in spring 2026.", WED, "spring 2026", "DATE", "2026-SP", None),
    ("It opened last fall.", WED, "last fall", "DATE", "2025-FA", None),
    # times of day
    ("The keynote starts at 9 a.m. PT.", WED, "9 a.m. PT", "TIME", "2026-04-15T09:00", None),
    ("The store opened Tuesday at 9 a.m.", WED, "Tuesday at 9 a.m.", "TIME", "2026-04-14T09:00", None),
    ("The vote came Monday evening.", WED, "Monday evening", "TIME", "2026-04-13TEV", None),
    # anchored to the previous date, holidays
    ("It was announced on March 3 and went live the next day.", WED, "the next day", "DATE", "2026-03-04", None),
    ("Revenue for December rose 31% from a year earlier.", dt.date(2026, 1, 8), "a year earlier", "DATE", "2024-12", None),
    ("Sales on Black Friday 2025 set a record.", WED, "Black Friday 2025", "DATE", "2025-11-28", None),
]


@pytest.mark.parametrize(("sentence", "published", "extent", "type_", "value", "mod"), CASES,
                         ids=[case[2] for case in CASES])
def test_construct(sentence, published, extent, type_, value, mod):
    found = {t.text: t for t in tag_timexes(sentence, published)}
    assert extent in found, f"{extent!r} not found; got {sorted(found)}"
    timex = found[extent]
    assert (timex.type, timex.value, timex.mod) == (type_, value, mod)


FALSE_HITS = [
    "Higher prices may slow adoption.",
    "Thousands of workers march on the capital.",
    "The bill came to $2,025 in fees.",
    "They bought 15,000 GPUs.",
    "GPT-4 and MAI-Image-2 were compared.",
    "The Q&A ran long.",
    "The second model was smaller.",
    "The Sunday Times reported the story.",
    "Fall in prices hit retailers.",
    "It still runs Windows 2000.",
    "The car reached 70 miles per hour.",
    "About 2000 people attended.",
    "The second half of the game was dull.",
    "The fall of the empire was slow.",
]


@pytest.mark.parametrize("sentence", FALSE_HITS)
def test_false_hits(sentence):
    assert tag_timexes(sentence, WED) == []


@pytest.mark.parametrize(("sentence", "value"), [
    ("Shares fell yesterday.", "XXXX-XX-XX"),
    ("The company released it on Tuesday.", "XXXX-WXX-2"),
    ("It shipped on April 14.", "XXXX-04-14"),
    ("It shipped on April 14, 2026.", "2026-04-14"),
    ("Prices rose last month.", "XXXX-XX"),
])
def test_without_publication_date_values_stay_unresolved(sentence, value):
    (timex,) = tag_timexes(sentence, None)
    assert timex.value == value


def test_datetime_published_is_treated_as_its_date():
    (timex,) = tag_timexes("It shipped yesterday.", dt.datetime(2026, 4, 15, 23, 30))
    assert timex.value == "2026-04-14"


def test_offsets_point_into_the_text():
    text = "On Tuesday, April 14, 2026, Microsoft said it will ship MAI-Image-2 in the third quarter."
    for timex in tag_timexes(text, WED):
        assert text[timex.start:timex.end] == timex.text


@pytest.mark.parametrize(("value", "precision"), [
    ("2026-04-14", "day"), ("2026-04-14T09:00", "day"), ("2026-W16", "week"), ("2026-04", "month"),
    ("2025-Q3", "quarter"), ("FY2025-Q3", "quarter"), ("2026-H1", "half"), ("2026-SU", "season"),
    ("2024", "year"), ("FY2025", "year"), ("202", "decade"), ("P7Y", "unknown"), ("PRESENT_REF", "unknown"),
])
def test_timex_precision(value, precision):
    assert timex_precision(value) == precision


@pytest.mark.parametrize(("value", "mod", "expected"), [
    ("2026-04-14", None, "April 14, 2026"), ("2026-04", None, "April 2026"), ("2024", "MID", "mid-2024"),
    ("2026-02", "END", "late February 2026"), ("2025-Q3", None, "Q3 2025"),
    ("2026-H1", None, "first half of 2026"), ("FY2025", None, "fiscal 2025"), ("202", None, "the 2020s"),
    ("P7Y", None, "7 years"), ("PXY", None, "years"), ("PRESENT_REF", None, "now"),
    ("2026-SU", None, "summer 2026"), ("XXXX-04-14", None, "April 14"),
])
def test_format_timex(value, mod, expected):
    assert format_timex(value, mod) == expected


def test_format_timex_shows_values_outside_the_grammar_unchanged():
    assert format_timex("2026-13-45") == "2026-13-45"
    assert format_timex("XXXX-WXX") == "XXXX-WXX"
    assert format_timex(None) == ""


def test_date_labels_and_precision_load_no_spacy():
    """The pages format dates with kb.dates; importing it must not pull in the NLP pipeline."""
    script = ("import sys, datasette_plugins.formatting, kb.dates.labels, kb.dates.spans, kb.dates.timex;"
              "print(sorted(m for m in sys.modules if m == 'spacy' or m.startswith('kb.nlp')))")
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


@pytest.mark.parametrize(("stamp", "expected"), [
    ("2026-04-15T08:10:00-07:00", dt.date(2026, 4, 15)),
    ("2026-04-15T23:30:00-07:00", dt.date(2026, 4, 15)),  # the local date, not the UTC one
    ("2026-04-15T02:00:00Z", dt.date(2026, 4, 15)),
    ("2026-04-15", dt.date(2026, 4, 15)),
    ("Wed, 15 Apr 2026 08:10:00 +0000", dt.date(2026, 4, 15)),
    ("not a date", None), ("", None), (None, None), ("2026-02-30", None),
])
def test_parse_iso_date(stamp, expected):
    assert parse_iso_date(stamp) == expected


@pytest.mark.parametrize("value", ["2026-04-14", "2026-W16", "2026-W16-WE", "2026-Q3", "FY2025-Q1",
                                   "2026-SU", "202", "P7Y", "PT3H", "P1DE", "PXY", "XXXX-WXX-2",
                                   "2026-04-14T09:00", "2026-04-14TMO", "PRESENT_REF"])
def test_valid_values(value):
    assert is_valid_timex_value(value)


@pytest.mark.parametrize("value", ["", "April", "2026-13", "2026-Q5", "P", "P7", "FY", "2026-04-14T25:00"])
def test_invalid_values(value):
    assert not is_valid_timex_value(value)


def test_spacy_component_sets_timexes_and_spans():
    nlp = spacy.blank("en")
    nlp.add_pipe("kb_timex")
    doc = nlp.make_doc("Microsoft said on Tuesday that MAI-Image-2 ships in mid-2026.")
    doc._.published = WED
    doc = nlp(doc)
    assert [(t.text, t.value, t.mod) for t in doc._.timexes] == [("Tuesday", "2026-04-14", None),
                                                                 ("mid-2026", "2026", "MID")]
    assert all(isinstance(t, Timex) for t in doc._.timexes)
    assert [(span.text, span.label_) for span in doc.spans["timex"]] == [("Tuesday", "DATE"), ("mid-2026", "DATE")]
    assert list(doc.ents) == []


def test_spacy_component_accepts_a_timestamp_string_and_no_date():
    nlp = spacy.blank("en")
    nlp.add_pipe("kb_timex")
    doc = nlp.make_doc("It shipped yesterday.")
    doc._.published = "2026-04-15T08:10:00-07:00"
    assert nlp(doc)._.timexes[0].value == "2026-04-14"
    assert nlp("It shipped yesterday.")._.timexes[0].value == "XXXX-XX-XX"


TEMPORAL_WORDS = ["Tuesday", "April", "14,", "2026", "May", "last", "next", "week", "the", "end", "of",
                  "Q3", "fiscal", "FY25", "mid-", "early", "late", "year", "ago", "two", "every", "a",
                  "month", "9", "a.m.", "PT", "at", "on", "$2,025", "quarter", "half", "first", "2020s",
                  "'90s", "Christmas", "the next day", "earlier", "this", "later", "since", "for", "-",
                  ".", ",", "summer", "now", "until", "12/31/1999", "2099-12-31", "weekend", "seven-year"]


@settings(max_examples=150, deadline=None)
@given(
    words=st.lists(st.one_of(st.sampled_from(TEMPORAL_WORDS), st.text(max_size=6)), max_size=25),
    published=st.one_of(st.none(), st.dates()),
)
def test_tagging_never_fails_and_keeps_its_promises(words, published):
    text = " ".join(words)
    for timex in tag_timexes(text, published):
        assert 0 <= timex.start < timex.end <= len(text)
        assert text[timex.start:timex.end] == timex.text
        assert timex.type in ("DATE", "TIME", "DURATION", "SET")
        assert is_valid_timex_value(timex.value), timex


@settings(max_examples=100, deadline=None)
@given(text=st.text(max_size=200), published=st.one_of(st.none(), st.dates()))
def test_tagging_arbitrary_text_never_fails(text, published):
    for timex in tag_timexes(text, published):
        assert text[timex.start:timex.end] == timex.text
        assert is_valid_timex_value(timex.value)


def test_parse_timeml_recovers_text_and_offsets():
    text, published, gold = parse_timeml(
        '<DOC published="2026-04-15">On <TIMEX3 tid="t1" type="DATE" value="2026-04-14">Tuesday'
        '</TIMEX3> AT&amp;T said <TIMEX3 tid="t2" type="DATE" value="2026" mod="END">late 2026</TIMEX3>.</DOC>'
    )
    assert text == "On Tuesday AT&T said late 2026."
    assert published == WED
    assert [(text[g.start:g.end], g.value, g.mod) for g in gold] == [("Tuesday", "2026-04-14", None),
                                                                   ("late 2026", "2026", "END")]


def test_parse_timeml_rejects_broken_markup():
    with pytest.raises(TimeMLFormatError):
        parse_timeml("no document here")
    with pytest.raises(TimeMLFormatError):
        parse_timeml('<DOC published="2026-04-15">On <TIMEX3 type="DATE">Tuesday</DOC>')


def test_gold_set_is_large_enough_and_well_formed():
    docs = load_gold_dir()
    assert len(docs) >= 30
    assert sum(len(d.gold) for d in docs) >= 300
    assert {d.split for d in docs} == {"dev", "test"}
    for doc in docs:
        assert doc.published is not None, doc.name
        for timex in doc.gold:
            assert is_valid_timex_value(timex.value), (doc.name, timex)
            assert doc.text[timex.start:timex.end] == timex.text


def test_value_f1_on_gold_stays_above_the_floor():
    # Measured 96.4 (dev, tuned on) and 96.6 (test, held out); floors sit just under those.
    scores = evaluate_timexes(load_gold_dir())
    assert scores["dev"]["value_f1"] >= 94.0, scores["dev"]
    assert scores["test"]["value_f1"] >= 94.0, scores["test"]
    assert scores["all"]["relaxed_f1"] >= 96.0, scores["all"]


def test_evaluation_counts_a_wrong_value_as_an_extent_hit_only():
    docs = load_gold_dir()[:1]
    doc = docs[0]

    def shifted(text, published):
        return [Timex(t.start, t.end, t.text, t.type, "PAST_REF", t.mod) for t in doc.gold]

    scores = evaluate_timexes(docs, tagger=shifted)[doc.split]
    assert scores["strict_f1"] == 100.0
    assert scores["value_f1"] < 100.0
