"""Determinism: the events and stories a knowledge base holds depend on its articles, not on how
the work was cut up (merge size) or interrupted (kill -9 and resume)."""

from __future__ import annotations

import random
import shutil
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest

from kb.jobs.analyse import analyze_articles
from kb.store.db import open_db
from tests.knowledge import snapshot
from tests.system.test_kill import (
    delayed_sample_server,
    kb_command,
    rows,
    run_kb_process,
    write_served_sources,
)

SAMPLE_SOURCES = Path(__file__).resolve().parents[2] / "data" / "sample" / "sources.toml"


@pytest.fixture(scope="module")
def fetched_base(tmp_path_factory) -> Path:
    """The sample corpus fetched and stored, not yet analysed."""
    path = tmp_path_factory.mktemp("fetched") / "kb.db"
    result = run_kb_process(path, "ingest", "--no-analyze", "--sources", str(SAMPLE_SOURCES))
    assert result.returncode == 0, result.stderr
    return path


def analysed_copy(base: Path, target: Path, merge_every: int) -> dict:
    shutil.copy(base, target)
    db = open_db(target)
    analyze_articles(db, None, merge_every=merge_every)
    db.conn.close()
    return snapshot(str(target))


def test_events_do_not_depend_on_merge_size(fetched_base, tmp_path):
    """A rumor superseded in one merge and confirmed by a report of a later merge is no longer
    superseded: the status follows the reports, so small merges build the events a backfill builds."""
    whole = analysed_copy(fetched_base, tmp_path / "whole.db", 256)
    assert len(whole["events"]) > 80  # enough events for the merge sizes to matter
    for size in (8, 1):
        assert analysed_copy(fetched_base, tmp_path / f"by{size}.db", size)["events"] == whole["events"], size


def kill_once(db_path: Path, sources: Path, count_sql: str) -> int:
    """Start `kb ingest` and kill -9 it as soon as `count_sql` counts a row; return that count."""
    process = subprocess.Popen(kb_command(db_path, "ingest", "--sources", str(sources)),
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    found = 0
    deadline = time.monotonic() + 60
    try:
        while process.poll() is None and time.monotonic() < deadline:
            try:
                found = rows(db_path, count_sql)[0][0]
            except sqlite3.OperationalError:
                found = 0
            if found:
                process.kill()
                break
            time.sleep(0.005)
    finally:
        if process.poll() is None:
            process.kill()
        process.wait()
    return found


def test_a_run_killed_between_analysis_and_merge_resumes_to_the_unbroken_result(tmp_path):
    """kill -9 once analysed mentions are stored but not yet merged; one plain run then builds the
    same events and stories as a run that was never interrupted."""
    with delayed_sample_server(0) as server:
        sources = write_served_sources(tmp_path / "sources.toml", server.base_url)
        unbroken = tmp_path / "unbroken.db"
        assert run_kb_process(unbroken, "ingest", "--sources", str(sources)).returncode == 0
        expected = snapshot(str(unbroken))

        db_path = tmp_path / "killed.db"
        assert run_kb_process(db_path, "ingest", "--no-analyze", "--sources", str(sources)).returncode == 0
        stranded = kill_once(db_path, sources, "select count(*) from event_mentions where event_id is null")
        assert stranded, "the run finished before it could be killed between analysis and merge"
        result = run_kb_process(db_path, "ingest", "--sources", str(sources))
        assert result.returncode == 0, result.stderr
    assert rows(db_path, "select count(*) from event_mentions where event_id is null") == [(0,)]
    assert snapshot(str(db_path)) == expected


def test_a_run_killed_while_fetching_resumes_to_the_unbroken_result(tmp_path):
    """kill -9 once the feeds are read and their entries planned (stored pages are committed in
    fifty-page batches, the whole sample): the next plain run fetches the pending entries without
    --force and analyses everything in publication order, building what an unbroken run builds."""
    with delayed_sample_server(0.05) as server:
        sources = write_served_sources(tmp_path / "sources.toml", server.base_url)
        unbroken = tmp_path / "unbroken.db"
        assert run_kb_process(unbroken, "ingest", "--sources", str(sources)).returncode == 0
        expected = snapshot(str(unbroken))

        db_path = tmp_path / "killed.db"
        pending = kill_once(db_path, sources, "select count(*) from pending_entries")
        assert pending, "the run finished before it could be killed"
        assert rows(db_path, "select count(*) from articles where status = 'ok'")[0][0] < 49
        result = run_kb_process(db_path, "ingest", "--sources", str(sources))
        assert result.returncode == 0, result.stderr
    assert snapshot(str(db_path)) == expected


@pytest.mark.parametrize("seed", [1, 4])
def test_articles_arriving_over_two_runs_build_the_events_of_one(fetched_base, tmp_path, seed):
    """Half the articles, at random, are analysed in a first run and the rest in a second: the
    late arrivals that come earlier in publication order are merged at their place (the later
    ones merged again behind them), so the events equal those of one run over all articles."""
    whole = analysed_copy(fetched_base, tmp_path / "whole.db", 256)
    path = tmp_path / "two-runs.db"
    shutil.copy(fetched_base, path)
    db = open_db(path)
    ids = [row[0] for row in db.execute("SELECT id FROM articles WHERE status = 'ok' ORDER BY id")]
    random.Random(seed).shuffle(ids)
    analyze_articles(db, ids[: len(ids) // 2])
    analyze_articles(db, None)
    db.conn.close()
    assert snapshot(str(path))["events"] == whole["events"]
