"""`kb ingest`: fetch due sources, fetch and extract new entries, store them, record the run."""

from __future__ import annotations

import datetime as dt
import json
import logging
import multiprocessing
import os
import resource
import socket
import sqlite3
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import (
    FIRST_COMPLETED,
    Executor,
    Future,
    ProcessPoolExecutor,
    ThreadPoolExecutor,
    wait,
)
from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import urlsplit

import sqlite_utils

from ingest.extract import ExtractedArticle, ExtractionError, extract_article
from ingest.feeds import FeedEntry, FeedParseError, parse_feed, parse_sitemap
from ingest.fingerprints import TextKeys, text_keys
from ingest.http import FetchPolicy, Response, fetch
from ingest.limits import Deferred, HostLimiter, time_budgets
from ingest.robots import RobotsCache
from ingest.urls import canonicalize_url, same_site, unwrap_redirect_link
from kb.core.config import SourcesFile, load_sources
from kb.core.errors import FetchError
from kb.core.time import utcnow
from kb.jobs.fetch_access import AddressAccess, base_policy, fetch_settings
from kb.jobs.planning import (
    RecordedFailure,
    WorkItem,
    finish_pending,
    keep_pending,
    local_root_of,
    pending_items,
    plan_entry,
)
from kb.store.articles import save_article, save_failure
from kb.store.db import open_db, write_problem
from kb.store.lock import IngestLock, die_with_parent
from kb.store.sources import is_due, record_fetch, sync_sources
from kb.store.topics import TopicMatcher, compile_topics, match_topics

log = logging.getLogger(__name__)

HTML_TYPES = ("text/html", "application/xhtml+xml", "")
FEED_ACCEPT = "application/rss+xml, application/atom+xml, application/feed+json, application/json, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5"
# Articles are saved in batches: a killed run loses at most this many, which the next run refetches.
COMMIT_EVERY = 50
PAGE_ACCEPT = "text/html, application/xhtml+xml;q=0.9, */*;q=0.5"


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
            f"{self.sources_skipped} not due; articles {self.articles_new} new, {self.articles_updated} updated, "
            f"{self.articles_duplicate} duplicate, {self.articles_unchanged} unchanged, "
            f"{self.articles_failed} failed, {self.articles_deferred} deferred"
            + (f"; {self.analysis_failed} not analysed (see articles.analysis_error)" if self.analysis_failed else "")
            + f"; {self.seconds:.1f}s"
        )


def fetch_source(source: dict, policy: FetchPolicy) -> tuple[Response | None, list[FeedEntry], str | None]:
    """Fetch and parse one source: (response, entries, error); 304 gives no entries."""
    try:
        response = fetch(source["url"], policy=policy, etag=source.get("etag"),
                         last_modified=source.get("last_modified"),
                         accept=PAGE_ACCEPT if source["kind"] == "page" else FEED_ACCEPT)
    except FetchError as exc:
        return None, [], f"{exc.status}: {exc.reason}"
    if response.not_modified:
        return response, [], None
    if source["kind"] == "page":
        return response, [FeedEntry(link=response.url, guid=None)], None
    try:
        parsed = parse_sitemap(response.body) if source["kind"] == "sitemap" else parse_feed(response.body, response.url)
    except FeedParseError as exc:
        return response, [], f"not_a_feed: {exc}"
    for warning in parsed.warnings:
        log.info("%s: %s", source["name"], warning)
    return response, parsed.entries, None


def fetch_page(item: WorkItem, policy: FetchPolicy, robots: RobotsCache, limiter: HostLimiter) -> Response:
    """Fetch an article page, honouring robots.txt (rules and Crawl-delay), the per-host limit and
    the host's and the run's time budgets (Deferred when they are spent)."""
    if limiter.spent(item.url):
        raise Deferred("time is up before the fetch: left for the next run")
    if item.url.startswith(("http://", "https://")) and not robots.allowed(item.url):
        raise FetchError("blocked", "disallowed by robots.txt")
    with limiter.slot(item.url) as seconds:
        cut = seconds < policy.total_timeout
        if cut:  # the fetch may not outlast the host's or the run's budget
            policy = replace(policy, total_timeout=seconds, read_timeout=min(policy.read_timeout, seconds),
                             connect_timeout=min(policy.connect_timeout, seconds))
        try:
            response = fetch(item.url, policy=policy, accept=PAGE_ACCEPT)
        except FetchError as exc:
            if cut and exc.reason.startswith("timed out") and limiter.spent(item.url):
                raise Deferred(f"time ran out during the fetch ({exc.reason}): left for the next run") from None
            raise
    if response.content_type not in HTML_TYPES:
        raise FetchError("not_html", f"content type {response.content_type!r} is not HTML", response.status)
    return response


