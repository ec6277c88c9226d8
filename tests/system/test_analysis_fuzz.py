"""Property test of the whole analysis of one article: NLP, storing, the claim ledger and stories.

Whatever the text and whatever publication date is stored with it (a CMS's 0001-01-01, 9999-12-31,
the 1990 boundary, the far future: dates kept from before the plausibility rule, or written by
hand), analysing the article on a real database raises nothing, records no failure, and every
date stored for its timexes, event mentions and events is a TIMEX3 value or null.
"""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from kb.dates.timex import is_valid_timex_value
from kb.jobs.analyse import analyze_articles
from kb.store.db import open_db

# Each example analyses one article and merges it into a database that keeps growing.
FUZZ = settings(max_examples=70, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])

EDGE_DATES = [dt.date(1, 1, 1), dt.date(1, 1, 2), dt.date(9999, 12, 31), dt.date(9999, 12, 30), dt.date(1989, 12, 31),
              dt.date(1990, 1, 1), dt.date(2999, 12, 31), dt.date(99, 12, 31), dt.date(100, 1, 1), dt.date(9899, 12, 31),
              dt.date(9900, 1, 1), dt.date(2026, 4, 15)]
anchors = st.one_of(st.none(), st.tuples(
    st.one_of(st.sampled_from(EDGE_DATES), st.dates()),
    st.sampled_from(["", "T00:00:00Z", "T23:59:59-12:00", "T00:00:00+14:00", "T12:00:00"]),
).map(lambda pair: pair[0].isoformat() + pair[1]))

ACTORS = ["Microsoft", "OpenAI", "Google", "Nvidia", "Amazon Web Services", "Anthropic", "Sam Altman", "Satya Nadella"]
ACTIONS = ["released MAI-Image-2", "acquired Windsurf", "invested $10 billion in", "signed a partnership with",
           "sued", "hired a new chief executive from", "denied reports it would buy", "launched Copilot with",
           "will launch a model with", "said it plans to cut jobs at", "raised its price for", "was fined by"]
DATES = ["yesterday", "last year", "next year", "next decade", "last century", "next century", "the decade before",
         "on Monday", "last week", "in March", "last December", "on January 5", "in the spring", "next quarter",
         "two years ago", "in 3 years", "on Christmas", "in Q4", "tomorrow", "a year earlier", "the previous quarter",
         "the following week", "later that month", "this weekend", "early next year", "late last year", "in 1989",
         "in 1990", "on December 31, 1989", "on January 1, 1990", "in 9999", "on January 1, 0001", "in the 1990s",
         "by 2100", "in fiscal 2027", "on 12/31/9999", "the 00s", "in the first century"]
numbers = st.integers(min_value=0, max_value=10**6)
date_phrases = st.one_of(
    st.sampled_from(DATES),
    numbers.map(lambda n: f"in {n}"), numbers.map(lambda n: f"{n} years ago"),
    numbers.map(lambda n: f"in {n} days"), numbers.map(lambda n: f"{n} decades later"),
    st.tuples(st.sampled_from(["January", "June", "December"]), st.integers(0, 40), numbers).map(
        lambda t: f"on {t[0]} {t[1]}, {t[2]}"),
)
sentences = st.tuples(st.sampled_from(ACTORS), st.sampled_from(ACTIONS), st.sampled_from(ACTORS), date_phrases,
                      date_phrases).map(lambda t: f"{t[0]} {t[1]} {t[2]} {t[3]}, and {t[4]}, the company said.")
texts = st.lists(st.one_of(sentences, st.text(max_size=30)), min_size=1, max_size=8).map(" ".join)

counter = itertools.count(1)


@pytest.fixture(scope="module")
def fuzz_db(tmp_path_factory):
    db = open_db(tmp_path_factory.mktemp("fuzz") / "kb.db")
    yield db
    db.conn.close()


@FUZZ
@given(text=texts, published=anchors, fetched=anchors)
@example(text="Microsoft released MAI-Image-2 last December, and OpenAI signed a partnership with Google "
              "next decade, the company said.", published="0001-01-01T00:00:00Z", fetched="2026-04-16T10:00:00Z")
@example(text="OpenAI acquired Windsurf next century and a year earlier, the company said.",
         published="9999-12-31T23:59:59-12:00", fetched="9999-12-31")
def test_analysing_any_article_with_any_stored_date_fails_nothing(fuzz_db, text, published, fetched):
    db = fuzz_db
    n = next(counter)
    with db.conn:
        article = db["articles"].insert({
            "url": f"https://fuzz.example/{n}", "canonical_url": f"https://fuzz.example/{n}", "title": f"fuzz {n}",
            "text": text, "status": "ok", "published_at": published, "fetched_at": fetched, "relevant": 1,
        }).last_pk
    summary = analyze_articles(db, [article])
    assert summary.failed == []
    assert db.execute("select analysis_status from articles where id = ?", [article]).fetchone()[0] in ("ok", None)
    for table in ("timexes", "event_mentions"):
        column = "value" if table == "timexes" else "date"
        for (value,) in db.execute(f"select {column} from {table} where article_id = ?", [article]):
            assert value is None or is_valid_timex_value(value), (table, value)
    for (value,) in db.execute("select date from events where id in (select event_id from event_mentions "
                               "where article_id = ?)", [article]):
        assert value is None or is_valid_timex_value(value), value
