"""`kb ingest`: fetch due sources, fetch and extract new entries, store them, record the run."""

from __future__ import annotations

import json
import logging
import os
import socket
import sqlite3
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import (
    FIRST_COMPLETED,
    ThreadPoolExecutor,
    wait,
)
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import sqlite_utils

from ingest.exceptions import FetchError
from ingest.extract import ExtractedArticle
from ingest.http import FetchPolicy, Response
from ingest.pages import fetch_page, fetch_source
from ingest.politeness import Deferred, HostLimiter
from ingest.robots import RobotsCache
from ingest.urls import UrlRules, canonicalize_url, same_site, unwrap_redirect_link
from kb.core.config import SourcesFile, load_sources
from kb.core.time import current_time, utcnow
from kb.jobs.analyse import analyse_after_ingest
from kb.jobs.extraction import ExtractedPage, Extractor, topic_matchers
from kb.jobs.fetch_access import AddressAccess, base_policy, fetch_settings, time_budgets
from kb.jobs.planning import (
    RecordedFailure,
    WorkItem,
    finish_pending,
    keep_pending,
    local_root_of,
    pending_items,
    plan_entry,
    url_rules,
)
from kb.store.articles import save_article, save_failure
from kb.store.db import open_db, write_problem
from kb.store.lock import IngestLock
from kb.store.sources import is_due, record_fetch, sync_sources
from kb.stories.card_changes import record_story_changes

log = logging.getLogger(__name__)

# Articles are saved in batches: a killed run loses at most this many, which the next run refetches.
COMMIT_EVERY = 50


@dataclass
class IngestOptions:
    """How a run behaves: parallelism, politeness and what to (re)do."""

    workers: int = 1             # processes for text extraction (CPU-bound)
    concurrency: int = 8         # simultaneous fetches
    per_host: int = 2            # simultaneous fetches per host
    force: bool = False          # ignore per-source intervals and backoff
    analyze: bool = True         # run NLP, the claim ledger and stories after storing
    user_agent: str | None = None
    max_time: float | None = None  # seconds the run may fetch pages (else the sources file's run_budget)
    progress: Callable[[int, int], None] | None = None


@dataclass
class RunStats:
    """Counts of one run, as stored in ingest_runs."""

    run_id: int = 0
    sources_ok: int = 0
    sources_failed: int = 0
    sources_skipped: int = 0
    articles_new: int = 0
    articles_updated: int = 0
    articles_duplicate: int = 0
    articles_unchanged: int = 0
    articles_failed: int = 0
    articles_deferred: int = 0   # left pending for the next run: a host's or the run's time was up
    analysis_failed: int = 0  # articles whose analysis failed (recorded on each: articles.analysis_error)
    errors: list[str] = field(default_factory=list)
    status: str = "ok"
    seconds: float = 0.0

    def summary(self) -> str:
        return (
            f"run {self.run_id} {self.status}: sources {self.sources_ok} ok, {self.sources_failed} failed, "
            f"{self.sources_skipped} not due; articles {self.articles_new} new, "
            f"{self.articles_updated} updated, "
            f"{self.articles_duplicate} duplicate, {self.articles_unchanged} unchanged, "
            f"{self.articles_failed} failed, {self.articles_deferred} deferred"
            + (f"; {self.analysis_failed} not analysed (see articles.analysis_error)"
               if self.analysis_failed else "")
            + f"; {self.seconds:.1f}s"
        )


def final_canonical(item: WorkItem, response: Response, extracted: ExtractedArticle, rules: UrlRules) -> str:
    """The page's rel=canonical when it is trustworthy, else the canonicalised fetched URL."""
    fetched = item.canonical
    if response.url.startswith(("http://", "https://")):
        fetched = canonicalize_url(response.url, rules)
    declared = extracted.canonical_url
    if not declared or not declared.startswith(("http://", "https://")):
        return fetched
    try:
        declared = canonicalize_url(declared, rules)
    except ValueError:
        return fetched
    # A page may only speak for URLs of its own site; local sample files speak for their outlet.
    if item.local_root or same_site(declared, fetched, rules):
        return declared
    return fetched


