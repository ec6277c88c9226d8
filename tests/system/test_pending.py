"""Entries a run planned and did not finish (killed, or out of time) are fetched by the next plain run.

Real `kb ingest` processes against feeds served on loopback; the sources are not due again
on the next run (the default 15-minute interval), so only the pending entries bring the
rest of the articles in.
"""

from __future__ import annotations

import random
import sqlite3
import subprocess
import time
from pathlib import Path

from tests.loopback import LoopbackServer, respond
from tests.system.test_kill import assert_consistent, kb_command, rows, run_kb_process

WORDS = ("council budget river harbour bridge school hospital railway festival museum library market "
         "election court farmers storm energy water housing transport tourism factory union mayor "
         "report study museum orchestra stadium airport ferry tunnel forest coast valley village").split()


def article_html(n: int) -> bytes:
    """A distinct English article page (seeded text, so no two pages are near-duplicates)."""
    rng = random.Random(n)
    paragraphs = []
    for _ in range(4):
        sentences = [" ".join(rng.choice(WORDS) for _ in range(12)).capitalize() + "." for _ in range(3)]
        paragraphs.append(f"<p>Story {n}. {' '.join(sentences)}</p>")
    return (f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>Story {n}</title></head>"
            f"<body><article><h1>Story {n} on the {rng.choice(WORDS)}</h1>{''.join(paragraphs)}</article>"
            "</body></html>").encode()


class Site:
    """A feed of `count` article pages on a loopback server; each page answers after `delay`
    seconds, sending its body in `drip` pieces spread over that time when drip > 1."""

    def __init__(self, server: LoopbackServer, count: int, delay: float = 0.0, drip: int = 1, offset: int = 0):
        self.server, self.delay, self.drip = server, delay, drip
        self.paths = [f"/story-{offset + n}.html" for n in range(count)]
        for n, path in enumerate(self.paths):
            page = article_html(offset + n)
            server.routes[path] = lambda handler, page=page: self.answer(handler, page)
        items = "".join(f"<item><title>{p}</title><link>{server.url(p)}</link><guid>{p}</guid></item>"
                        for p in self.paths)
        feed = f"<?xml version='1.0'?><rss version='2.0'><channel><title>t</title>{items}</channel></rss>"
        server.routes["/feed.xml"] = lambda h: respond(h, 200, feed, "application/rss+xml")

    def answer(self, handler, page: bytes) -> None:
        if self.drip <= 1:
            time.sleep(self.delay)
            respond(handler, 200, page)
            return
        handler.send_response(200)
        handler.send_header("Content-Type", "text/html; charset=utf-8")
        handler.send_header("Content-Length", str(len(page)))
        handler.end_headers()
        step = -(-len(page) // self.drip)
        for start in range(0, len(page), step):
            handler.wfile.write(page[start:start + step])
            handler.wfile.flush()
            time.sleep(self.delay / self.drip)

    def stored(self, db_path: Path) -> int:
        return rows(db_path, "select count(*) from articles where status = 'ok' and url like ?",
                    [self.server.base_url + "/%"])[0][0]


def write_sources(path: Path, *sites: Site, settings: str = "") -> Path:
    """Sources at the default 15-minute interval: not due again on the next run."""
    blocks = [f'[[source]]\nname = "site {n}"\nurl = "{site.server.url("/feed.xml")}"\n' for n, site in enumerate(sites)]
    path.write_text(f"allow_private_addresses = true\n{settings}\n" + "\n".join(blocks))
    return path


def count(db_path: Path, sql: str) -> int:
    try:
        return rows(db_path, sql)[0][0]
    except sqlite3.OperationalError:  # not created yet
        return 0


def start_and_kill(db_path: Path, sources: Path, until: str, at_least: int) -> None:
    """Start `kb ingest` and SIGKILL it once `until` (a count query) reaches `at_least`."""
    process = subprocess.Popen(kb_command(db_path, "ingest", "--no-analyze", "--sources", str(sources)),
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    try:
        while count(db_path, until) < at_least:
            assert process.poll() is None, "the run ended before it could be killed"
            assert time.monotonic() < deadline, "the run never got there"
            time.sleep(0.01)
    finally:
        process.kill()
        process.wait()


STORED = "select count(*) from articles where status = 'ok'"
FEED_READ = "select count(*) from sources where last_fetched_at is not null"


def finish(db_path: Path, sources: Path) -> subprocess.CompletedProcess:
    result = run_kb_process(db_path, "ingest", "--no-analyze", "--sources", str(sources))
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    return result


def test_a_killed_run_leaves_no_article_waiting_for_the_sources_interval(tmp_path):
    with LoopbackServer() as server:
        site = Site(server, 120, delay=0.03)
        sources = write_sources(tmp_path / "sources.toml", site)
        db_path = tmp_path / "kb.db"
        start_and_kill(db_path, sources, STORED, 50)  # after the first batch was committed
        assert_consistent(db_path)
        assert site.stored(db_path) < 120
        result = finish(db_path, sources)  # plain: no --force, and the source is not due
        assert "1 not due" in result.stderr
        assert site.stored(db_path) == 120
    assert rows(db_path, "select count(*) from pending_entries") == [(0,)]
    assert rows(db_path, "select status from ingest_runs order by id") == [("interrupted",), ("ok",)]


def test_killed_again_and_again_then_one_plain_run_stores_everything(tmp_path):
    with LoopbackServer() as server:
        site = Site(server, 120, delay=0.03)
        sources = write_sources(tmp_path / "sources.toml", site)
        db_path = tmp_path / "kb.db"
        start_and_kill(db_path, sources, FEED_READ, 1)  # as soon as the feed's fetch was recorded
        start_and_kill(db_path, sources, STORED, 50)
        start_and_kill(db_path, sources, STORED, 100)
        assert_consistent(db_path)
        feed_requests = server.paths_requested().count("/feed.xml")
        finish(db_path, sources)
        assert site.stored(db_path) == 120
        assert server.paths_requested().count("/feed.xml") == feed_requests  # the feed was not due again
    assert rows(db_path, "select count(*) from pending_entries") == [(0,)]
    assert rows(db_path, "select count(*) from articles where status != 'ok'") == [(0,)]


def test_pending_entries_are_fetched_even_when_the_feed_no_longer_lists_them(tmp_path):
    with LoopbackServer() as server:
        site = Site(server, 120, delay=0.03)
        sources = write_sources(tmp_path / "sources.toml", site)
        db_path = tmp_path / "kb.db"
        start_and_kill(db_path, sources, STORED, 50)
        server.routes["/feed.xml"] = lambda h: respond(
            h, 200, "<?xml version='1.0'?><rss version='2.0'><channel><title>t</title></channel></rss>",
            "application/rss+xml")
        result = run_kb_process(db_path, "ingest", "--no-analyze", "--force", "--sources", str(sources))
        assert result.returncode == 0, result.stderr
        assert "1 ok" in result.stderr  # the feed was read again, and listed nothing
        assert site.stored(db_path) == 120
