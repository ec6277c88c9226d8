"""The ingest lock against real processes: kill -9 with worker pools, symlinked databases, orphaned holders.

The real `kb` runs in subprocesses against the sample corpus on loopback; worker processes
are found through /proc (Linux).
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tests.conftest import SAMPLE_DIR
from tests.system.test_kill import (
    delayed_sample_server,
    kb_command,
    rows,
    run_kb_process,
    write_served_sources,
)

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="finds worker processes through /proc")


def children(pid: int) -> set[int]:
    """Live (not zombie) processes whose parent is `pid`."""
    found = set()
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            state = process_state(int(entry))
            if state and state[0] not in "ZX" and state[1] == pid:
                found.add(int(entry))
    return found


def process_state(pid: int) -> tuple[str, int] | None:
    """(state letter, parent pid) of a process, or None when it is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[1].split()
    return fields[0], int(fields[1])


def alive(pid: int) -> bool:
    state = process_state(pid)
    return state is not None and state[0] not in "ZX"


def wait_until(condition, timeout: float, step: float = 0.01) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(step)
    return condition()


def stalled_sample_server():
    """The sample corpus on loopback; one article page hangs until `release` is set."""
    server = delayed_sample_server(0)
    stalled = next((SAMPLE_DIR / "cloudline").rglob("*.html")).relative_to(SAMPLE_DIR).as_posix()
    release = threading.Event()
    normal = server.routes["/" + stalled]

    def stall(handler):
        release.wait(60)
        normal(handler)

    server.routes["/" + stalled] = stall
    return server, "/" + stalled, release


def assert_workers_die_with_the_run(process: subprocess.Popen, workers: set[int], db_path: Path, sources: Path,
                                    release: threading.Event | None = None):
    """Kill -9 the run: its workers must be gone within seconds and the next plain run must succeed."""
    assert len(workers) >= 2 and all(alive(pid) for pid in workers), workers
    process.kill()
    process.wait()
    try:
        assert wait_until(lambda: not any(alive(pid) for pid in workers), timeout=5), \
            f"worker processes outlived the killed run: {sorted(p for p in workers if alive(p))}"
    finally:
        for pid in workers:  # leave no orphan behind when the assertion fails
            if alive(pid):
                os.kill(pid, 9)
    if release is not None:
        release.set()  # the stalled page answers from now on
    result = run_kb_process(db_path, "-v", "ingest", "--sources", str(sources))
    assert result.returncode == 0, result.stderr
    assert f"taking over a stale lock left by pid {process.pid}" in result.stderr
    assert rows(db_path, "select status from ingest_runs order by id")[-1] == ("ok",)


def test_extraction_workers_die_with_a_killed_run_and_free_the_lock(tmp_path):
    """`kb ingest --workers 2` (the README's cron line) killed while pages are being extracted."""
    server, stalled, release = stalled_sample_server()
    db_path = tmp_path / "kb.db"
    with server:
        sources = write_served_sources(tmp_path / "sources.toml", server.base_url)
        process = subprocess.Popen(kb_command(db_path, "ingest", "--workers", "2", "--sources", str(sources)),
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            # The extraction pool is forked before the first page is fetched; the stalled page holds the run there.
            assert wait_until(lambda: stalled in server.paths_requested(), timeout=60)
            workers = children(process.pid)
            assert_workers_die_with_the_run(process, workers, db_path, sources, release)
        finally:
            release.set()
            if process.poll() is None:
                process.kill()


def test_analysis_workers_die_with_a_killed_run_and_free_the_lock(tmp_path):
    """The same kill while the NLP pool (a second set of forked workers) analyses the articles."""
    db_path = tmp_path / "kb.db"
    with delayed_sample_server(0) as server:
        sources = write_served_sources(tmp_path / "sources.toml", server.base_url)
        process = subprocess.Popen(kb_command(db_path, "ingest", "--workers", "2", "--sources", str(sources)),
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            extraction: set[int] = set()
            analysis: set[int] = set()

            def extraction_started() -> bool:
                extraction.update(children(process.pid))
                return len(extraction) >= 2

            def analysis_started() -> bool:
                analysis.update(children(process.pid) - extraction)
                return len(analysis) >= 2

            assert wait_until(extraction_started, timeout=60)
            # The extraction workers go when fetching ends; the analysis workers are new processes.
            assert wait_until(analysis_started, timeout=60, step=0.005)
            assert_workers_die_with_the_run(process, children(process.pid) - extraction, db_path, sources)
        finally:
            if process.poll() is None:
                process.kill()


def test_a_run_through_a_symlink_is_refused_while_another_holds_the_lock(tmp_path):
    """Two cron lines naming one database by two paths must not both write."""
    server, stalled, release = stalled_sample_server()
    real_dir = tmp_path / "real"
    real_dir.mkdir()
    db_path = real_dir / "kb.db"
    link = tmp_path / "link.db"
    link.symlink_to(db_path)
    assert run_kb_process(db_path, "init").returncode == 0
    with server:
        sources = write_served_sources(tmp_path / "sources.toml", server.base_url)
        first = subprocess.Popen(kb_command(db_path, "ingest", "--no-analyze", "--sources", str(sources)),
                                 stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        try:
            assert wait_until(lambda: stalled in server.paths_requested(), timeout=60)
            second = run_kb_process(link, "ingest", "--no-analyze", "--sources", str(sources))
        finally:
            release.set()
        _, first_err = first.communicate(timeout=60)
    assert second.returncode == 1, second.stderr
    assert "another ingest run holds" in second.stderr and f"pid {first.pid}" in second.stderr
    assert first.returncode == 0, first_err
    assert rows(db_path, "select status from ingest_runs") == [("ok",)]
    assert not Path(f"{link}.lock").exists()  # one lock file, next to the real database


def test_a_lock_held_by_a_leftover_process_of_a_dead_run_is_named(tmp_path):
    """When the recorded holder is dead but the lock is still held, say which live process holds it."""
    db_path = tmp_path / "kb.db"
    assert run_kb_process(db_path, "init").returncode == 0
    lock = Path(f"{db_path}.lock")
    # A process that took the lock, recorded a holder pid that no longer runs, and stays: what an
    # orphaned worker looked like before workers stopped inheriting the lock.
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    holder = subprocess.Popen([sys.executable, "-c", (
        "import fcntl, json, sys, time\n"
        f"f = open({str(lock)!r}, 'a+')\n"
        "fcntl.flock(f.fileno(), fcntl.LOCK_EX)\n"
        f"f.write(json.dumps({{'pid': {dead.pid}, 'run': 7}})); f.flush()\n"
        "print('held', flush=True)\n"
        "time.sleep(60)\n")], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        sources = write_served_sources(tmp_path / "sources.toml", "http://127.0.0.1:9")
        result = run_kb_process(db_path, "ingest", "--no-analyze", "--sources", str(sources))
    finally:
        holder.kill()
        holder.wait()
    assert result.returncode == 1
    message = result.stderr.strip()
    assert len(message.splitlines()) == 1 and "Traceback" not in message
    assert f"pid {dead.pid}" in message and "no longer running" in message
    assert f"process {holder.pid}" in message