class IngestRun:
    """One run: the database, the lock, the counters, and the article work."""

    def __init__(self, db_path: str | Path, sources_file: SourcesFile | None, options: IngestOptions):
        self.db_path = str(db_path)
        self.sources_file = sources_file
        self.options = options
        self.stats = RunStats()
        self.lock = IngestLock(db_path)
        self.db: sqlite_utils.Database | None = None
        self.touched: list[int] = []
        self.new_ids: set[int] = set()  # articles this run stored as new (not as copies)
        self.uncommitted = 0
        self.access = AddressAccess(sources_file)
        # Read afresh for each run: a bad topics or URL rules file stops the run here, not page by
        # page. Extraction workers compile their own copy of the topics from the same file.
        topic_matchers(reload=True)
        self.rules = url_rules()
        self.started = time.monotonic()
        self.started_at: str | None = None  # the run's start in UTC, once its row is written

    def __enter__(self) -> IngestRun:
        self.lock.acquire()
        try:
            self.db = open_db(self.db_path)
            with self.db.conn:
                self.db.execute(
                    "update ingest_runs set status = 'interrupted', finished_at = ? where status = 'running'",
                    [utcnow()],
                )
                self.started_at = utcnow()
                self.stats.run_id = self.db["ingest_runs"].insert({
                    "started_at": self.started_at, "status": "running", "pid": os.getpid(),
                    "host": socket.gethostname(),
                    "sources_file": str(self.sources_file.path) if self.sources_file else None,
                }).last_pk
        except BaseException as exc:
            # A run that cannot start leaves no stale lock record behind it.
            if self.db is not None:
                self.db.conn.close()
            self.lock.release()
            if isinstance(exc, sqlite3.OperationalError):
                raise write_problem(self.db_path, exc) from exc
            raise
        self.lock.write_holder(run=self.stats.run_id, db=self.db_path)
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        try:
            if self.db is not None:
                s = self.stats
                s.seconds = time.monotonic() - self.started
                if exc_type is not None:
                    s.status = "interrupted" if exc_type is KeyboardInterrupt else "failed"
                    s.errors.append(f"run stopped: {exc_type.__name__}: {exc}")
                elif s.sources_failed and not s.sources_ok:
                    s.status = "failed"
                elif s.articles_failed and not (s.sources_ok or s.articles_new or s.articles_updated
                                                or s.articles_duplicate or s.articles_unchanged):
                    s.status = "failed"  # e.g. `kb add` where every page failed
                elif s.sources_failed or s.articles_failed or s.analysis_failed:
                    s.status = "partial"
                with self.db.conn:
                    self.db["ingest_runs"].update(s.run_id, {
                        "finished_at": utcnow(), "status": s.status, "sources_ok": s.sources_ok,
                        "sources_failed": s.sources_failed, "sources_skipped": s.sources_skipped,
                        "articles_new": s.articles_new, "articles_updated": s.articles_updated,
                        "articles_duplicate": s.articles_duplicate, "articles_failed": s.articles_failed,
                        "articles_deferred": s.articles_deferred,
                        "errors": json.dumps(s.errors[:200]), "summary": s.summary(),
                        "seconds": round(s.seconds, 3),
                    })
                self.db.conn.close()
        finally:
            self.lock.release()

    def base_policy(self, local_root: str | None = None) -> FetchPolicy:
        return base_policy(self.sources_file, self.options.user_agent, local_root)

    def error(self, message: str) -> None:
        log.warning(message)
        self.stats.errors.append(message)

    def collect_sources(self) -> tuple[list[WorkItem], list[dict]]:
        """Fetch every due source of the sources file; return the article work it yields.

        The entries earlier runs planned and never finished come first, whether or not their
        source is due. A fetched source's new entries are kept as pending rows in the same
        transaction that records the fetch and its validators, so the fetch counts only
        together with every entry it planned."""
        assert self.db is not None and self.sources_file is not None
        ids = sync_sources(self.db, self.sources_file)
        self.access.bind(ids)
        now = current_time()
        rows = [self.db["sources"].get(ids[s.name]) for s in self.sources_file.sources]
        due = [r for r in rows if self.options.force or is_due(r, now)]
        self.stats.sources_skipped = len(rows) - len(due)
        items = pending_items(self.db, rows)
        if items:
            log.info("resuming %d entries an earlier run planned and did not finish", len(items))
        planned = {(i.source_id, i.canonical) for i in items}
        with ThreadPoolExecutor(max(1, min(self.options.concurrency, len(due) or 1))) as pool:
            futures = {}
            for row in due:
                local_root = local_root_of(row)
                policy = self.access.policy(self.base_policy(local_root), row["id"], row["url"])
                futures[pool.submit(fetch_source, row, policy)] = (row, local_root)
            for future, (row, local_root) in futures.items():
                response, entries, error = future.result()
                if error:
                    self.stats.sources_failed += 1
                    self.error(f"source {row['name']}: {error}")
                    record_fetch(self.db, row["id"], ok=False, status=error.split(":")[0], error=error)
                    continue
                self.stats.sources_ok += 1
                now_iso = utcnow()
                with self.db.conn:
                    for entry in entries:
                        work = plan_entry(self.db, row, entry, response.url, local_root, now_iso, self.rules)
                        if isinstance(work, WorkItem):
                            if (work.source_id, work.canonical) not in planned:
                                planned.add((work.source_id, work.canonical))
                                keep_pending(self.db, work, now_iso)
                                items.append(work)
                        elif isinstance(work, str):
                            self.error(work)
                            if isinstance(work, RecordedFailure):
                                self.stats.articles_failed += 1
                    record_fetch(self.db, row["id"], ok=True,
                                 status="not_modified" if response.not_modified else "ok",
                                 etag=response.etag, last_modified=response.last_modified)
                items.extend(self.due_retries(row, local_root, {i.canonical for i in items}))
        return items, due

    def due_retries(self, source: dict, local_root: str | None, planned: set[str]) -> list[WorkItem]:
        """Failed articles of a source whose retry time has come, even if the feed dropped them."""
        rows = self.db.execute(
            "select id, url, canonical_url from articles where source_id = ? and status != 'ok' "
            "and next_retry_after is not null and next_retry_after <= ?",
            [source["id"], utcnow()],
        ).fetchall()
        return [WorkItem(url, canonical, source["id"], local_root, existing_id=aid)
                for aid, url, canonical in rows if canonical not in planned]

    def process(self, items: list[WorkItem]) -> None:
        """Fetch, extract and store articles, with a bounded number of pages in memory."""
        assert self.db is not None
        if not items:
            return
        robots = RobotsCache(self.access.robots_fetcher(), policy=self.base_policy())
        host_budget, run_budget = time_budgets(self.sources_file, self.options.max_time)
        limiter = HostLimiter(self.options.per_host, crawl_delay=robots.crawl_delay, host_budget=host_budget,
                              deadline=self.started + run_budget)
        extractor = Extractor(self.options.workers)
        # Fetches and extractions in flight are bounded, so memory does not grow with the corpus.
        window = max(8, 4 * max(self.options.concurrency, self.options.workers))
        queue = iter(items)
        # Every started item, in the order it was planned: [item, fetch, outcome, extraction].
        # Items are stored (and numbered) in that order whatever order their fetches finish in,
        # so the same plan gives the same article ids with any number of fetchers.
        started: deque[list] = deque()
        self.done, self.total = 0, len(items)
        try:
            with ThreadPoolExecutor(max(1, self.options.concurrency)) as fetchers:

                def refill() -> None:
                    while len(started) < window and not limiter.run_over():
                        item = next(queue, None)
                        if item is None:
                            return
                        policy = self.access.policy(self.base_policy(item.local_root), item.source_id,
                                                    item.url)
                        started.append([item, fetchers.submit(fetch_page, item.url, policy, robots, limiter),
                                        None, None])

                def settle(entry: list) -> None:
                    """A finished fetch: its failure, or its extraction under way."""
                    try:
                        response = entry[1].result()
                    except (Deferred, FetchError) as exc:
                        entry[2] = exc
                        return
                    entry[2] = response
                    entry[3] = extractor.submit(response.body, response.url)

                refill()
                while started:
                    fetching = [entry[1] for entry in started if entry[2] is None]
                    if fetching:
                        wait(fetching, return_when=FIRST_COMPLETED, timeout=0.05)
                    for entry in started:
                        if entry[2] is None and entry[1].done():
                            settle(entry)
                    # Store from the oldest; block on its extraction when no fetch is left to wait for.
                    while started and started[0][2] is not None and (
                            started[0][3] is None or started[0][3].done()
                            or all(entry[2] is not None for entry in started)):
                        item, _, outcome, extraction = started.popleft()
                        if isinstance(outcome, Deferred):
                            self.defer(item, str(outcome))
                            continue
                        if isinstance(outcome, FetchError):
                            self.fail(item, outcome.status, outcome.reason, outcome.http_status)
                        else:
                            self.store(item, outcome, extraction.result())
                        self.advance()
                    refill()
            left = sum(1 for _ in queue)
            if left:
                log.warning("the run's %gs are up: %d entries left for the next run", run_budget, left)
                self.stats.articles_deferred += left
        finally:
            self.commit()
            extractor.close()

    def defer(self, item: WorkItem, reason: str) -> None:
        """Leave an item for the next run (its pending row stays): not a failure."""
        log.info("%s: %s", item.url, reason)
        self.stats.articles_deferred += 1
        self.advance()

    def advance(self) -> None:
        self.done += 1
        if self.options.progress:
            self.options.progress(self.done, self.total)

    def commit(self) -> None:
        self.db.conn.commit()
        self.uncommitted = 0

    def fail(self, item: WorkItem, status: str, reason: str, http_status: int | None = None) -> None:
        entry = item.entry
        if status == "blocked":
            reason = self.access.explain(item.source_id, item.url, reason)
        with self.db.conn:
            save_failure(self.db, url=item.url, canonical_url=item.canonical, source_id=item.source_id,
                         status=status, reason=reason, http_status=http_status,
                         feed_guid=entry.guid if entry else None, title=entry.title if entry else None,
                         feed_published=entry.published if entry else None)
            finish_pending(self.db, item)
        self.stats.articles_failed += 1
        self.error(f"{item.url}: {status}: {reason}")

    def store(self, item: WorkItem, response: Response, page: ExtractedPage | tuple[str, str]) -> None:
        if isinstance(page, tuple):
            self.fail(item, page[0], page[1], response.status)
            return
        result = page.article
        if result.lang and result.lang != "en":
            self.fail(item, "not_english", f"language {result.lang!r} is not tracked", response.status)
            return
        canonical = final_canonical(item, response, result, self.rules)
        entry = item.entry
        saved = save_article(
            self.db, url=response.url, canonical_url=canonical, source_id=item.source_id, extracted=result,
            topics=page.topics, keys=page.keys,
            feed_guid=entry.guid if entry else None, feed_published=entry.published if entry else None,
            summary=entry.summary if entry else None, http_status=response.status, commit=False,
            run_started_at=self.started_at,
        )
        finish_pending(self.db, item)  # in the same uncommitted batch as the article
        self.uncommitted += 1
        if self.uncommitted >= COMMIT_EVERY:
            self.commit()
        if item.existing_id and saved.article_id != item.existing_id:
            # The page declared another canonical URL than its placeholder row: keep one row.
            with self.db.conn:
                self.db.execute("delete from articles where id = ? and status != 'ok'", [item.existing_id])
        attr = {"new": "articles_new", "updated": "articles_updated", "duplicate": "articles_duplicate",
                "unchanged": "articles_unchanged"}[saved.outcome]
        setattr(self.stats, attr, getattr(self.stats, attr) + 1)
        if saved.outcome == "new":
            self.new_ids.add(saved.article_id)
        if saved.demoted in self.new_ids:
            # A copy saved earlier in this run turned out to repeat this original: the run's
            # counts say what is stored, whichever of the two was fetched first.
            self.new_ids.discard(saved.demoted)
            self.stats.articles_new -= 1
            self.stats.articles_duplicate += 1
        if saved.outcome in ("new", "updated", "duplicate"):
            self.touched.append(saved.article_id)

    def analyze(self) -> None:
        """Run extraction, the claim ledger and stories over stored articles not yet analysed."""
        if not self.options.analyze:
            return
        summary = analyse_after_ingest(self.db, workers=self.options.workers)
        self.stats.analysis_failed += len(summary.failed)
        for article_id, reason in summary.failed:
            self.error(f"article {article_id}: analysis failed: {reason}")
        with self.db.conn:  # what this run changed in each story, for the cards' "What changed"
            record_story_changes(self.db, self.stats.run_id)


