"""`kb ingest` end to end: the sample corpus from local files and from a loopback server."""

from __future__ import annotations

import json
import shutil
import sqlite3
import tomllib
from pathlib import Path

import pytest

from kb.store.lock import IngestLock
from tests.conftest import SAMPLE_DIR
from tests.loopback import LoopbackServer, respond
from tests.sqlite_read import rows as query

FEEDS = [
    ("Cloudline Daily", "cloudline/feed.xml", 0.8),
    ("The Northbeam Review", "northbeam/atom.xml", 0.75),
    ("Signal & Stack", "signalstack/feed.json", 0.55),
    ("Newsroom Wire (sample)", "newsroomwire/rss.xml", 0.9),
]


def write_sources(path: Path, base: str, feeds=FEEDS, allow_private: bool = True, extra: str = "") -> Path:
    lines = [f"allow_private_addresses = {'true' if allow_private else 'false'}", ""]
    for name, feed, reliability in feeds:
        lines += ["[[source]]", f'name = "{name}"', f'url = "{base}/{feed}"', f"reliability = {reliability}",
                  "min_interval_seconds = 600", ""]
    path.write_text("\n".join(lines) + extra)
    return path


def sample_page_count() -> int:
    return sum(1 for p in SAMPLE_DIR.rglob("*.html") if "revisions" not in p.parts and "templates" not in p.parts)


@pytest.fixture
def served_sources(sample_server, tmp_path):
    return write_sources(tmp_path / "sources.toml", sample_server.base_url)


def test_sample_corpus_from_local_files(run_kb, db_path):
    result = run_kb("ingest", "--no-analyze", "--sources", str(SAMPLE_DIR / "sources.toml"))
    assert result.exit_code == 0, result.output
    ok = query(db_path, "select count(*) from articles where status = 'ok'")[0][0]
    assert ok == sample_page_count() >= 40
    run = query(db_path, "select status, sources_ok, sources_failed, articles_new, articles_duplicate from ingest_runs")
    assert run[0][0] == "ok" and run[0][1] == 4 and run[0][2] == 0
    assert run[0][3] + run[0][4] == ok
    # Canonical URLs come from the pages' rel=canonical (a local source speaks for its outlet).
    hosts = {row[0].split("/")[2] for row in query(db_path, "select canonical_url from articles")}
    assert hosts == {"cloudline.example", "northbeam.example", "signalstack.example", "newsroomwire.example"}


def test_second_run_skips_sources_not_due_and_finds_nothing_new(run_kb, db_path):
    sources = str(SAMPLE_DIR / "sources.toml")
    assert run_kb("ingest", "--no-analyze", "--sources", sources).exit_code == 0
    before = query(db_path, "select count(*) from articles")[0][0]
    second = run_kb("ingest", "--no-analyze", "--sources", sources)
    assert second.exit_code == 0
    assert "4 not due" in second.output
    forced = run_kb("ingest", "--no-analyze", "--force", "--sources", sources)
    assert forced.exit_code == 0
    assert "0 new, 0 updated" in forced.output
    assert query(db_path, "select count(*) from articles")[0][0] == before
    assert query(db_path, "select count(*) from ingest_runs where status = 'ok'")[0][0] == 3


def test_syndicated_copy_is_linked_to_its_original(run_kb, db_path):
    assert run_kb("ingest", "--no-analyze", "--sources", str(SAMPLE_DIR / "sources.toml")).exit_code == 0
    rows = query(db_path, """select a.canonical_url, o.canonical_url from articles a
                             join articles o on o.id = a.duplicate_of""")
    planted = tomllib.loads((SAMPLE_DIR / "planted.toml").read_text(encoding="utf-8"))

    def key(url: str) -> str:  # https://<outlet>.example/<yyyy>/<mm>/<slug> -> <outlet>/<slug>
        parts = url.split("/")
        return f"{parts[2].split('.')[0]}/{parts[-1]}"

    pairs = {(key(copy), key(original)) for copy, original in rows}
    # The copy with light edits and the word-for-word mirror; the reworded copy is not a near-duplicate.
    assert pairs == {(planted["syndication"]["copy"], planted["syndication"]["original"]),
                     (planted["first_party_mirror"]["mirror"], planted["first_party_mirror"]["original"])}


