"""What a remote server sends reaches the parsers as data, never as a name for them to open.

feedparser treats a bytes argument as a file name first, and trafilatura decompresses gzip
bodies it is given: a server could make a run read a local file or expand a page far past
the size cap. These tests run the real `kb ingest` against loopback servers.
"""

from __future__ import annotations

import gzip
import html
import json
import os
import re
import resource
import subprocess
import time
import zlib
from pathlib import Path

import trafilatura

from ingest.extract import MIN_TEXT_CHARS
from kb.core.excerpts import shorten
from tests.loopback import LoopbackServer, respond
from tests.system.test_hostile import article_page, sample_paragraphs
from tests.system.test_kill import kb_command, rows

MB = 1 << 20
MEMORY_LIMIT = 3 << 30  # address space of the `kb` subprocess: a runaway read fails instead of swamping the machine


def limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def run_kb_process(db_path: Path, *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    """The real `kb` in a subprocess, with a time and a memory limit."""
    return subprocess.run(kb_command(db_path, *args), capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, "KB_DEBUG": ""}, preexec_fn=limit_memory)


def write_sources(path: Path, *sources: tuple[str, str, str]) -> Path:
    path.write_text("allow_private_addresses = true\n\n" + "".join(
        f'[[source]]\nname = "{name}"\nurl = "{url}"\nkind = "{kind}"\n\n' for name, url, kind in sources))
    return path


def feed_with(server: LoopbackServer, *paths: str) -> None:
    items = "".join(f"<item><title>{html.escape(p)}</title><link>{server.url(p)}</link><guid>{p}</guid></item>"
                    for p in paths)
    server.routes["/feed.xml"] = lambda h: respond(
        h, 200, f"<rss version='2.0'><channel><title>t</title>{items}</channel></rss>", "application/rss+xml")


def test_a_feed_body_naming_a_local_feed_file_is_not_read(tmp_path):
    """A feed answered with the bare path of a local feed file: that file is not parsed in its place."""
    with LoopbackServer() as server:
        local_feed = tmp_path / "local-feed.xml"
        local_feed.write_text(
            "<?xml version='1.0'?><rss version='2.0'><channel><title>LOCAL-FEED-c0ffee</title>"
            f"<item><title>Local entry</title><link>{server.url('/from-local-file.html')}</link>"
            "<guid>local-1</guid></item></channel></rss>")
        server.routes["/feed.xml"] = lambda h: respond(h, 200, str(local_feed), "application/rss+xml")
        db_path = tmp_path / "kb.db"
        sources = write_sources(tmp_path / "sources.toml", ("path feed", server.url("/feed.xml"), "feed"))
        result = run_kb_process(db_path, "ingest", "--no-analyze", "--sources", str(sources), timeout=60)
        requested = server.paths_requested()
    assert "Traceback" not in result.stderr
    assert "/from-local-file.html" not in requested
    assert rows(db_path, "select count(*) from articles") == [(0,)]
    stored = rows(db_path, "select name, last_status, last_error from sources")
    assert "LOCAL-FEED-c0ffee" not in repr(stored)
    assert stored[0][1] == "not_a_feed", stored


def test_a_feed_body_naming_dev_zero_finishes_quickly_without_growing(tmp_path):
    """A feed answered with `/dev/zero` is refused as not a feed, fast and in little memory."""
    with LoopbackServer() as server:
        server.routes["/feed.xml"] = lambda h: respond(h, 200, "/dev/zero", "application/rss+xml")
        db_path = tmp_path / "kb.db"
        sources = write_sources(tmp_path / "sources.toml", ("zero feed", server.url("/feed.xml"), "feed"))
        started = time.monotonic()
        result = run_kb_process(db_path, "ingest", "--no-analyze", "--sources", str(sources), timeout=30)
        seconds = time.monotonic() - started
    assert "Traceback" not in result.stderr and "MemoryError" not in result.stderr, result.stderr[-2000:]
    assert seconds < 30
    assert rows(db_path, "select last_status from sources") == [("not_a_feed",)]


