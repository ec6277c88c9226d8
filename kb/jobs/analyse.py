"""Run the NLP pipeline over stored articles and store mentions, timexes and event mentions."""

from __future__ import annotations

import itertools
import json
import logging
import multiprocessing
import os
import resource
import sqlite3
import time
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field

import sqlite_utils

from kb.core.errors import KBError
from kb.core.relations import default_relations
from kb.core.time import utcnow
from kb.jobs.article_body import ArticleBody, article_bodies, on_article_text
from kb.jobs.extraction import block_rules
from kb.jobs.headline import lead_starts, with_headlines
from kb.jobs.integrate import integrate_articles
from kb.jobs.merge_order import ANALYSIS_ORDER, never_merged, replay_articles, stranded_articles
from kb.ledger.session import LedgerSession
from kb.nlp.pipeline import (
    AMOUNT_LABELS,
    SKIP_NOT_ENGLISH,
    analyze_many,
    load_settings,
    nlp_version,
    shared_nlp,
)
from kb.store.articles import PUBLISHED_OR_FETCHED_SQL
from kb.store.entities import entity_id, sync_gazetteer
from kb.store.lock import die_with_parent

log = logging.getLogger(__name__)

ANALYSIS_TABLES = ("mentions", "timexes", "event_mentions", "context_clauses")
# Articles whose text is analysed: fetched fine, with text, and not a copy of another article.
ANALYSABLE = "status = 'ok' AND text IS NOT NULL AND duplicate_of IS NULL"
# Longest reason kept in articles.analysis_error.
MAX_ERROR_CHARS = 500


@dataclass
class AnalysisSummary:
    """What one analysis run did."""

    articles: int = 0
    not_english: int = 0
    mentions: int = 0
    timexes: int = 0
    events: int = 0
    cleared: int = 0
    integrated: bool = False
    article_ids: list[int] = field(default_factory=list)
    failed: list[tuple[int, str]] = field(default_factory=list)  # (article id, reason)

    def as_dict(self) -> dict:
        return {
            "articles": self.articles, "not_english": self.not_english, "mentions": self.mentions,
            "timexes": self.timexes, "events": self.events, "cleared": self.cleared,
            "integrated": self.integrated, "failed": len(self.failed),
        }


def _entity_resolver(db: sqlite_utils.Database) -> Callable[[str, str], int]:
    """A cached (name, label) -> entities.id function over kb.store.entities.entity_id."""
    cache: dict[tuple[str, str], int] = {}

    def resolve(name: str, label: str) -> int:
        key = (name, label)
        if key not in cache:
            cache[key] = entity_id(db, name, label)
        return cache[key]

    return resolve


def _select_articles(db: sqlite_utils.Database, article_ids: list[int] | None, force: bool,
                     version: str) -> list[int]:
    """Ids of the analysable articles to (re)process, in ANALYSIS_ORDER.

    Stale: never analysed, or analysed by another nlp_version. An article whose analysis failed
    is stale again only once the version changes (a rule or settings edit), not at every run.
    """
    sql = f"SELECT id FROM articles WHERE {ANALYSABLE}"
    params: list = []
    if article_ids is not None:
        if not article_ids:
            return []
        sql += f" AND id IN ({', '.join('?' * len(article_ids))})"
        params.extend(article_ids)
    if not force:
        sql += " AND ((processed_at IS NULL AND analysis_status IS NOT 'failed') OR nlp_version IS NOT ?)"
        params.append(version)
    return [row[0] for row in db.execute(f"{sql} ORDER BY {ANALYSIS_ORDER}", params).fetchall()]


def _batches(ids: list[int], size: int) -> Iterator[list[int]]:
    for i in range(0, len(ids), size):
        yield ids[i : i + size]


def _event_entities(event: dict, entities: list[dict], resolve: Callable[[str, str], int]) -> list[dict]:
    """The event's entities as stored: [{"entity_id", "name", "label", "role"}]."""
    labels, elsewhere = {}, {}
    for e in entities:
        if e["label"] not in AMOUNT_LABELS:
            own = e["sentence_index"] == event["sentence_index"]
            (labels if own else elsewhere).setdefault(e["entity"] or e["text"], e["label"])
    stored = []
    for name in event["entities"]:
        # A name from another sentence ("these models" resolved to an earlier list) keeps its label.
        label = labels.get(name) or elsewhere.get(name, "ORG")
        stored.append({
            "entity_id": resolve(name, label),
            "name": name,
            "label": label,
            "role": event.get("roles", {}).get(name, "participant"),
        })
    # A suit's known case (data/relations.toml [cases]) is linked to its legal events, so that
    # the case's entity page lists them although the sentence does not name the case.
    cases = default_relations().cases_between(event["entities"]) if event.get("type") == "legal" else []
    for case in (c for c in cases if c not in event["entities"]):
        stored.append({"entity_id": resolve(case, "LAW"), "name": case, "label": "LAW",
                       "role": "participant"})
    return stored