def test_off_topic_articles_are_kept_but_not_relevant(run_kb, db_path):
    assert run_kb("ingest", "--no-analyze", "--sources", str(SAMPLE_DIR / "sources.toml")).exit_code == 0
    irrelevant = query(db_path, "select title, text from articles where relevant = 0")
    assert 3 <= len(irrelevant) <= 6
    for _title, text in irrelevant:
        assert "OpenAI" not in text and "MAI-" not in text
    assert query(db_path, "select count(*) from articles where relevant = 1")[0][0] >= 36


def test_ingest_over_http_uses_conditional_requests(run_kb, db_path, sample_server, served_sources):
    first = run_kb("ingest", "--no-analyze", "--sources", str(served_sources))
    assert first.exit_code == 0, first.output
    assert query(db_path, "select count(*) from articles where status = 'ok'")[0][0] == sample_page_count()
    etags = query(db_path, "select last_modified from sources where last_modified is not null")
    assert len(etags) == 4
    sample_server.requests.clear()
    second = run_kb("ingest", "--no-analyze", "--force", "--sources", str(served_sources))
    assert second.exit_code == 0
    feed_requests = [h for _, p, h in sample_server.requests if p.endswith((".xml", ".json"))]
    assert len(feed_requests) == 4
    assert all("If-Modified-Since" in h for h in feed_requests)
    assert query(db_path, "select count(*) from sources where last_status = 'not_modified'")[0][0] == 4
    # Nothing but the feeds (and robots.txt) was fetched again.
    assert not [p for _, p, _ in sample_server.requests if p.endswith(".html")]


def test_private_addresses_are_refused_unless_allowed(run_kb, db_path, sample_server, tmp_path):
    sources = write_sources(tmp_path / "s.toml", sample_server.base_url, allow_private=False)
    result = run_kb("ingest", "--no-analyze", "--sources", str(sources))
    assert result.exit_code == 1
    assert query(db_path, "select count(*) from articles")[0][0] == 0
    statuses = query(db_path, "select last_status, last_error from sources")
    assert all(status == "blocked" for status, _ in statuses), statuses
    assert all("127.0.0.1" in error for _, error in statuses)


def test_updated_article_keeps_its_earlier_revision(run_kb, db_path, tmp_path):
    site = tmp_path / "site"
    shutil.copytree(SAMPLE_DIR / "cloudline", site / "cloudline")
    revisions = sorted((SAMPLE_DIR / "revisions").glob("*.v1.html"))
    assert revisions, "the sample corpus ships an earlier version of one article"
    v1 = revisions[0]
    slug = v1.name.removesuffix(".v1.html")
    current = next((site / "cloudline").rglob(f"{slug}.html"))
    v2_text = current.read_text()
    current.write_text(v1.read_text())
    feed = site / "cloudline" / "feed.xml"
    feed_v2 = feed.read_text()
    with LoopbackServer(site) as server:
        sources = write_sources(tmp_path / "s.toml", server.base_url, feeds=[FEEDS[0]])
        assert run_kb("ingest", "--no-analyze", "--sources", str(sources)).exit_code == 0
        assert query(db_path, "select count(*) from article_revisions")[0][0] == 0
        current.write_text(v2_text)
        # The feed now says the entry was updated.
        link = f"{current.relative_to(site / 'cloudline').as_posix()}</link>"
        assert link in feed_v2
        feed.write_text(feed_v2.replace(link, link + '<updated xmlns="http://www.w3.org/2005/Atom">'
                                        "2026-04-16T18:00:00Z</updated>", 1))
        result = run_kb("ingest", "--no-analyze", "--force", "--sources", str(sources))
        assert result.exit_code == 0, result.output
    rows = query(db_path, """select r.text, a.text, a.updated_at, r.replaced_at from article_revisions r
                             join articles a on a.id = r.article_id""")
    assert len(rows) == 1
    old_text, new_text, updated_at, replaced_at = rows[0]
    assert old_text != new_text and updated_at and replaced_at
    assert "1 updated" in result.output


