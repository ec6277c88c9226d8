"""Read-only commands on a read-only database file and directory: they read without writing anything.

File permissions are real (chmod); when the tests run as root they run `kb` under setpriv
without the capability that overrides permissions (see tests/system/test_faults.py).
"""

from __future__ import annotations

import hashlib
import shutil
import sqlite3
import subprocess
import sys
from contextlib import closing
from pathlib import Path

import pytest
from click.testing import CliRunner

from kb.cli.main import cli
from kb.core.errors import DatabaseError, NoDatabase, SchemaOutdated
from kb.store.db import open_db, open_for_reading, pending_schema_changes
from tests.system.test_faults import without_root_override
from tests.system.test_kill import kb_command

READ_COMMANDS = [
    ("runs", "--json"),
    ("stories", "list", "--limit", "3"),
    ("stories", "show", "1"),
    ("entities", "list", "--type", "ORG"),
    ("entities", "candidates"),
]


@pytest.fixture
def kb_copy(generated_kb: Path, tmp_path: Path) -> Path:
    """A copy of the generated knowledge base in its own directory, closed cleanly (no -wal, no -shm)."""
    directory = tmp_path / "data"
    directory.mkdir()
    path = directory / "kb.db"
    shutil.copyfile(generated_kb, path)
    conn = sqlite3.connect(path)
    conn.execute("insert into ingest_runs (started_at, status, summary) "
                 "values ('2026-04-01T00:00:00Z', 'ok', 'run 1 ok: a run recorded for the test')")
    conn.commit()
    conn.close()
    assert sorted(p.name for p in directory.iterdir()) == ["kb.db"]
    return path


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def run_as_user(db_path: Path, *args: str) -> subprocess.CompletedProcess:
    command = without_root_override() + kb_command(db_path, *args)
    return subprocess.run(command, capture_output=True, text=True, timeout=120)


def run_in_read_only_directory(db_path: Path, *args: str) -> subprocess.CompletedProcess:
    """Run `kb` as a user who cannot write the database or its directory."""
    restore = make_read_only(db_path, directory_too=True)
    try:
        return run_as_user(db_path, *args)
    finally:
        restore()


def make_read_only(path: Path, directory_too: bool):
    path.chmod(0o444)
    if directory_too:
        path.parent.chmod(0o555)

    def restore() -> None:
        path.parent.chmod(0o755)
        path.chmod(0o644)

    return restore


@pytest.mark.parametrize("directory_too", [True, False], ids=["file and directory", "file only"])
def test_read_commands_work_on_a_read_only_database(kb_copy, directory_too):
    before = digest(kb_copy)
    commands = READ_COMMANDS if directory_too else READ_COMMANDS[:1] + READ_COMMANDS[2:3]
    restore = make_read_only(kb_copy, directory_too)
    try:
        results = {args: run_as_user(kb_copy, *args) for args in commands}
        refused = run_as_user(kb_copy, "stories", "rename", "1", "A new title")
        if directory_too:  # a backup reads the database too, and writes elsewhere
            backup = kb_copy.parent.parent / "backup.db"
            backed_up = run_as_user(kb_copy, "backup", str(backup))
    finally:
        restore()
    if directory_too:
        assert backed_up.returncode == 0, backed_up.stderr
        with closing(sqlite3.connect(backup)) as copy:
            assert copy.execute("select count(*) from stories").fetchone()[0] > 0
    for args, result in results.items():
        assert result.returncode == 0, (args, result.stderr)
        assert result.stderr == "", (args, result.stderr)
    assert "a run recorded for the test" in results[("runs", "--json")].stdout
    # A write command still says what is wrong in one line and changes nothing.
    assert refused.returncode == 1
    lines = refused.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: cannot write to database"), refused.stderr
    assert digest(kb_copy) == before
    if directory_too:
        assert sorted(p.name for p in kb_copy.parent.iterdir()) == ["kb.db"]
    # What was read is what the same commands print with write access.
    for args, result in results.items():
        writable = CliRunner().invoke(cli, ["--db", str(kb_copy), *args], catch_exceptions=False)
        assert writable.exit_code == 0 and result.stdout == writable.stdout, args


