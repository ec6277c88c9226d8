"""Per-host politeness for page fetches: a concurrency limit and robots.txt Crawl-delay spacing."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit

from kb.errors import FetchError

log = logging.getLogger(__name__)

# A host asking for more than this between requests is skipped for the run (its pages are retried later).
MAX_CRAWL_DELAY = 60.0
# A host with a Crawl-delay gets at most this long of a run; its later pages wait for a later run.
MAX_HOST_SECONDS = 60.0


class HostLimiter:
    """At most `limit` fetches to one host at a time; for a host with a robots.txt Crawl-delay, one at a time.

    `crawl_delay(url)` gives the seconds a host asks for between requests, or None. The delay
    runs from the end of one request to that host to the start of the next, so the server sees
    its requests at least that far apart. So that one slow site cannot stall a cron run, a delay
    over `max_delay` skips the host's pages, and a page whose turn would come more than
    `max_host_seconds` after the host's first request of the run is left for a later run; both
    raise FetchError("blocked") with the reason, so the page is recorded and retried like any
    failed fetch.
    """

    def __init__(self, limit: int, *, crawl_delay: Callable[[str], float | None] | None = None,
                 max_delay: float = MAX_CRAWL_DELAY, max_host_seconds: float = MAX_HOST_SECONDS,
                 clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep):
        self.limit = max(1, limit)
        self.crawl_delay = crawl_delay
        self.max_delay = max_delay
        self.max_host_seconds = max_host_seconds
        self.clock = clock
        self.sleep = sleep
        self.lock = threading.Lock()
        self.semaphores: dict[str, threading.Semaphore] = {}
        self.turn_locks: dict[str, threading.Lock] = {}
        self.next_turn: dict[str, float] = {}
        self.first_request: dict[str, float] = {}

    @contextmanager
    def slot(self, url: str) -> Iterator[None]:
        """Wait for a free slot and the host's turn; the fetch runs inside the block."""
        host = urlsplit(url).netloc.lower()
        delay = self.delay_for(url)
        if delay > self.max_delay:
            raise FetchError("blocked", f"robots.txt asks for a Crawl-delay of {delay:g}s, more than the "
                                        f"{self.max_delay:g}s a run waits: skipped this run, retried later")
        with self.lock:
            semaphore = self.semaphores.setdefault(host, threading.Semaphore(self.limit))
            turn_lock = self.turn_locks.setdefault(host, threading.Lock())
        with semaphore:
            if delay <= 0:
                yield
                return
            with turn_lock:  # a host with a Crawl-delay gets one request at a time
                self.wait_for_turn(host, delay)
                try:
                    yield
                finally:
                    self.next_turn[host] = self.clock() + delay

    def delay_for(self, url: str) -> float:
        """The host's Crawl-delay in seconds (0 when it asks for none, and for file:// URLs)."""
        if self.crawl_delay is None or not url.startswith(("http://", "https://")):
            return 0.0
        return self.crawl_delay(url) or 0.0

    def wait_for_turn(self, host: str, delay: float) -> None:
        """Sleep until the host's turn comes; raise FetchError when it comes too late in the run."""
        now = self.clock()
        turn = max(now, self.next_turn.get(host, now))
        first = self.first_request.setdefault(host, turn)
        if turn - first > self.max_host_seconds:
            raise FetchError("blocked", f"robots.txt asks for a Crawl-delay of {delay:g}s and this run already "
                                        f"gave the host {self.max_host_seconds:g}s: left for a later run")
        if turn > now:
            log.debug("%s: waiting %.1fs (robots.txt Crawl-delay %gs)", host, turn - now, delay)
            self.sleep(turn - now)