def clear_analysis(db: sqlite_utils.Database, article_ids: list[int]) -> None:
    """Delete the stored analysis rows of these articles (inside the caller's transaction)."""
    for start in range(0, len(article_ids), 500):
        chunk = article_ids[start : start + 500]
        marks = ", ".join("?" * len(chunk))
        for table in ANALYSIS_TABLES:
            db.execute(f"DELETE FROM {table} WHERE article_id IN ({marks})", chunk)


def store_result(db: sqlite_utils.Database, article_id: int, result: dict,
                 resolve: Callable[[str, str], int], relevant: bool = True) -> tuple[int, int, int]:
    """Insert one article's mentions, timexes, event mentions and context clauses; return the
    counts of the first three."""
    mentions = []
    for e in result["entities"]:
        entity_id = None
        if e["label"] not in AMOUNT_LABELS:
            entity_id = resolve(e["entity"] or e["text"], e["label"])
        mentions.append((article_id, entity_id, e["label"], e["start"], e["end"], e["text"],
                         e["sentence_index"]))
    db.conn.executemany(
        'INSERT INTO mentions (article_id, entity_id, label, start, "end", text, sentence_index) '
        "VALUES (?, ?, ?, ?, ?, ?, ?)", mentions,
    )
    db.conn.executemany(
        'INSERT INTO timexes (article_id, start, "end", text, type, value, mod, sentence_index) '
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [(article_id, t["start"], t["end"], t["text"], t["type"], t["value"], t["mod"],
          t["sentence_index"]) for t in result["timexes"]],
    )
    if not relevant:
        # Off-topic articles keep their entities and dates but feed no events or stories.
        return len(mentions), len(result["timexes"]), 0
    # The headline's reports of the lead's events come after the body's (kb.jobs.headline), so
    # the claim ledger meets them once the lead's event exists.
    reported = [(ev, result["entities"]) for ev in result["events"]]
    reported += [(ev, result.get("headline_entities", [])) for ev in result.get("headline_events", ())]
    db.conn.executemany(
        "INSERT INTO event_mentions (article_id, type, date, date_mod, date_text, date_source, "
        'sentence, sentence_index, start, "end", hedged, negated, denial, attributed_to, '
        "confidence, entities, recap, trigger) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [(article_id, ev["type"], ev["date"], ev["date_mod"], ev["date_text"], ev["date_source"],
          ev["sentence"], ev["sentence_index"], ev["start"], ev["end"], int(ev["hedged"]),
          int(ev["negated"]), int(ev.get("denial", False)), ev["attributed_to"], ev["confidence"],
          json.dumps(_event_entities(ev, entities, resolve), ensure_ascii=False),
          int(ev.get("recap", False)), ev.get("trigger"))
         for ev, entities in reported],
    )
    # Clauses that state no fact (plans, conditionals, opinion, allegations...): context, not events.
    db.conn.executemany(
        "INSERT INTO context_clauses (article_id, kind, type, trigger, sentence, sentence_index, start, "
        '"end", entities) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
        [(article_id, c["kind"], c["type"], c["trigger"], c["sentence"], c["sentence_index"], c["start"],
          c["end"], json.dumps(_event_entities(c, result["entities"], resolve), ensure_ascii=False))
         for c in result.get("context", [])],
    )
    return len(mentions), len(result["timexes"]), len(reported)


def _integrate(db: sqlite_utils.Database, article_ids: list[int],
               session: LedgerSession | None = None) -> bool:
    """Hand stored event mentions to the claim ledger (with the run's LedgerSession, if any, so
    merges reuse what earlier ones read)."""
    integrate_articles(db, article_ids, session=session)
    return True


