"""Kill -9 during `kb ingest` at random moments: the database stays whole and the next run finishes the work.

The real `kb` runs in a subprocess against the sample corpus served on loopback; each
trial kills it at a random time between 0 and the duration of a normal run. The seed
is printed (and can be fixed with KB_KILL_SEED) so a failure can be replayed.
"""

from __future__ import annotations

import http.server
import os
import random
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.conftest import SAMPLE_DIR
from tests.jobs.test_ingest import FEEDS, sample_page_count
from tests.loopback import LoopbackServer
from tests.sqlite_read import rows

TRIALS = 20            # kills, shared by two workers (one per core)
KILLS_PER_DB = 4       # kills in a row on one database before a run may finish
REQUEST_DELAY = 0.02   # seconds per request, so fetching is long enough for kills to land in it


def kb_command(db_path: Path, *args: str) -> list[str]:
    """The installed `kb` console script (or the click group through the interpreter)."""
    script = Path(sys.executable).with_name("kb")
    prefix = [str(script)] if script.exists() else [sys.executable, "-c", "from kb.cli.main import cli; cli()"]
    return [*prefix, "--db", str(db_path), *args]


def run_kb_process(db_path: Path, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    """Run `kb` to completion in a subprocess."""
    return subprocess.run(kb_command(db_path, *args), capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, "KB_DEBUG": ""})


def write_served_sources(path: Path, base_url: str, allow_private: bool = True, extra: str = "") -> Path:
    """The sample feeds on `base_url`, always due (interval 0), so each run polls every feed."""
    lines = [f"allow_private_addresses = {'true' if allow_private else 'false'}", ""]
    for name, feed, reliability in FEEDS:
        lines += ["[[source]]", f'name = "{name}"', f'url = "{base_url}/{feed}"',
                  f"reliability = {reliability}", "min_interval_seconds = 0", ""]
    path.write_text("\n".join(lines) + extra)
    return path


def delayed_sample_server(delay: float) -> LoopbackServer:
    """The sample corpus on loopback, every file answered after `delay` seconds."""
    server = LoopbackServer(SAMPLE_DIR)

    def slow(handler: http.server.SimpleHTTPRequestHandler) -> None:
        time.sleep(delay)
        http.server.SimpleHTTPRequestHandler.do_GET(handler)

    for path in SAMPLE_DIR.rglob("*"):
        if path.is_file():
            server.routes["/" + path.relative_to(SAMPLE_DIR).as_posix()] = slow
    return server


# Each query returns rows only when the invariant is broken.
CONSISTENCY_QUERIES = {
    "duplicate article URL": "select url, count(*) from articles where status = 'ok' group by url having count(*) > 1",
    "ok article without text": "select id from articles where status = 'ok' and (text is null or text = '')",
    "failed article without reason": "select id from articles where status not in ('ok', 'pending') "
                                     "and (status_reason is null or status_reason = '')",
    "duplicate mention": 'select article_id, start, "end", entity_id from mentions '
                         'group by article_id, start, "end", entity_id having count(*) > 1',
    "event without a mention": "select id from events e where not exists "
                               "(select 1 from event_mentions m where m.event_id = e.id)",
    "analysis of an unanalysed article": "select distinct m.article_id from mentions m join articles a "
                                         "on a.id = m.article_id where a.processed_at is null",
}
# What one article's analysis stored, keyed by the article's URL (ids differ between databases).
# The extractor may legitimately report two events of one type in one sentence, so event
# mentions are compared with an unbroken run instead of being required unique.
ANALYSIS_KEYS = {
    "mentions": 'select a.canonical_url, m.start, m."end", m.label, m.text from mentions m '
                "join articles a on a.id = m.article_id",
    "timexes": 'select a.canonical_url, t.start, t."end", t.type, t.value from timexes t '
               "join articles a on a.id = t.article_id",
    "event_mentions": 'select a.canonical_url, e.start, e."end", e.type, e.sentence_index from event_mentions e '
                      "join articles a on a.id = e.article_id",
}


def analysis_rows(db_path: Path) -> dict[str, Counter]:
    """How many times each analysis row occurs, per table."""
    return {table: Counter(rows(db_path, sql)) for table, sql in ANALYSIS_KEYS.items()}