def test_bad_inputs_are_recorded_and_the_run_continues(run_kb, db_path, sample_server, tmp_path):
    good = sample_server.base_url
    bad = LoopbackServer()
    article = (SAMPLE_DIR / "cloudline").rglob("*.html").__next__().read_bytes()

    @bad.route("/feed.xml")
    def feed(handler):
        items = "".join(
            f"<item><title>{name}</title><link>{bad.url(path)}</link><guid>{guid}</guid></item>"
            for name, path, guid in [
                ("missing", "/missing.html", "g1"), ("broken", "/error.html", "g2"),
                ("pdf", "/doc.pdf", "g3"), ("empty", "/empty.html", "g4"), ("ok", "/ok.html", "g5"),
                ("dupe", "/ok.html", "g5"),
            ]
        ) + "<item><title>no link here</title><guid>g6</guid></item>"
        respond(handler, 200, f"<?xml version='1.0'?><rss version='2.0'><channel><title>t</title>{items}</channel></rss>",
                "application/rss+xml")

    bad.route("/missing.html")(lambda h: respond(h, 404, "nope"))
    bad.route("/error.html")(lambda h: respond(h, 500, "boom"))
    bad.route("/doc.pdf")(lambda h: respond(h, 200, b"%PDF-1.4", "application/pdf"))
    bad.route("/empty.html")(lambda h: respond(h, 200, "<html><body><p>hi</p></body></html>"))
    bad.route("/ok.html")(lambda h: respond(h, 200, article))
    bad.route("/malformed.xml")(lambda h: respond(h, 200, "<rss><channel><item><title>x</ti", "application/rss+xml"))
    bad.route("/page-not-feed.xml")(lambda h: respond(h, 200, "<!DOCTYPE html><html><body>hi</body></html>"))
    with bad:
        sources = write_sources(
            tmp_path / "s.toml", good, feeds=[FEEDS[0]],
            extra="\n".join(f'[[source]]\nname = "{n}"\nurl = "{bad.url(p)}"\n' for n, p in [
                ("bad", "/feed.xml"), ("malformed", "/malformed.xml"), ("html", "/page-not-feed.xml"),
                ("down", "/nothing-here.xml")]),
        )
        result = run_kb("ingest", "--no-analyze", "--sources", str(sources))
    assert result.exit_code == 1, result.output
    statuses = dict(query(db_path, "select url, status from articles where url like ?", [bad.base_url + "%"]))
    assert statuses[bad.url("/missing.html")] == "http_error"
    assert statuses[bad.url("/error.html")] == "http_error"
    assert statuses[bad.url("/doc.pdf")] == "not_html"
    assert statuses[bad.url("/empty.html")] == "extract_failed"
    assert statuses[bad.url("/ok.html")] == "ok"
    reasons = dict(query(db_path, "select url, status_reason from articles"))
    assert "404" in reasons[bad.url("/missing.html")]
    source_state = dict(query(db_path, "select name, last_status from sources"))
    assert source_state["bad"] == "ok"
    assert source_state["html"] == "not_a_feed"
    assert source_state["down"] == "http_error"
    assert source_state["Cloudline Daily"] == "ok"
    run = query(db_path, "select status, sources_ok, sources_failed, errors from ingest_runs")[0]
    assert run[0] == "partial" and run[2] >= 2
    errors = json.loads(run[3])
    assert any("no link" in e for e in errors)
    # The good source was still ingested completely.
    assert query(db_path, "select count(*) from articles a join sources s on s.id = a.source_id "
                          "where s.name = 'Cloudline Daily' and a.status = 'ok'")[0][0] >= 10
    failed_next = query(db_path, "select next_retry_after from articles where status != 'ok'")
    assert all(row[0] for row in failed_next)


def test_failed_article_is_retried_when_due(run_kb, db_path, tmp_path):
    article = next((SAMPLE_DIR / "cloudline").rglob("*.html")).read_bytes()
    state = {"up": False}
    server = LoopbackServer()
    server.route("/feed.xml")(lambda h: respond(
        h, 200, f"<rss version='2.0'><channel><title>t</title><item><title>a</title><link>{server.url('/a.html')}</link>"
                "</item></channel></rss>", "application/rss+xml"))
    server.route("/a.html")(lambda h: respond(h, 200, article) if state["up"] else respond(h, 503, "later"))
    with server:
        sources = write_sources(tmp_path / "s.toml", server.base_url, feeds=[("s", "feed.xml", 0.5)])
        assert run_kb("ingest", "--no-analyze", "--sources", str(sources)).exit_code == 1
        assert query(db_path, "select status, attempts from articles") == [("http_error", 1)]
        state["up"] = True
        # Not due yet: the failure is not retried at once.
        run_kb("ingest", "--no-analyze", "--force", "--sources", str(sources))
        assert query(db_path, "select status from articles") == [("http_error",)]
        conn = sqlite3.connect(db_path)
        conn.execute("update articles set next_retry_after = '2000-01-01T00:00:00Z'")
        conn.commit()
        conn.close()
        result = run_kb("ingest", "--no-analyze", "--force", "--sources", str(sources))
        assert result.exit_code == 0, result.output
    assert query(db_path, "select status, attempts, count(*) from articles") == [("ok", 0, 1)]