def analyze_articles(
    db: sqlite_utils.Database,
    article_ids: list[int] | None = None,
    *,
    batch_size: int = 32,
    force: bool = False,
    workers: int = 1,
    merge_every: int | None = None,
) -> AnalysisSummary:
    """Analyse stored articles (those never analysed or analysed by another nlp_version, or all
    with force=True); one transaction per batch, so an interrupted run leaves whole articles.

    With workers > 1 the NLP runs in that many processes; storing stays in this one. The
    articles are analysed, stored and go to the claim ledger in runs of `merge_every`
    (MERGE_EVERY) in ANALYSIS_ORDER, whatever the number of workers: the same articles build
    the same events either way.

    An article whose analysis or merge fails is recorded on it (analysis_status 'failed',
    analysis_error) and in summary.failed; the others go on.
    """
    merge_every = merge_every or MERGE_EVERY
    settings = load_settings()
    version = nlp_version(settings)
    ids = _select_articles(db, article_ids, force, version)
    summary = AnalysisSummary()
    arriving = never_merged(db, ids) + stranded_articles(db, set(ids))
    replay = replay_articles(db, arriving)
    if len(replay) > MAX_REPLAY:
        log.warning("%d articles arrived before %d already merged ones; merging them after instead of "
                    "replaying so many (the events may differ from a rebuild's)", len(arriving), len(replay))
    elif replay:
        log.info("%d merged articles come after %d arriving ones: merging them again behind them",
                 len(replay), len(arriving))
        for start in range(0, len(replay), 500):
            chunk = replay[start : start + 500]
            with db.conn:
                clear_analysis(db, chunk)
            _integrate(db, chunk)  # their reports leave the events they joined
        ids = [row[0] for row in db.execute(
            f"SELECT id FROM articles WHERE id IN ({', '.join('?' * (len(ids) + len(replay)))}) "
            f"ORDER BY {ANALYSIS_ORDER}", [*ids, *replay]).fetchall()]
    resolve = _entity_resolver(db)
    body_kinds = block_rules().body_kinds
    bodies: dict[int, ArticleBody] = {}  # of the batches in flight

    def batch_items(batch: list[int]) -> list[dict]:
        """The articles' body text (their body blocks) with their publication time."""
        placeholders = ", ".join("?" * len(batch))
        rows = {row[0]: row for row in db.execute(
            f"SELECT a.id, a.text, {PUBLISHED_OR_FETCHED_SQL}, a.title FROM articles a "
            f"WHERE a.id IN ({placeholders})",
            batch,
        ).fetchall()}
        bodies.update(article_bodies(db, {row[0]: row[1] for row in rows.values()}, body_kinds))
        return [{"id": row[0], "text": bodies[row[0]].body.text, "published": row[2], "headline": row[3],
                 "lead_starts": lead_starts(bodies[row[0]])}
                for row in map(rows.get, batch) if row]

    def record_failure(article_id: int, reason: str) -> None:
        """Mark the article failed (inside the caller's transaction); retried when nlp_version changes."""
        log.warning("article %d: analysis failed: %s", article_id, reason)
        db.execute(
            "UPDATE articles SET analysis_status = 'failed', analysis_error = ?, processed_at = NULL, "
            "nlp_version = ? WHERE id = ?", [reason[:MAX_ERROR_CHARS], version, article_id])
        summary.failed.append((article_id, reason))

    # Articles a killed run analysed but never merged go first: they are the start of the merge
    # that run was building, so the merges keep the boundaries an unbroken run has.
    unmerged: list[int] = stranded_articles(db, set(ids))
    session = LedgerSession()  # the claim ledger's state, kept between this run's merges

    def store_batch(batch: list[int], results: list[dict]) -> None:
        now = utcnow()
        stored_ids = []
        marks = ", ".join("?" * len(batch))
        relevant = {row[0]: bool(row[1] if row[1] is not None else 1) for row in db.execute(
            f"SELECT id, relevant FROM articles WHERE id IN ({marks})", batch).fetchall()}
        session.forget_articles(db, batch)  # their old reports are about to go
        with db.conn:
            clear_analysis(db, batch)
            for result in results:
                article_id = result["id"]
                body = bodies.pop(article_id, None)
                if body is not None and "error" not in result:
                    result = on_article_text(result, body)
                if "error" in result:
                    record_failure(article_id, result["error"])
                    continue
                if result.get("skipped") == SKIP_NOT_ENGLISH:
                    db.execute(
                        "UPDATE articles SET status = 'not_english', status_reason = ?, "
                        "processed_at = ?, nlp_version = ? WHERE id = ?",
                        ["the text does not look like English (stop-word test)", now, version, article_id],
                    )
                    summary.not_english += 1
                    continue
                db.execute("SAVEPOINT article")
                try:
                    counts = store_result(db, article_id, result, resolve, relevant.get(article_id, True))
                except sqlite3.OperationalError:
                    raise  # the database's trouble (disk full, locked), not the article's
                except Exception as exc:  # noqa: BLE001 - recorded on the article; the others go on
                    db.execute("ROLLBACK TO article")
                    db.execute("RELEASE article")
                    record_failure(article_id, f"storing: {type(exc).__name__}: {exc}")
                    continue
                db.execute("RELEASE article")
                summary.mentions += counts[0]
                summary.timexes += counts[1]
                summary.events += counts[2]
                db.execute(
                    "UPDATE articles SET processed_at = ?, nlp_version = ?, analysis_status = 'ok', "
                    "analysis_error = NULL WHERE id = ?",
                    [now, version, article_id],
                )
                stored_ids.append(article_id)
        summary.articles += len(stored_ids)
        summary.article_ids.extend(stored_ids)
        unmerged.extend(batch)

    def merge(count: int) -> None:
        nonlocal unmerged
        chunk, unmerged = unmerged[:count], unmerged[count:]
        if chunk:
            started = time.monotonic()
            try:
                summary.integrated = _integrate(db, chunk, session) or summary.integrated
            except sqlite3.OperationalError:
                raise
            except Exception as exc:  # noqa: BLE001 - find the article at fault, merge the others
                log.warning("merging %d articles failed (%s: %s); merging them one by one",
                            len(chunk), type(exc).__name__, exc)
                for article_id in chunk:
                    merge_alone(article_id)
            log.debug("merged %d articles into the claim ledger in %.2fs", len(chunk),
                      time.monotonic() - started)

    def merge_alone(article_id: int) -> None:
        try:
            _integrate(db, [article_id], session)
            return
        except sqlite3.OperationalError:
            raise
        except Exception as exc:  # noqa: BLE001 - recorded on the article
            reason = f"merging: {type(exc).__name__}: {exc}"
        session.forget_articles(db, [article_id])
        with db.conn:  # its reports leave the ledger with it: no later run trips on them again
            clear_analysis(db, [article_id])
            record_failure(article_id, reason)
        if article_id in summary.article_ids:
            summary.article_ids.remove(article_id)
            summary.articles -= 1
        _integrate(db, [article_id], session)  # drop what the article reported before

    batches = list(_batches(ids, batch_size))
    with NlpRunner(workers, batch_size) as runner:
        queued = iter(batches)
        for batch in itertools.islice(queued, runner.depth):
            runner.submit(batch_items(batch))
        pending = deque(batches[: runner.depth])
        while pending:
            store_batch(pending.popleft(), runner.next_result())
            batch = next(queued, None)
            if batch is not None:
                runner.submit(batch_items(batch))
                pending.append(batch)
            # With workers, a merge overlaps the NLP of the batches queued meanwhile.
            while len(unmerged) >= merge_every:
                merge(merge_every)
    merge(len(unmerged))
    return summary