def assert_consistent(db_path: Path, reference: dict[str, Counter] | None = None) -> None:
    """The database passes SQLite's and FTS5's checks and holds nothing twice."""
    conn = sqlite3.connect(db_path, timeout=30)
    try:
        assert conn.execute("pragma integrity_check").fetchall() == [("ok",)]
        assert conn.execute("pragma foreign_key_check").fetchall() == []
        if conn.execute("select 1 from sqlite_master where name = 'articles_fts'").fetchone():
            conn.execute("insert into articles_fts(articles_fts) values ('integrity-check')")
        if not conn.execute("select 1 from sqlite_master where name = 'events'").fetchone():
            return
        for name, sql in CONSISTENCY_QUERIES.items():
            found = conn.execute(sql).fetchall()
            assert not found, f"{name}: {found[:5]}"
    finally:
        conn.close()
    if reference is not None:
        for table, counts in analysis_rows(db_path).items():
            extra = counts - reference[table]
            assert not extra, f"{table} stored more often than by an unbroken run: {list(extra.items())[:3]}"


def assert_complete(db_path: Path, reference: dict[str, Counter] | None = None) -> None:
    """Everything the sample corpus holds was stored, analysed and merged into events."""
    assert_consistent(db_path, reference)
    assert rows(db_path, "select status, count(*) from articles group by status") == [("ok", sample_page_count())]
    assert rows(db_path, "select count(*) from articles where status = 'ok' and duplicate_of is null "
                         "and processed_at is null") == [(0,)]
    assert rows(db_path, "select count(*) from event_mentions where event_id is null") == [(0,)]
    assert rows(db_path, "select count(*) from event_mentions")[0][0] > 100
    assert rows(db_path, "select count(*) from ingest_runs where status = 'running'") == [(0,)]
    if reference is not None:
        for table, counts in analysis_rows(db_path).items():
            missing = reference[table] - counts
            assert not missing, f"{table} missing after recovery: {list(missing.items())[:3]}"
            assert counts == reference[table]


def finish_and_check(db_path: Path, sources: Path, reference: dict[str, Counter], runs_started: int) -> None:
    """Run `kb ingest` to completion; it must complete everything the killed runs left."""
    finished = run_kb_process(db_path, "ingest", "--sources", str(sources))
    assert finished.returncode == 0, finished.stderr
    assert "Traceback" not in finished.stderr
    check_finished(db_path, reference, runs_started + 1)


def check_finished(db_path: Path, reference: dict[str, Counter], runs_started: int) -> None:
    assert_complete(db_path, reference)
    # A killed run that got as far as recording itself is marked interrupted by the next run.
    statuses = [s for (s,) in rows(db_path, "select status from ingest_runs order by id")]
    assert statuses[-1] == "ok"
    assert set(statuses) <= {"ok", "interrupted"}
    assert len(statuses) <= runs_started