def test_overlapping_run_is_refused_and_names_the_holder(run_kb, db_path):
    holder = IngestLock(db_path)
    holder.acquire(run=77)
    try:
        result = run_kb("ingest", "--no-analyze", "--sources", str(SAMPLE_DIR / "sources.toml"))
    finally:
        holder.release()
    assert result.exit_code == 1
    assert "run 77" in result.output and "another ingest run" in result.output
    assert not Path(db_path).exists() or query(db_path, "select count(*) from articles")[0][0] == 0


def test_stale_lock_and_interrupted_run_are_taken_over(run_kb, db_path):
    Path(f"{db_path}.lock").write_text(json.dumps({"pid": 999999, "run": 1}))
    assert run_kb("init").exit_code == 0
    conn = sqlite3.connect(db_path)
    conn.execute("insert into ingest_runs (started_at, status, pid) values ('2026-01-01T00:00:00Z', 'running', 999999)")
    conn.commit()
    conn.close()
    result = run_kb("ingest", "--no-analyze", "--sources", str(SAMPLE_DIR / "sources.toml"))
    assert result.exit_code == 0, result.output
    assert query(db_path, "select status from ingest_runs order by id") == [("interrupted",), ("ok",)]


def test_bad_sources_file_is_a_usage_error(run_kb, tmp_path):
    broken = tmp_path / "broken.toml"
    broken.write_text("[[source]]\nname = 'x'\n")
    result = run_kb("ingest", "--sources", str(broken))
    assert result.exit_code == 2
    assert "needs a `url`" in result.output
    missing = run_kb("ingest", "--sources", str(tmp_path / "nope.toml"))
    assert missing.exit_code == 2 and "file not found" in missing.output


def test_kb_add_ingests_single_pages(run_kb, db_path, sample_server, tmp_path):
    page = next((SAMPLE_DIR / "newsroomwire").rglob("*.html")).relative_to(SAMPLE_DIR)
    sources = write_sources(tmp_path / "s.toml", sample_server.base_url, feeds=[])
    refused = run_kb("add", "--no-analyze", "--sources", str(sources), sample_server.url(str(page)),
                     "ftp://example.com/x")
    assert refused.exit_code == 2 and "is not an http(s) URL" in refused.output  # refused before any run
    result = run_kb("add", "--no-analyze", "--sources", str(sources), sample_server.url(str(page)))
    assert result.exit_code == 0, result.output
    assert query(db_path, "select status from articles") == [("ok",)]


def test_reprocess_reevaluates_topic_rules(run_kb, db_path, tmp_path, monkeypatch):
    assert run_kb("ingest", "--sources", str(SAMPLE_DIR / "sources.toml")).exit_code == 0
    off_topic = [r[0] for r in query(db_path, "select id from articles where relevant = 0")]
    assert off_topic
    # Off-topic articles keep entities and dates but feed no events.
    marks = ",".join("?" * len(off_topic))
    assert query(db_path, f"select count(*) from event_mentions where article_id in ({marks})", off_topic) == [(0,)]
    assert query(db_path, f"select count(*) from mentions where article_id in ({marks})", off_topic)[0][0] > 0
    # A second topic added by configuration only: transit payments (one off-topic story is about it).
    topics = tmp_path / "data"
    topics.mkdir()
    (topics / "topics.toml").write_text(
        (SAMPLE_DIR.parent / "topics.toml").read_text()
        + '\n[[topic]]\nname = "transit"\nmin_score = 1\nkeywords = ["tap-to-pay", "fare"]\n'
    )
    monkeypatch.setattr("kb.core.config.DEFAULT_TOPICS", topics / "topics.toml")
    result = run_kb("reprocess")
    assert result.exit_code == 0, result.output
    rows = [r[0] for r in query(db_path, "select id from articles where topics = '[\"transit\"]'")]
    assert rows
    assert f"{len(rows)} articles changed relevance" in result.output
    assert len(query(db_path, "select id from articles where relevant = 0")) == len(off_topic) - len(rows)
    marks = ",".join("?" * len(rows))
    assert query(db_path, f"select count(*) from event_mentions where article_id in ({marks})", rows)[0][0] > 0


