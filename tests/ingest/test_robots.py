"""robots.txt rules, served by a real loopback server and read through the real fetcher."""

from __future__ import annotations

import gzip
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from ingest.http import FetchPolicy
from ingest.robots import ROBOTS_MAX_BYTES, RobotsCache
from tests.loopback import LoopbackServer, respond

LOCAL = FetchPolicy(allow_private=True)

ROBOTS = """\
# comments are ignored
User-agent: otherbot
Disallow: /

User-agent: newskb
Disallow: /private/
Disallow: /
Allow: /news/
Crawl-delay: 2.5

User-agent: *
Disallow: /
"""



def serve_robots(server: LoopbackServer, status: int, text: str = "") -> None:
    server.routes["/robots.txt"] = lambda h: respond(h, status, text, "text/plain; charset=utf-8")


def test_rules_for_our_agent_are_honoured(loopback):
    serve_robots(loopback, 200, ROBOTS)
    robots = RobotsCache(policy=LOCAL)
    assert robots.allowed(loopback.url("/news/2025/story.html"))
    assert not robots.allowed(loopback.url("/news"))  # "/news/" is the allowed prefix, not "/news"
    assert not robots.allowed(loopback.url("/private/news/x"))
    assert not robots.allowed(loopback.url("/opinion/x"))
    assert robots.crawl_delay(loopback.url("/news/x")) == 3.0  # 2.5 rounded up, never down
    assert loopback.paths_requested() == ["/robots.txt"]  # one fetch, then the cache


def test_wildcard_group_applies_to_unnamed_agents(loopback):
    serve_robots(loopback, 200, "User-agent: *\nDisallow: /search\nCrawl-delay: 4\n")
    robots = RobotsCache(policy=FetchPolicy(allow_private=True, user_agent="somebot/2.0"))
    assert not robots.allowed(loopback.url("/search?q=openai"))
    assert robots.allowed(loopback.url("/story"))
    assert robots.crawl_delay(loopback.url("/story")) == 4.0


@pytest.mark.parametrize(("status", "allowed"), [(404, True), (410, True), (401, False), (403, False),
                                                 (500, True)])
def test_robots_status_codes(loopback, status, allowed):
    serve_robots(loopback, status, "User-agent: *\nDisallow: /\n")
    robots = RobotsCache(policy=LOCAL)
    assert robots.allowed(loopback.url("/news/x")) is allowed
    assert robots.crawl_delay(loopback.url("/news/x")) is None


def test_server_error_is_retried_after_the_short_delay_but_404_is_cached(loopback):
    now = [1000.0]
    serve_robots(loopback, 503)
    robots = RobotsCache(policy=LOCAL, ttl=3600, retry_after=60, clock=lambda: now[0])
    assert robots.allowed(loopback.url("/a"))
    now[0] += 30
    assert robots.allowed(loopback.url("/b"))
    assert loopback.paths_requested() == ["/robots.txt"]
    serve_robots(loopback, 200, "User-agent: *\nDisallow: /b\n")
    now[0] += 31
    assert not robots.allowed(loopback.url("/b"))
    assert loopback.paths_requested() == ["/robots.txt", "/robots.txt"]
    now[0] += 3599
    assert not robots.allowed(loopback.url("/b"))
    assert len(loopback.requests) == 2  # still inside the TTL


def test_unreachable_host_allows_for_now():
    robots = RobotsCache(policy=FetchPolicy(allow_private=True, connect_timeout=1))
    assert robots.allowed("http://127.0.0.1:9/news/x")  # discard port: nothing listens
    assert robots.crawl_delay("http://127.0.0.1:9/news/x") is None


def test_robots_on_a_blocked_address_defers_to_the_fetcher(loopback):
    serve_robots(loopback, 200, "User-agent: *\nDisallow: /\n")
    robots = RobotsCache()  # default policy: loopback is blocked, so robots.txt is never read
    assert robots.allowed(loopback.url("/x"))
    assert loopback.requests == []


def test_file_urls_are_always_allowed():
    robots = RobotsCache(policy=LOCAL)
    assert robots.allowed("file:///srv/corpus/feed.xml")
    assert robots.crawl_delay("file:///srv/corpus/feed.xml") is None


def test_hosts_are_cached_separately(loopback):
    serve_robots(loopback, 200, "User-agent: *\nDisallow: /x\n")
    robots = RobotsCache(policy=LOCAL)
    assert not robots.allowed(loopback.url("/x"))
    assert not robots.allowed(f"http://localhost:{loopback.port}/x")
    assert loopback.paths_requested() == ["/robots.txt", "/robots.txt"]