def run_ingest(db_path: str | Path, sources_path: str | Path | None = None,
               options: IngestOptions | None = None) -> RunStats:
    """Run one ingest: every due source of the sources file, then analysis. Holds the lock."""
    options = options or IngestOptions()
    sources_file = load_sources(sources_path)
    fetch_settings(sources_file)  # a bad setting is a usage error before anything starts
    time_budgets(sources_file, options.max_time)
    with IngestRun(db_path, sources_file, options) as run:
        items, _ = run.collect_sources()
        started, cpu = time.monotonic(), time.process_time()
        run.process(items)
        log.info("fetched, extracted and stored %d articles in %.1fs (CPU: %.1fs in this process)",
                 len(items), time.monotonic() - started, time.process_time() - cpu)
        run.analyze()
    return run.stats


def add_urls(db_path: str | Path, urls: list[str], sources_path: str | Path | None = None,
             options: IngestOptions | None = None) -> RunStats:
    """Ingest single pages given on the command line (always refetched)."""
    options = options or IngestOptions()
    sources_file = load_sources(sources_path) if sources_path else None
    with IngestRun(db_path, sources_file, options) as run:
        items = []
        for raw in urls:
            try:
                url = unwrap_redirect_link(raw.strip())
                if not url.startswith(("http://", "https://")):
                    raise FetchError("blocked", f"only http(s) URLs can be added, not {raw!r}")
                canonical = canonicalize_url(url, run.rules)
                items.append(WorkItem(url, canonical, page_source_id(run.db, url), None))
            except (FetchError, ValueError) as exc:
                run.stats.articles_failed += 1
                run.error(f"{raw}: {getattr(exc, 'reason', exc)}")
        run.process(items)
        run.analyze()
    return run.stats


def page_source_id(db: sqlite_utils.Database, url: str) -> int:
    """The source row for pages added by hand from one host (created on first use, never polled)."""
    host = urlsplit(url).netloc.lower()
    name = f"{host} (added pages)"
    row = db.execute("select id from sources where name = ?", [name]).fetchone()
    if row:
        return row[0]
    with db.conn:
        return db["sources"].insert({"name": name, "url": f"{urlsplit(url).scheme}://{host}/", "kind": "page",
                                     "reliability": 0.5, "enabled": 0}).last_pk