def kill_trials(workdir: Path, name: str, sources: Path, duration: float, rng: random.Random, trials: int,
                reference: dict[str, Counter]) -> list[dict]:
    """Start `kb ingest` `trials` times and SIGKILL each at a random moment, checking the DB after each.

    Up to KILLS_PER_DB kills land on one database, then a run must finish its work; a run
    that finishes before its kill is checked the same way, and the next trial starts afresh.
    """
    results: list[dict] = []
    db_path, runs, number = None, 0, 0
    for _ in range(trials):
        if db_path is None:
            db_path, runs, number = workdir / f"{name}-{number}.db", 0, number + 1
        delay = rng.uniform(0, duration)
        process = subprocess.Popen(kb_command(db_path, "ingest", "--sources", str(sources)),
                                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            process.wait(timeout=delay)
        except subprocess.TimeoutExpired:
            process.kill()
        _, stderr = process.communicate(timeout=60)
        runs += 1
        killed = process.returncode == -signal.SIGKILL
        results.append({"delay": round(delay, 2), "killed": killed})
        if not killed:
            assert process.returncode == 0, stderr.decode(errors="replace")
            check_finished(db_path, reference, runs)
            db_path = None
            continue
        if db_path.exists():
            assert_consistent(db_path, reference)
        if runs == KILLS_PER_DB:
            finish_and_check(db_path, sources, reference, runs)
            db_path = None
    if db_path is not None:
        finish_and_check(db_path, sources, reference, runs)
    return results


@pytest.fixture(scope="module")
def served_corpus():
    with delayed_sample_server(REQUEST_DELAY) as server:
        yield server


def test_kill_9_at_random_moments_never_corrupts_or_duplicates(served_corpus, tmp_path):
    seed = int(os.environ.get("KB_KILL_SEED") or time.time_ns() % 1_000_000)
    print(f"kill test seed: {seed} (rerun with KB_KILL_SEED={seed})")
    sources = write_served_sources(tmp_path / "sources.toml", served_corpus.base_url)
    reference = tmp_path / "reference.db"
    started = time.monotonic()
    result = run_kb_process(reference, "ingest", "--sources", str(sources))
    duration = time.monotonic() - started
    assert result.returncode == 0, result.stderr
    assert_complete(reference)
    expected = analysis_rows(reference)

    rngs = [random.Random(seed * 100 + worker) for worker in range(2)]
    with ThreadPoolExecutor(2) as pool:
        workers = list(pool.map(
            lambda w: kill_trials(tmp_path, f"w{w}", sources, duration, rngs[w], TRIALS // 2, expected), range(2)))
    trials = [t for worker in workers for t in worker]
    killed = sum(t["killed"] for t in trials)
    print(f"normal run {duration:.1f}s; {killed} of {len(trials)} runs killed, at {[t['delay'] for t in trials]}")
    assert len(trials) == TRIALS
    # Most kills must land inside a run, or the test would prove little.
    assert killed >= TRIALS * 2 // 3


def test_a_killed_run_leaves_a_stale_lock_that_the_next_run_takes_over(served_corpus, tmp_path):
    sources = write_served_sources(tmp_path / "sources.toml", served_corpus.base_url)
    db_path = tmp_path / "kb.db"
    process = subprocess.Popen(kb_command(db_path, "ingest", "--no-analyze", "--sources", str(sources)),
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    lock = Path(f"{db_path}.lock")
    deadline = time.monotonic() + 30
    while not (lock.exists() and '"run"' in lock.read_text()) and time.monotonic() < deadline:
        time.sleep(0.02)
    process.kill()
    process.wait()
    holder = lock.read_text()
    assert f'"pid": {process.pid}' in holder  # the dead run's record is still there
    result = run_kb_process(db_path, "-v", "ingest", "--no-analyze", "--sources", str(sources))
    assert result.returncode == 0, result.stderr
    assert f"taking over a stale lock left by pid {process.pid}" in result.stderr
    assert rows(db_path, "select status from ingest_runs order by id") == [("interrupted",), ("ok",)]
    assert lock.read_text() == ""  # released cleanly this time


def test_overlapping_runs_one_waits_out_the_other(served_corpus, tmp_path):
    """Two real `kb ingest` processes at once (overlapping cron runs): exactly one writes."""
    sources = write_served_sources(tmp_path / "sources.toml", served_corpus.base_url)
    db_path = tmp_path / "kb.db"
    assert run_kb_process(db_path, "init").returncode == 0
    first = subprocess.Popen(kb_command(db_path, "ingest", "--sources", str(sources)),
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    lock = Path(f"{db_path}.lock")
    deadline = time.monotonic() + 30
    while '"run"' not in (lock.read_text() if lock.exists() else "") and time.monotonic() < deadline:
        time.sleep(0.01)
    second = run_kb_process(db_path, "ingest", "--no-analyze", "--sources", str(sources))
    _, first_err = first.communicate(timeout=60)
    assert first.returncode == 0, first_err
    assert second.returncode == 1
    assert "another ingest run holds" in second.stderr and f"pid {first.pid}" in second.stderr
    assert "Traceback" not in second.stderr
    assert len(second.stderr.strip().splitlines()) == 1
    assert rows(db_path, "select status from ingest_runs") == [("ok",)]
    assert_consistent(db_path)
    assert rows(db_path, "select count(*) from articles where status = 'ok'") == [(sample_page_count(),)]


def test_run_killed_after_reading_the_feeds_loses_no_entries(tmp_path):
    """A feed's validators must not be kept before its entries are: else the next run gets 304 and skips them."""
    server = delayed_sample_server(0)
    stalled = next((SAMPLE_DIR / "northbeam").rglob("*.html")).relative_to(SAMPLE_DIR).as_posix()
    release = threading.Event()
    normal = server.routes["/" + stalled]

    def stall(handler):
        if not release.is_set():
            release.wait(30)
        normal(handler)

    server.routes["/" + stalled] = stall
    db_path = tmp_path / "kb.db"
    with server:
        sources = write_served_sources(tmp_path / "sources.toml", server.base_url)
        process = subprocess.Popen(kb_command(db_path, "ingest", "--no-analyze", "--sources", str(sources)),
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 30
        while f"/{stalled}" not in server.paths_requested() and time.monotonic() < deadline:
            time.sleep(0.02)
        time.sleep(0.3)  # the other pages are fetched meanwhile; the batch is not committed yet
        process.kill()
        process.wait()
        release.set()
        assert_consistent(db_path)
        result = run_kb_process(db_path, "ingest", "--no-analyze", "--sources", str(sources))
    assert result.returncode == 0, result.stderr
    assert rows(db_path, "select status, count(*) from articles group by status") == [("ok", sample_page_count())]
    assert rows(db_path, "select status from ingest_runs order by id") == [("interrupted",), ("ok",)]


def test_reports_analysed_but_not_merged_by_a_killed_run_are_merged_next_time(served_corpus, tmp_path):
    """Analysis commits per batch and the claim ledger runs after it: a kill in between strands reports."""
    sources = write_served_sources(tmp_path / "sources.toml", served_corpus.base_url)
    db_path = tmp_path / "kb.db"
    assert run_kb_process(db_path, "ingest", "--sources", str(sources)).returncode == 0
    merged = rows(db_path, "select count(*) from events")[0][0]
    # The state a kill between the analysis commit and the ledger leaves behind (with foreign
    # keys on, as every kb connection has them, so the events' lookup keys go with them).
    conn = sqlite3.connect(db_path)
    conn.execute("PRAGMA foreign_keys = ON")
    with conn:
        conn.execute("delete from events")
        conn.execute("delete from event_links")
        conn.execute("update event_mentions set event_id = null")
    conn.close()
    result = run_kb_process(db_path, "ingest", "--sources", str(sources))
    assert result.returncode == 0, result.stderr
    assert rows(db_path, "select count(*) from event_mentions where event_id is null") == [(0,)]
    assert rows(db_path, "select count(*) from events")[0][0] == merged


def test_a_with_block_on_the_connection_is_one_transaction(db):
    """`with db.conn:` must be all or nothing, or a kill inside it leaves half its writes.

    sqlite-utils 4 commits a write made through db.execute() at once when no transaction is
    open yet, and its table methods commit their own `with db.conn:` blocks; both used to
    split the ledger's and the analysis' blocks into separately committed pieces.
    """
    for write in (
        lambda: db.execute("insert into sources (name, url) values ('a', 'http://a.example/')"),
        lambda: db["sources"].insert({"name": "b", "url": "http://b.example/"}),
        lambda: db.execute("update ingest_runs set status = 'ok'"),
    ):
        with pytest.raises(RuntimeError), db.conn:
            db.execute("insert into ingest_runs (started_at) values ('2026-01-01T00:00:00Z')")
            write()
            db.execute("insert into ingest_runs (started_at) values ('2026-01-02T00:00:00Z')")
            raise RuntimeError("killed here")
        assert db.execute("select count(*) from sources").fetchone() == (0,)
        assert db.execute("select count(*) from ingest_runs").fetchone() == (0,)
    with db.conn:
        db.execute("insert into ingest_runs (started_at) values ('2026-01-03T00:00:00Z')")
        with db.conn:  # an inner block (a sqlite-utils table method) does not end the outer one
            db["sources"].insert({"name": "c", "url": "http://c.example/"})
        assert db.conn.in_transaction
    assert not db.conn.in_transaction
    assert db.execute("select count(*) from ingest_runs").fetchone() == (1,)
