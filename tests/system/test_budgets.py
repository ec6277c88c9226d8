"""Time budgets: a dripping host gets `host_budget` seconds of a run, the run gets `run_budget`
(or `kb ingest --max-time`); what is left is deferred to the next run, not failed.

Real `kb ingest` processes against loopback hosts that answer slowly, with budgets of a few
seconds in the test's sources file.
"""

from __future__ import annotations

import re
import time

import pytest

from tests.loopback import LoopbackServer
from tests.system.test_kill import rows, run_kb_process
from tests.system.test_pending import Site, write_sources


def run_seconds(stderr: str) -> float:
    """The run's own duration from its summary line (the process start is not the run's to budget)."""
    match = re.search(r"deferred; ([\d.]+)s$", stderr.strip())
    assert match, stderr
    return float(match.group(1))


def deferred(stderr: str) -> int:
    match = re.search(r"(\d+) deferred", stderr)
    assert match, stderr
    return int(match.group(1))


def test_a_dripping_host_gets_its_budget_and_the_rest_waits_for_the_next_run(tmp_path):
    with LoopbackServer() as slow, LoopbackServer() as fast:
        drip = Site(slow, 20, delay=1.5, drip=5)       # 20 pages, each dripping for 1.5 s
        quick = Site(fast, 5, offset=100)
        sources = write_sources(tmp_path / "sources.toml", drip, quick, settings="host_budget = 2")
        db_path = tmp_path / "kb.db"
        started = time.monotonic()
        result = run_kb_process(db_path, "ingest", "--no-analyze", "--sources", str(sources))
        elapsed = time.monotonic() - started
        assert result.returncode == 0, result.stderr  # deferred pages are no failure
        assert run_seconds(result.stderr) < 5 and elapsed < 12  # all 20, two at a time, would take 15 s
        left = deferred(result.stderr)
        assert left >= 14 and drip.stored(db_path) == 20 - left
        assert quick.stored(db_path) == 5
        assert rows(db_path, "select count(*) from articles where status != 'ok'") == [(0,)]
        assert rows(db_path, "select count(*) from pending_entries") == [(left,)]
        assert rows(db_path, "select status, articles_deferred from ingest_runs") == [("ok", left)]
        drip.delay = 0  # the host is quick again; its source is not due for 15 minutes
        again = run_kb_process(db_path, "ingest", "--no-analyze", "--sources", str(sources))
        assert again.returncode == 0, again.stderr
        assert "2 not due" in again.stderr and deferred(again.stderr) == 0
        assert drip.stored(db_path) == 20
    assert rows(db_path, "select count(*) from pending_entries") == [(0,)]


@pytest.mark.parametrize("how", ["--max-time", "run_budget"])
def test_the_run_stops_fetching_when_its_time_is_up_and_the_next_run_goes_on(tmp_path, how):
    with LoopbackServer() as server:
        site = Site(server, 30, delay=0.5)  # 30 pages of half a second, two at a time: 7.5 s
        settings = "run_budget = 2" if how == "run_budget" else ""
        sources = write_sources(tmp_path / "sources.toml", site, settings=settings)
        db_path = tmp_path / "kb.db"
        args = ["--max-time", "2"] if how == "--max-time" else []
        started = time.monotonic()
        result = run_kb_process(db_path, "ingest", "--no-analyze", *args, "--sources", str(sources))
        elapsed = time.monotonic() - started
        assert result.returncode == 0, result.stderr
        assert run_seconds(result.stderr) < 3.5 and elapsed < 7, result.stderr
        left = deferred(result.stderr)
        assert left >= 15 and site.stored(db_path) == 30 - left
        assert rows(db_path, "select count(*) from pending_entries") == [(left,)]
        assert rows(db_path, "select count(*) from articles where status != 'ok'") == [(0,)]
        site.delay = 0
        again = run_kb_process(db_path, "ingest", "--no-analyze", "--sources", str(sources))
        assert again.returncode == 0, again.stderr
        assert site.stored(db_path) == 30


@pytest.mark.parametrize("setting, message", [
    ("host_budget = 0", "host_budget must be a number of seconds above 0"),
    ('run_budget = "soon"', "run_budget must be a number of seconds above 0"),
])
def test_bad_budgets_are_usage_errors(run_kb, tmp_path, setting, message):
    with LoopbackServer() as server:
        sources = write_sources(tmp_path / "sources.toml", Site(server, 1), settings=setting)
        result = run_kb("ingest", "--no-analyze", "--sources", str(sources))
    assert result.exit_code == 2
    assert message in result.output