# Articles analysed between two merges into the claim ledger (a merge is one transaction):
# bigger runs cost less per article (busy events are rewritten once per merge), smaller ones
# overlap better with the workers' NLP and leave less for the end of a run.
MERGE_EVERY = 256
# At most this many merged articles are merged again behind earlier ones that arrive late (a
# backfill of old articles merges after instead, and says so).
MAX_REPLAY = 5000


def _analyze_batch(items: list[dict], batch_size: int) -> list[dict]:
    """NLP results of one batch (runs in a worker process when workers > 1).

    When the batch fails, its articles are analysed one by one, so one bad article gives
    {"id", "error"} and the others their results.
    """
    if len(items) > 1:
        try:
            return with_headlines(items, list(analyze_many(items, batch_size=batch_size)), batch_size)
        except KBError:
            raise  # the settings' fault (e.g. a broken data file), not an article's
        except Exception:  # noqa: BLE001 - retried article by article below
            log.debug("a batch of %d articles failed; analysing them one by one", len(items))
    return [_analyze_one(item, batch_size) for item in items]


def _analyze_one(item: dict, batch_size: int) -> dict:
    try:
        return with_headlines([item], [next(analyze_many([item], batch_size=batch_size))], batch_size)[0]
    except KBError:
        raise
    except Exception as exc:  # noqa: BLE001 - recorded on the article by the storing process
        return {"id": item["id"], "error": f"{type(exc).__name__}: {exc}"}


