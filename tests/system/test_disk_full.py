"""A full disk during `kb ingest`, made real with KB_MAX_DB_MB (SQLite's max_page_count): one line, exit 1,
nothing half-written, and the next run with room completes everything."""

from __future__ import annotations

import os
import sqlite3
import subprocess
from pathlib import Path

import pytest

from tests.conftest import SAMPLE_DIR
from tests.system.test_kill import analysis_rows, assert_complete, assert_consistent, kb_command

SOURCES = SAMPLE_DIR / "sources.toml"


def kb(db_path: Path, *args: str, cap_mb: str | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("KB_MAX_DB_MB", "KB_DEBUG")}
    if cap_mb is not None:
        env["KB_MAX_DB_MB"] = cap_mb
    return subprocess.run(kb_command(db_path, *args), capture_output=True, text=True, timeout=300, env=env)


def size_in_bytes(db_path: Path) -> int:
    conn = sqlite3.connect(db_path)
    try:
        return conn.execute("pragma page_count").fetchone()[0] * conn.execute("pragma page_size").fetchone()[0]
    finally:
        conn.close()


@pytest.fixture(scope="module")
def unbroken(tmp_path_factory) -> tuple[int, int, dict]:
    """Sizes of an empty and of a fully ingested sample database, and what the full run analysed."""
    directory = tmp_path_factory.mktemp("unbroken")
    empty, full = directory / "empty.db", directory / "full.db"
    assert kb(empty, "init").returncode == 0
    result = kb(full, "ingest", "--sources", str(SOURCES))
    assert result.returncode == 0, result.stderr
    return size_in_bytes(empty), size_in_bytes(full), analysis_rows(full)


# Where the cap falls between an empty and a full database of the sample corpus: while articles are
# stored (a batch is lost whole), while they are analysed, and while they are merged into events.
@pytest.mark.parametrize("fraction", [0.15, 0.5, 0.85])
def test_a_full_database_stops_the_run_cleanly_and_the_next_run_completes(unbroken, tmp_path, fraction):
    empty_bytes, full_bytes, reference = unbroken
    cap_bytes = empty_bytes + fraction * (full_bytes - empty_bytes)
    cap_mb = f"{cap_bytes / 1024 / 1024:.3f}"
    db_path = tmp_path / "kb.db"
    capped = kb(db_path, "ingest", "--sources", str(SOURCES), cap_mb=cap_mb)
    assert capped.returncode == 1
    lines = capped.stderr.strip().splitlines()
    assert len(lines) == 1, capped.stderr
    assert lines[0] == (f"Error: cannot write to database {db_path}: the disk is full or the KB_MAX_DB_MB cap of "
                        f"{float(cap_mb):g} MB is reached; the unfinished work was rolled back and the database "
                        "is intact: free space (or raise the cap) and run again")
    assert size_in_bytes(db_path) <= float(cap_mb) * 1024 * 1024
    assert_consistent(db_path)
    again = kb(db_path, "ingest", "--force", "--sources", str(SOURCES))
    assert again.returncode == 0, again.stderr
    assert_complete(db_path, reference)


def test_a_bad_cap_is_a_usage_error(tmp_path):
    result = kb(tmp_path / "kb.db", "init", cap_mb="lots")
    assert result.returncode == 2
    assert result.stderr.strip() == "Error: KB_MAX_DB_MB must be a number of megabytes above 0, not 'lots'"