def test_a_sitemap_body_naming_a_local_file_is_not_read(tmp_path):
    """The sitemap parser is given the body as data too."""
    with LoopbackServer() as server:
        local_map = tmp_path / "local-sitemap.xml"
        local_map.write_text("<urlset xmlns='http://www.sitemaps.org/schemas/sitemap/0.9'>"
                             f"<url><loc>{server.url('/from-local-sitemap.html')}</loc></url></urlset>")
        server.routes["/sitemap.xml"] = lambda h: respond(h, 200, str(local_map), "application/xml")
        db_path = tmp_path / "kb.db"
        sources = write_sources(tmp_path / "sources.toml", ("path map", server.url("/sitemap.xml"), "sitemap"))
        run_kb_process(db_path, "ingest", "--no-analyze", "--sources", str(sources), timeout=60)
        requested = server.paths_requested()
    assert "/from-local-sitemap.html" not in requested
    assert rows(db_path, "select last_status from sources") == [("not_a_feed",)]


def raw_page_route(body: bytes):
    """A page whose body is compressed data, served as text/html WITHOUT Content-Encoding."""
    def route(handler) -> None:
        respond(handler, 200, body, "text/html; charset=utf-8")
    return route


def test_raw_compressed_pages_are_held_to_the_size_cap(tmp_path):
    """A page body that is itself gzip (or zlib) data expanding past the 10 MB cap is refused,
    not expanded to up to 20 MB by trafilatura; a small one is still read."""
    paragraphs = sample_paragraphs()
    padding = b"<!--" + b" " * (15 * MB) + b"-->"

    def padded(title: str, index: int) -> bytes:
        return article_page(title, "Zip", paragraphs[index][:6]).encode().replace(b"</body>", padding + b"</body>")

    gzip_bomb = gzip.compress(padded("Raw gzip bomb", 0), 9)
    zlib_bomb = zlib.compress(padded("Raw zlib bomb", 1), 9)
    assert len(gzip_bomb) < 100_000 and len(zlib_bomb) < 100_000
    small = gzip.compress(article_page("Raw gzip but small", "Zip", paragraphs[2][:6]).encode())
    with LoopbackServer() as server:
        server.routes["/gzip-bomb.html"] = raw_page_route(gzip_bomb)
        server.routes["/zlib-bomb.html"] = raw_page_route(zlib_bomb)
        server.routes["/small.html"] = raw_page_route(small)
        feed_with(server, "/gzip-bomb.html", "/zlib-bomb.html", "/small.html")
        db_path = tmp_path / "kb.db"
        sources = write_sources(tmp_path / "sources.toml", ("gz", server.url("/feed.xml"), "feed"))
        result = run_kb_process(db_path, "ingest", "--no-analyze", "--sources", str(sources), timeout=120)
    assert "Traceback" not in result.stderr
    found = {url.rsplit("/", 1)[1]: (status, reason, title) for url, status, reason, title in rows(
        db_path, "select url, status, status_reason, title from articles")}
    # gzip is undone by the HTTP client under its cap: too_large, with the reason.
    assert found["gzip-bomb.html"][:2] == (
        "too_large", "body is gzip data (no Content-Encoding) inflating past 10000000 bytes"), found
    # zlib (no magic number) is left to trafilatura, now held to the same cap: not extracted.
    assert found["zlib-bomb.html"][0] == "extract_failed", found
    assert found["small.html"] == ("ok", None, "Raw gzip but small"), found


def plain(paragraph: str) -> str:
    """A sample paragraph (HTML) as text."""
    return html.unescape(re.sub(r"<[^>]+>", "", paragraph))


def footer_shaped_page(title: str, paragraphs: list[str]) -> str:
    """A short, valid page whose text trafilatura's fast rules miss (a `footer` class, lines
    split by <br>) while its full extraction (readability, jusText) reads it."""
    lines = "<br>".join(html.escape(plain(p)) for p in paragraphs)
    return (f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
            f"</head><body><p>Abc</p><div class='footer article'>{lines}</div></body></html>")