@dataclass
class ExtractedPage:
    """An extracted article with what storing it needs that depends on its text alone."""

    article: ExtractedArticle
    keys: TextKeys
    topics: list[str]


_topic_matchers: list[TopicMatcher] | None = None


def topic_matchers(reload: bool = False) -> list[TopicMatcher]:
    """This process's compiled topic rules (data/topics.toml), compiled once."""
    global _topic_matchers
    if _topic_matchers is None or reload:
        _topic_matchers = compile_topics()
    return _topic_matchers


def extract_page(body: bytes, url: str) -> ExtractedPage | tuple[str, str]:
    """Extraction for a worker process: the article, its fingerprints and topics (CPU work
    kept out of the process that stores), or (status, reason)."""
    try:
        article = extract_article(body, url)
        topics = match_topics(topic_matchers(), article.title, article.text)
        return ExtractedPage(article, text_keys(article.text), topics)
    except ExtractionError as exc:
        return ("extract_failed", str(exc))
    except Exception as exc:  # noqa: BLE001 - a hostile page must not stop the run
        return ("extract_failed", f"{type(exc).__name__}: {exc}")


def final_canonical(item: WorkItem, response: Response, extracted: ExtractedArticle) -> str:
    """The page's rel=canonical when it is trustworthy, else the canonicalised fetched URL."""
    fetched = canonicalize_url(response.url) if response.url.startswith(("http://", "https://")) else item.canonical
    declared = extracted.canonical_url
    if not declared or not declared.startswith(("http://", "https://")):
        return fetched
    try:
        declared = canonicalize_url(declared)
    except ValueError:
        return fetched
    # A page may only speak for URLs of its own site; local sample files speak for their outlet.
    if item.local_root or same_site(declared, fetched):
        return declared
    return fetched


