"""Per-host politeness and time budgets for page fetches: a concurrency limit, robots.txt
Crawl-delay spacing, and how much of a run one host, and the whole run, may take."""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit

from ingest.exceptions import FetchError

log = logging.getLogger(__name__)

# A host asking for more than this between requests is skipped for the run (its pages are
# retried later).
MAX_CRAWL_DELAY = 60.0
# How long one host may take of a run, and how long a run may fetch pages (seconds), before what
# is left waits for the next run: the defaults of a sources file's `host_budget` and `run_budget`.
HOST_BUDGET = 120.0
RUN_BUDGET = 1800.0


class Deferred(Exception):  # noqa: N818 - not an error: the page is left for the next run
    """A page not fetched because its host's or the run's time budget is spent; the next run fetches it."""


class HostLimiter:
    """At most `limit` fetches to one host at a time; for a host with a robots.txt Crawl-delay,
    one at a time; and no fetch once the host's or the run's time is up.

    `crawl_delay(url)` gives the seconds a host asks for between requests, or None. The delay
    runs from the end of one request to that host to the start of the next, so the server sees
    its requests at least that far apart. A delay over `max_delay` skips the host's pages with
    FetchError("blocked"), recorded and retried like any failed fetch. So that one slow host
    cannot stall a cron run, a host gets `host_budget` seconds from its first request of the
    run, and no fetch starts after `deadline` (a `clock()` time, the end of the run's budget):
    a page whose turn would come later raises Deferred, and is left for the next run.
    `slot()` gives the fetch the seconds left, so a fetch under way can be cut off in time.
    """

    def __init__(self, limit: int, *, crawl_delay: Callable[[str], float | None] | None = None,
                 max_delay: float = MAX_CRAWL_DELAY, host_budget: float = HOST_BUDGET,
                 deadline: float | None = None,
                 clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep):
        self.limit = max(1, limit)
        self.crawl_delay = crawl_delay
        self.max_delay = max_delay
        self.host_budget = host_budget
        self.deadline = deadline
        self.clock = clock
        self.sleep = sleep
        self.lock = threading.Lock()
        self.semaphores: dict[str, threading.Semaphore] = {}
        self.turn_locks: dict[str, threading.Lock] = {}
        self.next_turn: dict[str, float] = {}
        self.first_request: dict[str, float] = {}

    @contextmanager
    def slot(self, url: str) -> Iterator[float]:
        """Wait for a free slot and the host's turn; the fetch runs inside the block, within
        the seconds the block is given."""
        host = host_of(url)
        delay = self.delay_for(url)
        if delay > self.max_delay:
            raise FetchError("blocked", f"robots.txt asks for a Crawl-delay of {delay:g}s, more than the "
                                        f"{self.max_delay:g}s a run waits: skipped this run, retried later")
        self.seconds_left(host, self.clock())
        with self.lock:
            semaphore = self.semaphores.setdefault(host, threading.Semaphore(self.limit))
            turn_lock = self.turn_locks.setdefault(host, threading.Lock())
        with semaphore:
            if delay <= 0:
                yield self.seconds_left(host, self.clock(), start=True)
                return
            with turn_lock:  # a host with a Crawl-delay gets one request at a time
                self.wait_for_turn(host, delay)
                try:
                    yield self.seconds_left(host, self.clock(), start=True)
                finally:
                    self.next_turn[host] = self.clock() + delay

    def delay_for(self, url: str) -> float:
        """The host's Crawl-delay in seconds (0 when it asks for none, and for file:// URLs)."""
        if self.crawl_delay is None or not url.startswith(("http://", "https://")):
            return 0.0
        return self.crawl_delay(url) or 0.0

    def seconds_left(self, host: str, at: float, start: bool = False) -> float:
        """The time a fetch of `host` starting `at` may take; Deferred when there is none.
        `start` marks a fetch that begins now, which starts the host's budget if it is its first."""
        first = self.first_request.get(host)
        if start and first is None and host:
            first = self.first_request.setdefault(host, at)
        left = math.inf
        if first is not None:
            left = first + self.host_budget - at
            if left <= 0:
                raise Deferred(f"{host} had its {self.host_budget:g}s of this run: left for the next run")
        if self.deadline is not None:
            if self.deadline - at <= 0:
                raise Deferred("the run's time is up: left for the next run")
            left = min(left, self.deadline - at)
        return left

    def run_over(self) -> bool:
        """Whether the run's time is up: no more fetches start."""
        return self.deadline is not None and self.clock() >= self.deadline

    def spent(self, url: str) -> bool:
        """Whether the host's or the run's time is up (a fetch cut off then is deferred, not failed)."""
        try:
            self.seconds_left(host_of(url), self.clock())
        except Deferred:
            return True
        return False

    def wait_for_turn(self, host: str, delay: float) -> None:
        """Sleep until the host's turn comes; Deferred when it comes after the host's or the run's time."""
        now = self.clock()
        turn = max(now, self.next_turn.get(host, now))
        self.first_request.setdefault(host, turn)
        self.seconds_left(host, turn)
        if turn > now:
            log.debug("%s: waiting %.1fs (robots.txt Crawl-delay %gs)", host, turn - now, delay)
            self.sleep(turn - now)


def host_of(url: str) -> str:
    """The host (with port) a fetch goes to; "" for file:// URLs, which have no host budget."""
    try:
        return urlsplit(url).netloc.lower()
    except ValueError:
        return ""