def test_concurrent_first_questions_fetch_robots_once(loopback):
    def slow_robots(handler):
        time.sleep(0.2)
        respond(handler, 200, "User-agent: *\nDisallow: /x\n", "text/plain")

    loopback.routes["/robots.txt"] = slow_robots
    robots = RobotsCache(policy=LOCAL)
    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(robots.allowed, [loopback.url(f"/x/{n}") for n in range(8)]))
    assert answers == [False] * 8
    assert loopback.paths_requested() == ["/robots.txt"]


WILDCARD_ROBOTS = """\
User-agent: newskb
Disallow: /*.pdf$
Disallow: /drafts*/
Disallow: /*?sessionid=
Allow: /reports/*.pdf$
Disallow: /archive$
Disallow: /tag/*/feed
"""


@pytest.mark.parametrize(("path", "allowed"), [
    ("/files/annual.pdf", False),            # `*` spans directories, `$` ends the path
    ("/files/annual.pdf?download=1", True),  # ... so a query after .pdf is not the end
    ("/files/annual.pdfx", True),
    ("/reports/q3.pdf", True),               # the longer Allow pattern wins
    ("/drafts/x", False),
    ("/drafts-2026/x", False),
    ("/draft/x", True),
    ("/news/story?sessionid=9", False),
    ("/news/story?page=2&sessionid=9", True),  # the pattern asks for "?sessionid=" literally
    ("/archive", False),
    ("/archive/2026", True),
    ("/tag/openai/feed/", False),
    ("/tag/openai/", True),
    ("/news/story.html", True),
])
def test_wildcards_and_end_anchors_in_rules(loopback, path, allowed):
    serve_robots(loopback, 200, WILDCARD_ROBOTS)
    assert RobotsCache(policy=LOCAL).allowed(loopback.url(path)) is allowed


def test_a_bare_star_disallows_everything(loopback):
    serve_robots(loopback, 200, "User-agent: *\nDisallow: *\nAllow: /open/\n")
    robots = RobotsCache(policy=LOCAL)
    assert not robots.allowed(loopback.url("/news/x"))
    assert not robots.allowed(loopback.url("/"))
    assert robots.allowed(loopback.url("/open/x"))


def test_many_stars_match_a_long_url_without_backtracking(loopback):
    serve_robots(loopback, 200, "User-agent: *\nDisallow: /" + "*a" * 40 + "$\n")
    robots = RobotsCache(policy=LOCAL)
    assert robots.allowed(loopback.url("/" + "ab" * 38 + "b" * 1900 + "a"))  # 39 a's: one short
    assert not robots.allowed(loopback.url("/" + "ab" * 39 + "b" * 1900 + "a"))


@pytest.mark.parametrize("encoding", ["identity", "gzip"])
def test_an_oversized_robots_txt_is_read_up_to_500_kib_not_ignored(loopback, encoding):
    """RFC 9309: a crawler may stop at 500 KiB; what comes before is still the site's rules."""
    filler = "".join(f"# padding line {i:06d} {'x' * 60}\n" for i in range(20_000))  # about 1.5 MB
    text = "User-agent: *\nDisallow: /private/\n" + filler + "Disallow: /after-the-cap/\n"
    body = text.encode()
    assert len(body) > 1_000_000
    headers = {}
    if encoding == "gzip":
        body, headers = gzip.compress(body), {"Content-Encoding": "gzip"}
    loopback.routes["/robots.txt"] = lambda h: respond(h, 200, body, "text/plain", headers)
    robots = RobotsCache(policy=LOCAL)
    assert not robots.allowed(loopback.url("/private/x"))
    assert robots.allowed(loopback.url("/news/x"))
    assert robots.allowed(loopback.url("/after-the-cap/x"))  # past 500 KiB: not read


def test_a_cut_robots_txt_does_not_keep_half_a_rule(loopback):
    """The last, cut line is dropped: `Disallow: /pri` of `/private/` would forbid too much."""
    head = "User-agent: *\n"
    filler = "#" * (ROBOTS_MAX_BYTES - len(head) - len("Disallow: /pri") - 1) + "\n"
    text = head + filler + "Disallow: /private/\n"
    assert text.encode()[:ROBOTS_MAX_BYTES].endswith(b"\nDisallow: /pri")
    serve_robots(loopback, 200, text)
    robots = RobotsCache(policy=LOCAL)
    assert robots.allowed(loopback.url("/pri"))
    assert robots.allowed(loopback.url("/private/x"))  # the cut rule is not half-applied