class NlpRunner:
    """Batches of article texts in, NLP results out in order: inline, or in a process pool."""

    def __init__(self, workers: int, batch_size: int):
        self.workers = workers
        self.batch_size = batch_size
        self.pending: deque = deque()
        self.pool = None
        # Batches queued ahead, so workers stay busy while this process stores and merges.
        self.depth = 8 * workers if workers > 1 else 1

    def __enter__(self) -> NlpRunner:
        if self.workers > 1:
            # Build the pipeline once here and fork: workers start with it loaded (copy-on-write)
            # instead of each importing and compiling it. No other thread runs at this point.
            shared_nlp()
            # Workers die with this process (kill -9 included) and never hold the run's lock.
            self.pool = ProcessPoolExecutor(self.workers, mp_context=multiprocessing.get_context("fork"),
                                            initializer=die_with_parent, initargs=(os.getpid(),))
        return self

    def __exit__(self, *exc) -> None:
        if self.pool is not None:
            self.pool.shutdown(cancel_futures=True)

    def submit(self, items: list[dict]) -> None:
        if self.pool is None:
            self.pending.append(items)
        else:
            self.pending.append(self.pool.submit(_analyze_batch, items, self.batch_size))

    def next_result(self) -> list[dict]:
        head = self.pending.popleft()
        return _analyze_batch(head, self.batch_size) if self.pool is None else head.result()


def clear_unanalysable(db: sqlite_utils.Database) -> list[int]:
    """Remove analysis rows of articles that are no longer analysable (now duplicates, failed)."""
    ids = [row[0] for row in db.execute(
        f"SELECT id FROM articles WHERE NOT ({ANALYSABLE}) AND (processed_at IS NOT NULL "
        "OR id IN (SELECT article_id FROM event_mentions) OR id IN (SELECT article_id FROM mentions))"
    ).fetchall()]
    if ids:
        with db.conn:
            clear_analysis(db, ids)
            marks = ", ".join("?" * len(ids))
            db.execute(f"UPDATE articles SET processed_at = NULL WHERE id IN ({marks}) "
                       "AND status != 'not_english'", ids)
    return ids


def reprocess(db: sqlite_utils.Database, *, all: bool = False,
              article_ids: list[int] | None = None, batch_size: int = 32) -> AnalysisSummary:
    """Re-run analysis after gazetteer or rule changes: stale articles, the given ones, or all."""
    cleared = clear_unanalysable(db)
    if article_ids is not None:
        summary = analyze_articles(db, article_ids, batch_size=batch_size, force=True)
    else:
        summary = analyze_articles(db, None, batch_size=batch_size, force=all)
    summary.cleared = len(cleared)
    if cleared:
        summary.integrated = _integrate(db, cleared) or summary.integrated
    return summary


def analyse_after_ingest(db: sqlite_utils.Database, workers: int = 1) -> AnalysisSummary:
    """What `kb ingest` runs after storing: the gazetteer synced (aliases and topic weights follow
    its edits), every article not yet analysed analysed and merged, and the event mentions an
    interrupted run analysed but never gave to the claim ledger merged."""
    sync_gazetteer(db)
    started, cpu = time.monotonic(), process_cpu()
    summary = analyze_articles(db, None, workers=workers)
    stranded = [row[0] for row in db.execute(
        "select distinct article_id from event_mentions where event_id is null order by article_id")]
    if stranded:
        log.warning("merging the event mentions of %d articles an interrupted run left unmerged",
                    len(stranded))
        integrate_articles(db, stranded)
    own, in_workers = (after - before for after, before in zip(process_cpu(), cpu, strict=True))
    log.info("analysed %d articles (%d event mentions) and merged them in %.1fs "
             "(CPU: %.1fs in this process, %.1fs in workers)",
             summary.articles, summary.events, time.monotonic() - started, own, in_workers)
    return summary


def process_cpu() -> tuple[float, float]:
    """CPU seconds used so far by this process and by its finished worker processes."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time(), children.ru_utime + children.ru_stime