class Extractor:
    """Runs extraction inline (1 worker) or in a process pool (several)."""

    def __init__(self, workers: int):
        """Create it before any fetch thread starts: the workers are then forked at once, with
        the extraction code already imported. Forking is safe only while no other thread
        runs; otherwise (a host program's threads) they come from a fork server."""
        self.pool: Executor | None = None
        if workers > 1:
            if threading.active_count() == 1:
                context, parent = multiprocessing.get_context("fork"), os.getpid()
            else:
                context, parent = multiprocessing.get_context("forkserver"), None
                context.set_forkserver_preload(["kb.jobs.ingest_run"])
            # Workers die with this process (kill -9 included) and never hold the run's lock.
            self.pool = ProcessPoolExecutor(workers, mp_context=context, initializer=die_with_parent,
                                            initargs=(parent,))
            self.pool.submit(len, b"")  # with fork, the first task starts every worker now

    def submit(self, body: bytes, url: str) -> Future:
        if self.pool:
            return self.pool.submit(extract_page, body, url)
        future: Future = Future()
        future.set_result(extract_page(body, url))
        return future

    def close(self) -> None:
        if self.pool:
            self.pool.shutdown(cancel_futures=True)


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
        self.uncommitted = 0
        self.access = AddressAccess(sources_file)
        # Read afresh for each run: a bad topics file stops the run here, not page by page.
        # Extraction workers compile their own copy from the same file.
        topic_matchers(reload=True)
        self.started = time.monotonic()

    def __enter__(self) -> IngestRun:
        self.lock.acquire()
        try:
            self.db = open_db(self.db_path)
            with self.db.conn:
                self.db.execute(
                    "update ingest_runs set status = 'interrupted', finished_at = ? where status = 'running'", [utcnow()]
                )
                self.stats.run_id = self.db["ingest_runs"].insert({
                    "started_at": utcnow(), "status": "running", "pid": os.getpid(), "host": socket.gethostname(),
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
        now = dt.datetime.now(dt.UTC)
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
                        work = plan_entry(self.db, row, entry, response.url, local_root, now_iso)
                        if isinstance(work, WorkItem):
                            if (work.source_id, work.canonical) not in planned:
                                planned.add((work.source_id, work.canonical))
                                keep_pending(self.db, work, now_iso)
                                items.append(work)
                        elif isinstance(work, str):
                            self.error(work)
                            if isinstance(work, RecordedFailure):
                                self.stats.articles_failed += 1
                    record_fetch(self.db, row["id"], ok=True, status="not_modified" if response.not_modified else "ok",
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
        host_budget, run_budget = time_budgets(self.sources_file.settings if self.sources_file else {},
                                               str(self.sources_file.path) if self.sources_file else "",
                                               self.options.max_time)
        limiter = HostLimiter(self.options.per_host, crawl_delay=robots.crawl_delay, host_budget=host_budget,
                              deadline=self.started + run_budget)
        extractor = Extractor(self.options.workers)
        # Fetches and extractions in flight are bounded, so memory does not grow with the corpus.
        window = max(8, 4 * max(self.options.concurrency, self.options.workers))
        queue = iter(items)
        in_flight: dict[Future, WorkItem] = {}
        extractions: deque[tuple[WorkItem, Response, Future]] = deque()
        self.done, self.total = 0, len(items)
        try:
            with ThreadPoolExecutor(max(1, self.options.concurrency)) as fetchers:

                def refill() -> None:
                    while len(in_flight) + len(extractions) < window and not limiter.run_over():
                        item = next(queue, None)
                        if item is None:
                            return
                        policy = self.access.policy(self.base_policy(item.local_root), item.source_id, item.url)
                        in_flight[fetchers.submit(fetch_page, item, policy, robots, limiter)] = item

                refill()
                while in_flight or extractions:
                    if in_flight:
                        finished, _ = wait(list(in_flight), return_when=FIRST_COMPLETED, timeout=0.05)
                        for future in finished:
                            item = in_flight.pop(future)
                            try:
                                response = future.result()
                            except Deferred as exc:
                                self.defer(item, str(exc))
                                continue
                            except FetchError as exc:
                                self.fail(item, exc.status, exc.reason, exc.http_status)
                                self.advance()
                                continue
                            extractions.append((item, response, extractor.submit(response.body, response.url)))
                    # Store in fetch-completion order; block on the oldest when nothing else is left to do.
                    while extractions and (extractions[0][2].done() or not in_flight):
                        item, response, future = extractions.popleft()
                        self.store(item, response, future.result())
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
            save_failure(self.db, url=item.url, canonical_url=item.canonical, source_id=item.source_id, status=status,
                         reason=reason, http_status=http_status, feed_guid=entry.guid if entry else None,
                         title=entry.title if entry else None, feed_published=entry.published if entry else None)
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
        canonical = final_canonical(item, response, result)
        entry = item.entry
        saved = save_article(
            self.db, url=response.url, canonical_url=canonical, source_id=item.source_id, extracted=result,
            topics=page.topics, keys=page.keys,
            feed_guid=entry.guid if entry else None, feed_published=entry.published if entry else None,
            summary=entry.summary if entry else None, http_status=response.status, commit=False,
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
        if saved.outcome in ("new", "updated", "duplicate"):
            self.touched.append(saved.article_id)

    def analyze(self) -> None:
        """Run extraction, the claim ledger and stories over stored articles not yet analysed."""
        if not self.options.analyze:
            return
        try:
            from kb.jobs.analyse import analyze_articles
        except ImportError:  # the NLP side is optional for a bare ingest
            log.info("kb.jobs.analyse not available; skipping analysis")
            return
        from kb.store.entities import sync_gazetteer

        sync_gazetteer(self.db)  # aliases and topic weights follow gazetteer edits
        started, cpu = time.monotonic(), process_cpu()
        summary = analyze_articles(self.db, None, workers=self.options.workers)
        self.stats.analysis_failed += len(summary.failed)
        for article_id, reason in summary.failed:
            self.error(f"article {article_id}: analysis failed: {reason}")
        self.integrate_stranded_reports()
        own, workers = (after - before for after, before in zip(process_cpu(), cpu, strict=True))
        log.info("analysed %d articles (%d event mentions) and merged them in %.1fs "
                 "(CPU: %.1fs in this process, %.1fs in workers)",
                 summary.articles, summary.events, time.monotonic() - started, own, workers)

    def integrate_stranded_reports(self) -> None:
        """Merge event mentions that a killed run analysed but never gave to the claim ledger."""
        stranded = [row[0] for row in self.db.execute(
            "select distinct article_id from event_mentions where event_id is null order by article_id")]
        if not stranded:
            return
        try:
            from kb.jobs.integrate import integrate_articles
        except ImportError:
            return
        log.warning("merging the event mentions of %d articles an interrupted run left unmerged", len(stranded))
        integrate_articles(self.db, stranded)


def process_cpu() -> tuple[float, float]:
    """CPU seconds used so far by this process and by its finished worker processes."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time(), children.ru_utime + children.ru_stime


def run_ingest(db_path: str | Path, sources_path: str | Path | None = None,
               options: IngestOptions | None = None) -> RunStats:
    """Run one ingest: every due source of the sources file, then analysis. Holds the lock."""
    options = options or IngestOptions()
    sources_file = load_sources(sources_path)
    fetch_settings(sources_file)  # a bad setting is a usage error before anything starts
    time_budgets(sources_file.settings, str(sources_file.path), options.max_time)
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
                items.append(WorkItem(url, canonicalize_url(url), page_source_id(run.db, url), None))
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
