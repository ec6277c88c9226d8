"""Implausible publication dates, dates at the ends of the calendar, and failed analyses.

A page dated 0001-01-01T00:00:00Z (a CMS's "unknown") once stopped every run: the resolver
computed a date in year 0. Such dates are now passed over for the feed's date or the fetch
time, the resolver gives no date where it would leave the calendar, and an article whose
analysis fails for any reason is recorded as failed while the run goes on.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3

import pytest
import sqlite_utils

from ingest.extract import choose_published
from kb.core.time import parse_timestamp
from kb.dates.spans import date_span
from kb.dates.timex import is_valid_timex_value
from kb.jobs.analyse import analyze_articles
from kb.nlp.temporal.tagger import tag_timexes
from kb.store.db import migrate_db
from kb.store.migrations import core
from tests.loopback import respond
from tests.sqlite_read import rows as query

FETCHED = "2026-04-16T10:00:00Z"
# One text per page (the same text twice would be a near-duplicate, not analysed), each with
# dates relative to the publication date: "last December" from 0001-01-01 once meant year 0.
NEWS = [
    "Microsoft said on Tuesday that it had released a new image model, MAI-Image-2-Efficient, after testing "
    "it with customers since last December. A year earlier it had shipped its first in-house model.",
    "OpenAI signed a partnership with Amazon Web Services last month to sell its models to enterprise "
    "customers, the companies said. The previous quarter, OpenAI raised $40 billion from investors.",
    "Google announced in March that it would invest $2 billion in Anthropic next year, expanding a deal first "
    "struck two years ago. Regulators in Brussels said on Friday they would review the investment.",
    "Nvidia launched new data-center chips on Monday and raised its forecast for next quarter. The company "
    "said last week that demand from cloud providers had doubled since the start of the year.",
    "Oracle hired a new chief financial officer on Wednesday after a search that began last summer. The "
    "company also said it would open three data centers in Europe next spring and another in 2027.",
]


def page(title: str, published: str | None, index: int) -> str:
    meta = f'<meta property="article:published_time" content="{published}">' if published else ""
    return (f"<!DOCTYPE html><html lang='en'><head><title>{title}</title>{meta}</head>"
            f"<body><article><h1>{title}</h1><p>{NEWS[index]}</p>"
            f"<p>Reporting for the {title} page by the staff of the news desk in Seattle and San Francisco.</p></article></body></html>")


# --- the rule -------------------------------------------------------------------------------


@pytest.mark.parametrize(("page_date", "feed_date", "expected"), [
    ("2026-04-15T08:00:00-07:00", "2026-04-14T00:00:00Z", ("2026-04-15T08:00:00-07:00", "page")),
    ("0001-01-01T00:00:00Z", "2026-04-14T00:00:00Z", ("2026-04-14T00:00:00Z", "feed")),
    ("1989-12-31", None, (FETCHED, "fetched")),
    ("1990-01-01", None, ("1990-01-01", "page")),
    ("2026-04-17T09:59:59Z", None, ("2026-04-17T09:59:59Z", "page")),  # within a day of the fetch
    ("2026-04-17T10:00:01Z", None, (FETCHED, "fetched")),
    ("9999-12-31T23:59:59Z", "0001-01-01", (FETCHED, "fetched")),
    (None, None, (FETCHED, "fetched")),
])
def test_implausible_publication_dates_fall_back_to_the_feed_then_the_fetch(page_date, feed_date, expected):
    published, source, note = choose_published(page_date, feed_date, FETCHED)
    assert (published, source) == expected
    assert (note is None) == (source == "page")


# --- the resolver at the ends of the calendar ----------------------------------------------


@pytest.mark.parametrize("anchor", [dt.date(1, 1, 1), dt.date(1, 12, 31), dt.date(9999, 12, 31), dt.date(9999, 1, 1)])
def test_resolver_gives_no_date_rather_than_leave_the_calendar(anchor):
    text = (" ".join(NEWS) + " Next decade, last century, the decade before, "
            "next year, two years ago, in 10 years, the following week, last Christmas, next spring.")
    for timex in tag_timexes(text, anchor):
        assert is_valid_timex_value(timex.value), timex
        assert timex.value not in ("1000", "0000") and not timex.value.startswith("0000"), timex


def test_dates_out_of_reach_count_as_unknown():
    assert date_span("0001-01-02") is None and date_span("9999-12-31") is None and date_span("00") is None
    assert date_span("2026-04-14").days == 1
    assert parse_timestamp("0001-01-01T00:00:00Z") is None
    assert parse_timestamp(FETCHED).year == 2026


# --- ingest end to end ---------------------------------------------------------------------


def serve_feed(loopback, pages: dict[str, tuple[str | None, str | None]]) -> None:
    """A feed listing /<name>.html for each page: (page's meta date, feed's pubDate)."""
    items = "".join(
        f"<item><title>{name}</title><link>{loopback.url(f'/{name}.html')}</link><guid>{name}</guid>"
        + (f"<pubDate>{feed}</pubDate>" if feed else "") + "</item>"
        for name, (_, feed) in pages.items())
    loopback.route("/feed.xml")(lambda h: respond(
        h, 200, f"<?xml version='1.0'?><rss version='2.0'><channel><title>t</title>{items}</channel></rss>",
        "application/rss+xml"))
    for index, (name, (meta, _)) in enumerate(pages.items()):
        body = page(name, meta, index)
        loopback.route(f"/{name}.html")(lambda h, body=body: respond(h, 200, body))


def write_sources(tmp_path, loopback):
    path = tmp_path / "sources.toml"
    path.write_text(f'allow_private_addresses = true\n[[source]]\nname = "dates"\nurl = "{loopback.url("/feed.xml")}"\n')
    return str(path)


def test_ingest_dates_unknown_and_future_pages_from_the_feed_or_the_fetch(run_kb, db_path, loopback, tmp_path):
    serve_feed(loopback, {
        "unknown": ("0001-01-01T00:00:00Z", "Tue, 14 Apr 2026 09:00:00 GMT"),
        "future": ("2999-01-01T00:00:00Z", None),
        "both-bad": ("0001-01-01T00:00:00Z", "Fri, 01 Jan 2100 00:00:00 GMT"),
        "normal": ("2026-04-15T08:00:00-07:00", "Wed, 15 Apr 2026 15:00:00 GMT"),
        "feed-only": (None, "Mon, 13 Apr 2026 12:00:00 GMT"),
    })
    result = run_kb("ingest", "--sources", write_sources(tmp_path, loopback))
    assert result.exit_code == 0, result.output
    rows = {r[0].rsplit("/", 1)[1]: r[1:] for r in query(
        db_path, "select url, status, published_at, published_source, published_note, fetched_at, analysis_status "
                 "from articles")}
    assert len(rows) == 5
    assert all(r[0] == "ok" and r[5] == "ok" for r in rows.values()), rows
    assert rows["unknown.html"][1:3] == ("2026-04-14T09:00:00Z", "feed")
    assert "0001-01-01T00:00:00Z is before 1990" in rows["unknown.html"][3]
    # Undated articles take the start of their run, not their own fetch time: every undated
    # article of a run gets the same date however the fetches were timed.
    (run_started,), = query(db_path, "select started_at from ingest_runs")
    for name in ("future.html", "both-bad.html"):
        status, published, source, note, fetched, _ = rows[name]
        assert (published, source) == (run_started, "fetched")
        assert fetched >= run_started
    assert "more than a day after the fetch" in rows["future.html"][3]
    assert "before 1990" in rows["both-bad.html"][3] and "after the fetch" in rows["both-bad.html"][3]
    assert rows["normal.html"][1:4] == ("2026-04-15T08:00:00-07:00", "page", None)
    assert rows["feed-only.html"][2:4] == ("feed", "page: no date")
    assert query(db_path, "select status from ingest_runs") == [("ok",)]
    assert query(db_path, "select count(*) from events")[0][0] > 0
    assert query(db_path, "select count(*) from event_mentions where date like '0%' or date like '2999%'") == [(0,)]


def test_migration_redates_stored_implausible_dates(db_path):
    db = sqlite_utils.Database(db_path)
    core.apply(db, stop_before="m018_published_source_and_analysis_status")
    for slug, published in (("zero", "0001-01-01T00:00:00Z"), ("future", "2999-01-01"), ("fine", "2026-04-15")):
        db["articles"].insert({"url": f"https://n.example/{slug}", "canonical_url": f"https://n.example/{slug}",
                               "status": "ok", "text": "x", "published_at": published, "fetched_at": FETCHED,
                               "processed_at": FETCHED, "nlp_version": "v"})
    migrate_db(db)
    rows = {r[0]: r[1:] for r in db.execute(
        "select substr(url, 19), published_at, published_source, published_note, processed_at from articles")}
    db.conn.close()
    assert rows["zero"][:2] == (FETCHED, "fetched") and "before 1990" in rows["zero"][2]
    assert rows["zero"][3] is None  # analysed again with the new date
    assert rows["future"][:2] == (FETCHED, "fetched") and rows["future"][3] is None
    assert rows["fine"] == ("2026-04-15", None, None, FETCHED)


def test_failed_analysis_is_recorded_on_its_article_and_the_run_goes_on(run_kb, db_path, loopback, tmp_path):
    serve_feed(loopback, {name: ("2026-04-15T08:00:00Z", None) for name in ("one", "two", "three")})
    sources = write_sources(tmp_path, loopback)
    assert run_kb("ingest", "--no-analyze", "--sources", sources).exit_code == 0
    # No natural input breaks the analysis any more: a row whose text became bytes stands in for
    # whatever will (the NLP's text handling raises TypeError on it).
    conn = sqlite3.connect(db_path)
    conn.execute("update articles set text = cast(text as blob) where url like '%/one.html'")
    conn.commit()
    bad = conn.execute("select id from articles where url like '%/one.html'").fetchone()[0]
    conn.close()

    result = run_kb("ingest", "--workers", "2", "--sources", sources)  # sources not due: analysis only
    assert result.exit_code == 1, result.output
    assert "1 not analysed" in result.output
    status, errors = query(db_path, "select status, errors from ingest_runs order by id desc limit 1")[0]
    assert status == "partial"
    assert any(e.startswith(f"article {bad}: analysis failed: TypeError") for e in json.loads(errors))
    states = dict(query(db_path, "select id, analysis_status from articles"))
    assert states.pop(bad) == "failed" and set(states.values()) == {"ok"}
    assert "TypeError" in query(db_path, "select analysis_error from articles where id = ?", [bad])[0][0]
    assert query(db_path, "select count(*) from event_mentions where article_id = ?", [bad]) == [(0,)]
    assert query(db_path, "select count(distinct article_id) from mentions")[0][0] == 2  # the other two

    # Not retried at every run ...
    again = run_kb("ingest", "--sources", sources)
    assert again.exit_code == 0, again.output
    # ... but once the rules change (another nlp_version), with the row repaired.
    conn = sqlite3.connect(db_path)
    conn.execute("update articles set text = cast(text as text), nlp_version = 'older rules' where id = ?", [bad])
    conn.commit()
    conn.close()
    fixed = run_kb("reprocess")
    assert fixed.exit_code == 0, fixed.output
    assert query(db_path, "select analysis_status, analysis_error from articles where id = ?", [bad]) == [("ok", None)]
    assert query(db_path, "select count(*) from event_mentions where article_id = ?", [bad])[0][0] > 0


def test_an_article_whose_merge_fails_is_recorded_and_the_others_merge(db):
    # The claim ledger reads each report's source; a source row corrupted behind the schema's
    # back (its CHECK constraint switched off) breaks the merge of that source's article only.
    ids = {}
    for name in ("good", "broken"):
        source = db["sources"].insert({"name": name, "url": f"https://{name}.example/feed"}).last_pk
        for n in range(2 if name == "good" else 1):
            ids[f"{name}{n}"] = db["articles"].insert({
                "url": f"https://{name}.example/{n}", "canonical_url": f"https://{name}.example/{n}",
                "source_id": source, "text": NEWS[len(ids)] + " Microsoft and OpenAI said so.",
                "status": "ok", "published_at": "2026-04-15T08:00:00Z", "relevant": 1}).last_pk
    db.execute("PRAGMA ignore_check_constraints = 1")
    db.execute("UPDATE sources SET reliability = 'high' WHERE name = 'broken'")
    db.execute("PRAGMA ignore_check_constraints = 0")
    db.conn.commit()

    summary = analyze_articles(db)
    assert [article for article, _ in summary.failed] == [ids["broken0"]]
    status, error = db.execute("select analysis_status, analysis_error from articles where id = ?",
                               [ids["broken0"]]).fetchone()
    assert status == "failed" and error.startswith("merging: ValueError")
    assert db.execute("select count(*) from event_mentions where article_id = ?", [ids["broken0"]]).fetchone() == (0,)
    merged = db.execute("select count(*) from event_mentions where event_id is not null and article_id in (?, ?)",
                        [ids["good0"], ids["good1"]]).fetchone()[0]
    assert merged > 0
    assert analyze_articles(db).articles == 0  # not retried until the rules change