def test_an_outdated_read_only_database_asks_for_kb_migrate(kb_copy):
    conn = sqlite3.connect(kb_copy)
    conn.execute("drop view ingest_health")  # what an older release's database lacks
    conn.commit()
    conn.close()
    result = run_in_read_only_directory(kb_copy, "runs")
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "needs `kb migrate` (view ingest_health pending)" in lines[0]
    assert "cannot be migrated now" in lines[0] and str(kb_copy) in lines[0]
    # Writable again, a read command brings it up to date itself.
    again = subprocess.run(kb_command(kb_copy, "runs"), capture_output=True, text=True, timeout=120)
    assert again.returncode == 0, again.stderr
    db = open_db(kb_copy, read_only=True)
    assert pending_schema_changes(db) == []
    db.conn.close()


def test_open_read_only_needs_a_current_schema(tmp_path):
    path = tmp_path / "kb.db"
    open_db(path).conn.close()
    db = open_db(path, read_only=True)
    assert pending_schema_changes(db) == []  # a freshly migrated database is current
    with pytest.raises(sqlite3.OperationalError, match="readonly"):
        db.execute("insert into ingest_runs (started_at) values ('x')")
    db.conn.close()
    conn = sqlite3.connect(path)
    conn.execute("delete from _sqlite_migrations where name = (select max(name) from _sqlite_migrations)")
    conn.commit()
    conn.close()
    with pytest.raises(SchemaOutdated, match="needs `kb migrate`"):
        open_db(path, read_only=True)
    with pytest.raises(DatabaseError, match="does not exist"):
        open_db(tmp_path / "missing.db", read_only=True)
    assert not (tmp_path / "missing.db").exists()


def test_open_for_reading_never_creates_a_missing_database(tmp_path):
    with pytest.raises(NoDatabase, match="does not exist"):
        open_for_reading(tmp_path / "new.db")
    assert list(tmp_path.iterdir()) == []


def test_a_wal_with_unindexed_changes_is_an_error_not_stale_data(kb_copy):
    writer = sqlite3.connect(kb_copy)
    writer.execute("pragma journal_mode = wal")
    writer.execute("pragma wal_autocheckpoint = 0")
    writer.execute("update ingest_runs set summary = 'changed in the WAL only'")
    writer.commit()
    shutil.copyfile(f"{kb_copy}-wal", f"{kb_copy}-wal.keep")
    writer.close()  # the last connection checkpoints and removes -wal and -shm
    shutil.move(f"{kb_copy}-wal.keep", f"{kb_copy}-wal")  # as if a writer died after writing the WAL
    Path(f"{kb_copy}-shm").unlink(missing_ok=True)
    result = run_in_read_only_directory(kb_copy, "runs")
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "kb.db-wal holds changes not yet in the file" in lines[0], result.stderr


def test_datasette_serves_a_read_only_directory(kb_copy):
    restore = make_read_only(kb_copy, directory_too=True)
    script = ("import asyncio, sys\n"
              "from kb.cli.serving import build_datasette\n"
              "async def main():\n"
              f"    ds = build_datasette({str(kb_copy)!r})\n"
              "    await ds.invoke_startup()\n"
              "    for path in ['/', '/-/timeline', '/kb/articles.json?_size=1']:\n"
              "        r = await ds.client.get(path)\n"
              "        print(path, r.status_code)\n"
              "asyncio.run(main())\n")
    try:
        result = subprocess.run([*without_root_override(), sys.executable, "-c", script], capture_output=True,
                                text=True, timeout=120, cwd=Path(__file__).resolve().parents[2])
    finally:
        restore()
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.split("\n")[:3] == ["/ 200", "/-/timeline 200", "/kb/articles.json?_size=1 200"]