def test_file_links_inside_feeds_are_blocked(run_kb, db_path, tmp_path):
    server = LoopbackServer()
    server.route("/feed.xml")(lambda h: respond(
        h, 200, "<rss version='2.0'><channel><title>t</title>"
                "<item><title>a</title><link>file:///etc/passwd</link></item></channel></rss>",
        "application/rss+xml"))
    local = tmp_path / "local"
    local.mkdir()
    (local / "feed.xml").write_text(
        "<rss version='2.0'><channel><title>t</title>"
        "<item><title>b</title><link>../../../../../../etc/hostname</link></item>"
        "<item><title>c</title><link>file:///etc/hostname</link></item></channel></rss>")
    with server:
        sources = tmp_path / "s.toml"
        sources.write_text(f'allow_private_addresses = true\n[[source]]\nname = "remote"\nurl = "{server.url("/feed.xml")}"\n'
                           f'[[source]]\nname = "local"\nurl = "{local / "feed.xml"}"\n')
        result = run_kb("ingest", "--no-analyze", "--sources", str(sources))
    assert result.exit_code == 1
    rows = query(db_path, "select url, status, text from articles")
    assert len(rows) == 3
    assert all(status == "blocked" and text is None for _, status, text in rows), rows


def _what_ingest_built(path: Path) -> list:
    conn = sqlite3.connect(path)
    try:
        return [
            conn.execute("select canonical_url, status, content_hash, topics, relevant, duplicate_of is not null "
                         "from articles order by canonical_url").fetchall(),
            conn.execute("select e.type, e.date, e.status, e.importance, e.confidence from events e "
                         "order by e.id").fetchall(),
            conn.execute("select story_id, event_id from story_events order by 1, 2").fetchall(),
        ]
    finally:
        conn.close()


@pytest.mark.parametrize("in_process", [False, True], ids=["kb-process", "in-process"])
def test_ingest_with_two_workers_builds_what_one_builds(tmp_path, run_kb, in_process):
    """`--workers 2` runs extraction and NLP in worker processes (forked in a fresh `kb`
    process; from a fork server when the host process runs threads, as pytest's may)."""
    from tests.system.test_kill import run_kb_process

    sources = str(SAMPLE_DIR / "sources.toml")
    one, two = tmp_path / "one.db", tmp_path / "two.db"
    assert run_kb("--db", str(one), "ingest", "--sources", sources).exit_code == 0
    if in_process:
        result = run_kb("--db", str(two), "ingest", "--sources", sources, "--workers", "2")
        assert result.exit_code == 0, result.output
    else:
        result = run_kb_process(two, "ingest", "--sources", sources, "--workers", "2")
        assert result.returncode == 0, result.stderr
    built = _what_ingest_built(two)
    assert len(built[0]) == sample_page_count() and built[1] and built[2]
    assert built == _what_ingest_built(one)


def test_feed_update_of_an_article_dated_by_day_only(run_kb, db_path, tmp_path):
    """A stored date without a time ("2019-07-23") and a feed's timestamp compare (they raised
    TypeError, naive against aware, and stopped the run)."""
    site = tmp_path / "site"
    site.mkdir()
    page = SAMPLE_DIR / "cloudline" / "2019" / "07" / "microsoft-invests-1-billion-in-openai.html"
    (site / "story.html").write_text(page.read_text().replace("2019-07-23T06:30:00-07:00", "2019-07-23"))
    feed = ('<?xml version="1.0"?><rss version="2.0"><channel><title>One</title>'
            "<link>https://one.example/</link><item><title>Story</title><link>story.html</link>"
            "<guid>story-1</guid>{}</item></channel></rss>")
    (site / "feed.xml").write_text(feed.format(""))
    sources = tmp_path / "sources.toml"
    sources.write_text(f'[[source]]\nname = "One"\nurl = "{site / "feed.xml"}"\n')
    assert run_kb("ingest", "--no-analyze", "--sources", str(sources)).exit_code == 0
    assert query(db_path, "select published_at from articles") == [("2019-07-23",)]
    (site / "feed.xml").write_text(feed.format(
        '<updated xmlns="http://www.w3.org/2005/Atom">2026-04-16T18:00:00Z</updated>'))
    result = run_kb("ingest", "--no-analyze", "--force", "--sources", str(sources))
    assert result.exit_code == 0, result.output
    assert "1 unchanged" in result.output  # refetched, as the feed says it changed since