def test_a_page_the_fast_extraction_misses_is_read_by_the_full_one(tmp_path):
    paragraphs = sample_paragraphs()[3][:5]
    page = footer_shaped_page("Footer-shaped article", paragraphs)
    fast = trafilatura.bare_extraction(page, fast=True, include_comments=False, include_tables=False)
    assert len(fast.text) < MIN_TEXT_CHARS  # the shape still defeats the fast path, as in ingest/extract.py
    with LoopbackServer() as server:
        server.routes["/footer.html"] = lambda h: respond(h, 200, page)
        feed_with(server, "/footer.html")
        db_path = tmp_path / "kb.db"
        sources = write_sources(tmp_path / "sources.toml", ("footer", server.url("/feed.xml"), "feed"))
        result = run_kb_process(db_path, "ingest", "--no-analyze", "--sources", str(sources))
    assert "Traceback" not in result.stderr
    [(status, reason, title, text)] = rows(db_path, "select status, status_reason, title, text from articles")
    assert (status, reason, title) == ("ok", None, "Footer-shaped article")
    assert len(text) > 1000 and text.endswith(plain(paragraphs[-1]))


LONG_SENTENCE = (
    "In a filing that ran to several hundred pages and that lawyers for both sides described as unusually "
    "detailed, the regulators set out how suppliers across three continents had been approached, how the "
    "board had weighed the risks of the acquisition against the cost of waiting another year, and why "
    "Zorblax Quantum Holdings had chosen to secure the rights to the disputed designs before the trial "
    "began rather than after it ended, a choice that legal experts say the tribunal will examine closely "
    "when the hearings resume in the autumn after a long summer recess."
)


def test_over_long_text_is_cut_at_word_boundaries(tmp_path):
    """An article whose first mention of a new name sits in a 500-character sentence: the
    example `kb entities candidates` shows is cut at word boundaries, with ellipses."""
    paragraphs = [plain(p) for p in sample_paragraphs()[4][:4]]
    page = article_page("A long filing", "Jo Writer", [html.escape(LONG_SENTENCE), *map(html.escape, paragraphs)])
    with LoopbackServer() as server:
        server.routes["/long.html"] = lambda h: respond(h, 200, page)
        feed_with(server, "/long.html")
        db_path = tmp_path / "kb.db"
        sources = write_sources(tmp_path / "sources.toml", ("long", server.url("/feed.xml"), "feed"))
        result = run_kb_process(db_path, "ingest", "--sources", str(sources), timeout=300)
    assert "Traceback" not in result.stderr
    [(text,)] = rows(db_path, "select text from articles where status = 'ok'")
    assert text.startswith(LONG_SENTENCE)  # stored whole
    listed = subprocess.run(kb_command(db_path, "entities", "candidates", "--json"), capture_output=True,
                            text=True, timeout=120)
    examples = [c["example"] for c in json.loads(listed.stdout) if c["name"] == "Zorblax Quantum Holdings"]
    assert len(examples) == 1, listed.stdout[:2000]
    example = examples[0]
    assert example.startswith("…") and example.endswith("…") and len(example) <= 302, example
    inner = example[1:-1]
    words = LONG_SENTENCE.split()
    assert " ".join(words).find(inner) >= 0, inner  # a run of the sentence's text ...
    assert inner.split()[0] in words and inner.rstrip(",;:").split()[-1] in [w.rstrip(",;:") for w in words]


def test_shorten_ends_at_a_word():
    assert shorten("Legal experts say the trial will begin", 25) == "Legal experts say the…"
    assert shorten("abc def ghi", 7) == "abc def…"  # the cut falls at a word end: that word stays
    assert shorten("one, two, three", 9) == "one, two…"  # no comma before the ellipsis
    assert shorten("x" * 10, 5) == "xxxxx…"  # one word longer than the limit: nothing better
    assert shorten("short", 5) == "short"
