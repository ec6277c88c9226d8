"""robots.txt Crawl-delay during real `kb ingest` runs against two loopback hosts, and the limiter's caps."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

import pytest

from ingest.politeness import Deferred, HostLimiter
from tests.conftest import SAMPLE_DIR
from tests.loopback import LoopbackServer, respond
from tests.system.test_kill import rows

PAGES = sorted(SAMPLE_DIR.rglob("*.html"))


def serve_site(server: LoopbackServer, robots: str | None, count: int, offset: int) -> list[float]:
    """Routes for a feed of `count` distinct sample articles (and robots.txt); returns the page request times."""
    times: list[float] = []
    paths = [f"/story-{n}.html" for n in range(count)]
    for n, path in enumerate(paths):
        page = PAGES[offset + n].read_bytes()

        def article(handler, page=page):
            times.append(time.monotonic())
            respond(handler, 200, page)

        server.routes[path] = article
    items = "".join(f"<item><title>{p}</title><link>{server.url(p)}</link><guid>{p}</guid></item>" for p in paths)
    feed = f"<?xml version='1.0'?><rss version='2.0'><channel><title>t</title>{items}</channel></rss>"
    server.routes["/feed.xml"] = lambda h: respond(h, 200, feed, "application/rss+xml")
    if robots is not None:
        server.routes["/robots.txt"] = lambda h: respond(h, 200, robots, "text/plain")
    return times


def write_sources(path: Path, *servers: LoopbackServer) -> Path:
    blocks = [f'[[source]]\nname = "site {n}"\nurl = "{s.url("/feed.xml")}"\nmin_interval_seconds = 0\n'
              for n, s in enumerate(servers)]
    path.write_text("allow_private_addresses = true\n\n" + "\n".join(blocks))
    return path


def test_a_hosts_crawl_delay_spaces_its_requests_and_no_other_hosts(run_kb, db_path, tmp_path):
    with LoopbackServer() as slow, LoopbackServer() as fast:
        slow_times = serve_site(slow, "User-agent: *\nCrawl-delay: 1\n", count=3, offset=0)
        fast_times = serve_site(fast, None, count=4, offset=10)
        sources = write_sources(tmp_path / "sources.toml", slow, fast)  # the slow host's pages are queued first
        result = run_kb("ingest", "--no-analyze", "--sources", str(sources))
    assert result.exit_code == 0, result.output
    assert len(slow_times) == 3 and len(fast_times) == 4
    gaps = [b - a for a, b in zip(slow_times, slow_times[1:], strict=False)]
    assert all(gap >= 1.0 for gap in gaps), gaps
    assert max(fast_times) < slow_times[1]  # the other host's pages did not wait behind the slow one
    assert rows(db_path, "select count(*) from articles where status = 'ok'") == [(7,)]


def test_an_absurd_crawl_delay_skips_the_host_for_the_run_and_says_why(run_kb, db_path, tmp_path):
    with LoopbackServer() as stalling, LoopbackServer() as fast:
        stalled_times = serve_site(stalling, "User-agent: *\nCrawl-delay: 3600\n", count=2, offset=0)
        serve_site(fast, None, count=2, offset=10)
        sources = write_sources(tmp_path / "sources.toml", stalling, fast)
        started = time.monotonic()
        result = run_kb("ingest", "--no-analyze", "--sources", str(sources))
        elapsed = time.monotonic() - started
        assert result.exit_code == 1  # some pages were not fetched: a partial run
        assert stalled_times == []
        assert elapsed < 30  # nowhere near an hour
        skipped = rows(db_path, "select status, status_reason, next_retry_after from articles "
                                "where url like ? order by id", [stalling.base_url + "%"])
        assert [s for s, _, _ in skipped] == ["blocked", "blocked"]
        assert all("Crawl-delay of 3600s" in reason and "retried later" in reason for _, reason, _ in skipped)
        assert all(retry is not None for _, _, retry in skipped)
        assert rows(db_path, "select count(*) from articles where status = 'ok' and url like ?",
                    [fast.base_url + "%"]) == [(2,)]
        # Once its retry time has come and the site asks for less, the pages are fetched.
        stalling.routes["/robots.txt"] = lambda h: respond(h, 200, "User-agent: *\nCrawl-delay: 0\n", "text/plain")
        with sqlite3.connect(db_path) as conn:
            conn.execute("update articles set next_retry_after = '2000-01-01T00:00:00Z' where status = 'blocked'")
        again = run_kb("ingest", "--no-analyze", "--sources", str(sources))
    assert again.exit_code == 0, again.output
    assert len(stalled_times) == 2
    assert rows(db_path, "select count(*) from articles where status = 'ok'") == [(4,)]


class FakeClock:
    """A clock whose sleep advances it, so the caps can be checked without waiting."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_a_host_gets_at_most_its_budget_of_a_run():
    clock = FakeClock()
    limiter = HostLimiter(2, crawl_delay=lambda url: 10.0, host_budget=25, clock=clock, sleep=clock.sleep)
    fetched, deferred = [], []
    for n in range(5):
        try:
            with limiter.slot(f"https://slow.example/{n}") as seconds:
                assert seconds <= 25
                fetched.append(n)
                clock.now += 0.5  # the request itself takes half a second
        except Deferred as exc:
            deferred.append(str(exc))
    assert deferred == ["slow.example had its 25s of this run: left for the next run"] * 2
    assert fetched == [0, 1, 2]  # turns at 0, 10.5 and 21 s; the next would come at 31.5 s
    assert clock.slept == [10.0, 10.0]
    with limiter.slot("https://other.example/x"):  # hosts are separate
        pass


def test_without_crawl_delay_per_host_concurrency_is_kept():
    limiter = HostLimiter(2, crawl_delay=lambda url: None)
    inside, peak, lock = [0], [0], threading.Lock()

    def fetch_one(n: int) -> None:
        with limiter.slot(f"https://busy.example/{n}"):
            with lock:
                inside[0] += 1
                peak[0] = max(peak[0], inside[0])
            time.sleep(0.05)
            with lock:
                inside[0] -= 1

    threads = [threading.Thread(target=fetch_one, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert peak[0] == 2


@pytest.mark.parametrize("url", ["file:///srv/corpus/a.html", "https://nodelay.example/a"])
def test_no_delay_means_no_waiting(url):
    clock = FakeClock()
    limiter = HostLimiter(1, crawl_delay=lambda u: None if u.startswith("https") else 99.0,
                          clock=clock, sleep=clock.sleep)
    for _ in range(3):
        with limiter.slot(url):
            pass
    assert clock.slept == []
