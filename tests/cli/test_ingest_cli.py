"""`kb add`, `kb runs` and `kb stories list` as a user sees them: the real `kb` in a subprocess."""

from __future__ import annotations

import re
import sqlite3

from tests.conftest import SAMPLE_DIR
from tests.system.test_kill import run_kb_process


def runs_of(db_path) -> list[tuple]:
    conn = sqlite3.connect(db_path)
    try:
        return conn.execute("SELECT status, articles_failed FROM ingest_runs ORDER BY id").fetchall()
    finally:
        conn.close()


def test_add_refuses_a_url_that_is_not_http_before_any_run(tmp_path):
    db_path = tmp_path / "kb.db"
    result = run_kb_process(db_path, "add", "not-a-url")
    assert result.returncode == 2
    assert "'not-a-url' is not an http(s) URL" in result.stderr and "Traceback" not in result.stderr
    assert not db_path.exists()
    assert run_kb_process(db_path, "init").returncode == 0
    for urls in (["not-a-url"], ["https://example.com/a", "ftp://example.com/x"], ["https://"]):
        result = run_kb_process(db_path, "add", *urls)
        assert result.returncode == 2, (urls, result.stderr)
    assert runs_of(db_path) == []


def test_add_where_every_url_fails_is_a_failed_run_with_each_error_once(tmp_path, loopback):
    sources = tmp_path / "sources.toml"
    sources.write_text("allow_private_addresses = true\n")
    db_path = tmp_path / "kb.db"
    urls = [loopback.url("missing-one.html"), loopback.url("missing-two.html")]
    result = run_kb_process(db_path, "add", "--sources", str(sources), *urls)
    assert result.returncode == 1, result.stderr
    for url in urls:
        assert result.stderr.count(url) == 1, result.stderr
    assert re.search(r"run \d+ failed", result.stderr)
    assert runs_of(db_path) == [("failed", 2)]
    listing = run_kb_process(db_path, "runs")
    lines = listing.stdout.splitlines()
    assert lines[0].split() == ["RUN", "STATUS", "STARTED", "(UTC)", "DURATION", "WHAT", "IT", "DID"]
    assert re.match(r"\s+1\s+failed\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\s+\d+\.\ds\s+sources 0 ok", lines[1])


def test_stories_list_has_a_header_naming_its_columns(tmp_path):
    db_path = tmp_path / "kb.db"
    assert run_kb_process(db_path, "ingest", "--sources", str(SAMPLE_DIR / "sources.toml")).returncode == 0
    lines = run_kb_process(db_path, "stories", "list", "--limit", "3").stdout.splitlines()
    assert lines[0].split() == ["ID", "STATUS", "IMPORTANCE", "CONFIDENCE", "MENTIONS", "TITLE"]
    assert len(lines) == 4
    conn = sqlite3.connect(db_path)
    story_id, importance = conn.execute("SELECT id, importance FROM stories WHERE status != 'merged' "
                                        "ORDER BY importance DESC, id DESC LIMIT 1").fetchone()
    conn.close()
    assert lines[1].split()[0] == str(story_id) and f"{round(importance * 100)}%" in lines[1].split()
    assert " I " not in lines[1] and " C " not in lines[1]
    runs = run_kb_process(db_path, "runs").stdout.splitlines()
    assert re.match(r"\s+1\s+ok\s+\S+ \S+\s+\d+\.\ds\s+sources \d+ ok", runs[1])
