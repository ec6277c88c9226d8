"""Faults during whole `kb ingest` runs: network faults, unreachable addresses, disk and database errors,
readers (Datasette, sqlite3) and `kb backup` while a run writes.

HTTP-level behaviour of each fault is tested in tests/ingest/test_http.py; here the question is
what a run does with it: a clear status on the row, the other sources still ingested,
exit code 1, and a database that stays whole.
"""

from __future__ import annotations

import gzip
import os
import shutil
import socket
import sqlite3
import struct
import subprocess
import threading
import time
from pathlib import Path

import pytest

from tests.conftest import SAMPLE_DIR
from tests.jobs.test_ingest import sample_page_count
from tests.loopback import LoopbackServer, respond
from tests.system.test_kill import (
    assert_consistent,
    delayed_sample_server,
    kb_command,
    rows,
    run_kb_process,
    write_served_sources,
)

CLOUDLINE_FEED = SAMPLE_DIR / "cloudline" / "feed.xml"
CLOUDLINE_PAGES = sum(1 for _ in (SAMPLE_DIR / "cloudline").rglob("*.html"))
ARTICLE = next((SAMPLE_DIR / "northbeam").rglob("*.html")).read_bytes()


def source_block(name: str, url: str | Path) -> str:
    return f'[[source]]\nname = "{name}"\nurl = "{url}"\nmin_interval_seconds = 0\n'


def rss(server: LoopbackServer, paths: list[str]) -> str:
    items = "".join(f"<item><title>{p}</title><link>{server.url(p)}</link><guid>{p}</guid></item>" for p in paths)
    return f"<?xml version='1.0'?><rss version='2.0'><channel><title>faults</title>{items}</channel></rss>"


def start(handler, status: int = 200, headers: dict[str, str] | None = None) -> None:
    handler.send_response(status)
    for key, value in (headers or {}).items():
        handler.send_header(key, value)
    handler.end_headers()


def reset_mid_body(handler) -> None:
    start(handler, 200, {"Content-Type": "text/html", "Content-Length": str(len(ARTICLE))})
    handler.wfile.write(ARTICLE[:2000])
    handler.wfile.flush()
    handler.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    handler.close_connection = True
    handler.connection.close()  # linger 0: the kernel answers with RST


def truncated_gzip(handler) -> None:
    whole = gzip.compress(ARTICLE.replace(b"<p>", b"<p>Unique truncated copy. ", 1))
    respond(handler, 200, whole[: len(whole) // 2], headers={"Content-Encoding": "gzip"})


def slow_drip(handler) -> None:
    start(handler, 200, {"Content-Type": "text/html", "Content-Length": "100000"})
    for _ in range(400):
        handler.wfile.write(b"<p>")
        handler.wfile.flush()
        time.sleep(0.05)


def redirect_to(location: str):
    return lambda handler: respond(handler, 302, "", headers={"Location": location})


@pytest.fixture
def faulty_server():
    server = LoopbackServer()
    pages = {
        "/ok.html": lambda h: respond(h, 200, ARTICLE),
        "/reset.html": reset_mid_body,
        "/truncated-gzip.html": truncated_gzip,
        "/drip.html": slow_drip,
        "/to-metadata.html": redirect_to("http://169.254.169.254/latest/meta-data/"),
        "/to-private.html": redirect_to("http://10.0.0.1/admin"),
        "/to-file.html": redirect_to("file:///etc/passwd"),
    }
    server.routes.update(pages)
    server.routes["/feed.xml"] = lambda h: respond(h, 200, rss(server, list(pages)), "application/rss+xml")
    server.routes["/reset-feed.xml"] = reset_mid_body
    server.routes["/drip-feed.xml"] = slow_drip
    server.routes["/gzip-feed.xml"] = truncated_gzip
    with server:
        yield server


def test_network_faults_are_recorded_per_row_and_the_run_goes_on(faulty_server, tmp_path):
    server = faulty_server
    sources = tmp_path / "sources.toml"
    # Loopback is private: only the test server's address is let through, as an intranet host would be.
    sources.write_text("allow_private_addresses = false\nallow_networks = [\"127.0.0.1/32\"]\nfetch_timeout = 1.5\n\n"
                       + source_block("faulty", server.url("/feed.xml"))
                       + source_block("reset feed", server.url("/reset-feed.xml"))
                       + source_block("drip feed", server.url("/drip-feed.xml"))
                       + source_block("gzip feed", server.url("/gzip-feed.xml"))
                       + source_block("Cloudline Daily", CLOUDLINE_FEED))
    db_path = tmp_path / "kb.db"
    started = time.monotonic()
    result = run_kb_process(db_path, "ingest", "--no-analyze", "--sources", str(sources))
    assert time.monotonic() - started < 30  # the drips were cut off at the 1.5 s deadline
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    articles = {url.removeprefix(server.base_url): (status, reason)
                for url, status, reason in rows(db_path, "select url, status, status_reason from articles")}
    assert articles["/ok.html"][0] == "ok"
    assert articles["/reset.html"][0] == "http_error"
    assert "reset" in articles["/reset.html"][1] or "truncated" in articles["/reset.html"][1]
    assert articles["/truncated-gzip.html"] == ("http_error", "broken gzip body: truncated")
    assert articles["/drip.html"] == ("http_error", "timed out after 1.5s")
    assert articles["/to-metadata.html"] == ("blocked", "redirect to link-local address 169.254.169.254 refused")
    assert articles["/to-private.html"] == ("blocked", "redirect to private address 10.0.0.1 refused")
    assert articles["/to-file.html"][0] == "blocked" and "file URL refused" in articles["/to-file.html"][1]
    # Nothing was fetched from the refused addresses: the check happens before connecting.
    assert "/latest/meta-data/" not in server.paths_requested()
    feeds = dict(rows(db_path, "select name, last_status || ': ' || coalesce(last_error, '') from sources"))
    assert feeds["faulty"] == "ok: "
    assert feeds["reset feed"].startswith("http_error: http_error: ")
    assert "reset" in feeds["reset feed"] or "truncated" in feeds["reset feed"]
    assert feeds["drip feed"] == "http_error: http_error: timed out after 1.5s"
    assert feeds["gzip feed"] == "http_error: http_error: broken gzip body: truncated"
    # The healthy source was ingested in full, in the same run.
    assert rows(db_path, "select count(*) from articles a join sources s on s.id = a.source_id "
                         "where s.name = 'Cloudline Daily' and a.status = 'ok'") == [(CLOUDLINE_PAGES,)]
    assert rows(db_path, "select status, sources_ok, sources_failed from ingest_runs") == [("partial", 2, 3)]
    assert_consistent(db_path)


def test_names_resolving_to_loopback_are_refused(tmp_path):
    with LoopbackServer(SAMPLE_DIR) as server:
        sources = tmp_path / "sources.toml"
        sources.write_text("allow_private_addresses = false\n\n"
                           + source_block("by name", f"http://localhost:{server.port}/cloudline/feed.xml")
                           + source_block("by address", server.url("/northbeam/atom.xml"))
                           + source_block("Cloudline Daily", CLOUDLINE_FEED))
        db_path = tmp_path / "kb.db"
        result = run_kb_process(db_path, "ingest", "--no-analyze", "--sources", str(sources))
        assert server.requests == []  # refused before any connection
    assert result.returncode == 1, result.stderr
    state = {name: (status, error) for name, status, error in
             rows(db_path, "select name, last_status, last_error from sources")}
    assert state["by name"][0] == "blocked"
    assert "loopback address" in state["by name"][1] and "(localhost) refused" in state["by name"][1]
    assert state["by address"] == ("blocked", "blocked: loopback address 127.0.0.1 refused")
    assert state["Cloudline Daily"] == ("ok", None)
    assert rows(db_path, "select count(*) from articles where status = 'ok'") == [(CLOUDLINE_PAGES,)]


@pytest.mark.parametrize("setting, message", [
    ("fetch_timeout = 0", "fetch_timeout must be a number of seconds above 0"),
    ('fetch_timeout = "soon"', "fetch_timeout must be a number of seconds above 0"),
    ('allow_networks = "10.0.0.0/8"', "allow_networks must be a list of networks"),
    ('allow_networks = ["10.0.0.300/8"]', "allow_networks must be a list of networks"),
])
def test_bad_fetch_settings_are_usage_errors(run_kb, db_path, tmp_path, setting, message):
    sources = tmp_path / "sources.toml"
    sources.write_text(f"{setting}\n\n" + source_block("Cloudline Daily", CLOUDLINE_FEED))
    result = run_kb("ingest", "--no-analyze", "--sources", str(sources))
    assert result.exit_code == 2
    assert message in result.output and str(sources) in result.output
    assert not db_path.exists()  # refused before the database was touched


# --- disk and database errors -----------------------------------------------------------------

def without_root_override() -> list[str]:
    """A command prefix under which file permissions apply, even when the tests run as root."""
    if os.geteuid() != 0:
        return []
    if not shutil.which("setpriv"):
        pytest.skip("running as root without setpriv (util-linux): permissions cannot be enforced")
    return ["setpriv", "--bounding-set=-dac_override,-dac_read_search", "--"]


@pytest.fixture
def ingested(tmp_path) -> Path:
    """A database holding the local Cloudline feed, closed cleanly."""
    db_path = tmp_path / "data" / "kb.db"
    db_path.parent.mkdir()
    sources = tmp_path / "sources.toml"
    sources.write_text(source_block("Cloudline Daily", CLOUDLINE_FEED)
                       + source_block("Northbeam", SAMPLE_DIR / "northbeam" / "atom.xml"))
    result = run_kb_process(db_path, "ingest", "--no-analyze", "--sources", str(sources))
    assert result.returncode == 0, result.stderr
    return db_path


def make_read_only_file(db_path: Path):
    db_path.chmod(0o444)
    return lambda: db_path.chmod(0o644)


def make_read_only_directory(db_path: Path):
    Path(f"{db_path}.lock").unlink(missing_ok=True)
    db_path.parent.chmod(0o555)
    return lambda: db_path.parent.chmod(0o755)


def make_read_only_directory_with_lock_file(db_path: Path):
    Path(f"{db_path}.lock").touch()
    db_path.parent.chmod(0o555)
    return lambda: db_path.parent.chmod(0o755)


@pytest.mark.parametrize("break_it, message", [
    (make_read_only_file, "the file is read-only"),
    (make_read_only_directory, "cannot open the lock file"),
    (make_read_only_directory_with_lock_file, "is not writable (SQLite keeps kb.db-wal and kb.db-shm"),
])
def test_unwritable_database_gives_one_line_and_no_damage(ingested, tmp_path, break_it, message):
    db_path = ingested
    before = rows(db_path, "select id, status, text from articles order by id")
    prefix = without_root_override()
    repair = break_it(db_path)
    try:
        command = kb_command(db_path, "ingest", "--force", "--sources", str(tmp_path / "sources.toml"))
        result = subprocess.run(prefix + command, capture_output=True, text=True, timeout=60)
    finally:
        repair()
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    assert message in lines[0] and str(db_path) in lines[0]
    assert_consistent(db_path)
    assert rows(db_path, "select id, status, text from articles order by id") == before
    # Once repaired, the next run starts cleanly: no stale lock, nothing left running.
    again = run_kb_process(db_path, "-v", "ingest", "--no-analyze", "--force",
                           "--sources", str(tmp_path / "sources.toml"))
    assert again.returncode == 0, again.stderr
    assert "stale lock" not in again.stderr
    assert [s for (s,) in rows(db_path, "select status from ingest_runs")] == ["ok", "ok"]


def test_database_locked_by_another_writer_gives_one_line_and_no_damage(ingested, tmp_path):
    db_path = ingested
    before = rows(db_path, "select id, status, text from articles order by id")
    holder = sqlite3.connect(db_path, isolation_level=None)
    holder.execute("begin immediate")
    holder.execute("update sources set tags = '[\"held\"]'")
    try:
        started = time.monotonic()
        command = kb_command(db_path, "ingest", "--force", "--sources", str(tmp_path / "sources.toml"))
        result = subprocess.run(command, capture_output=True, text=True, timeout=60,
                                env={**os.environ, "KB_BUSY_TIMEOUT_MS": "300"})
        waited = time.monotonic() - started
    finally:
        holder.execute("rollback")
        holder.close()
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert lines == [f"Error: database {db_path} is locked by another program's write (waited 0.3s); "
                     "try again when it has finished"], result.stderr
    assert waited < 20
    assert_consistent(db_path)
    assert rows(db_path, "select id, status, text from articles order by id") == before
    assert rows(db_path, "select count(*) from ingest_runs") == [(1,)]


# --- readers and backups while a run writes --------------------------------------------------

def check_article_rows(found: list[tuple], where: str) -> None:
    """Every row is whole: ok with its text, or failed with a reason."""
    for article_id, status, text, reason in found:
        if status == "ok":
            assert text and text.strip(), f"{where}: article {article_id} is ok but has no text"
        else:
            assert status != "pending" and reason, f"{where}: article {article_id} {status} without a reason"


@pytest.fixture(scope="module")
def slow_corpus():
    with delayed_sample_server(0.02) as server:
        yield server


async def test_datasette_and_sqlite_readers_never_see_errors_or_half_articles(slow_corpus, tmp_path):
    from kb.cli.serving import build_datasette

    db_path = tmp_path / "kb.db"
    sources = write_served_sources(tmp_path / "sources.toml", slow_corpus.base_url)
    assert run_kb_process(db_path, "init").returncode == 0
    ds = build_datasette(db_path)
    await ds.invoke_startup()
    stop = threading.Event()
    sqlite_reads: list[int] = []
    failures: list[str] = []

    def read_with_sqlite() -> None:
        while not stop.is_set():
            try:
                conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=10)
                try:
                    found = conn.execute("select id, status, text, status_reason from articles").fetchall()
                    conn.execute("select count(*) from events e join event_mentions m on m.event_id = e.id").fetchall()
                finally:
                    conn.close()
                check_article_rows(found, "sqlite3")
                sqlite_reads.append(len(found))
            except (AssertionError, sqlite3.Error) as exc:
                failures.append(f"sqlite3: {exc}")
            time.sleep(0.01)

    reader = threading.Thread(target=read_with_sqlite, daemon=True)
    reader.start()
    process = subprocess.Popen(kb_command(db_path, "ingest", "--sources", str(sources)),
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    pages = ["/kb/articles.json?_shape=array&_size=max&_col=status&_col=text&_col=status_reason",
             "/kb/events.json?_shape=array&_size=20", "/-/timeline.json", "/", "/-/search?q=Microsoft"]
    datasette_reads: list[int] = []
    try:
        while process.poll() is None:
            for path in pages:
                response = await ds.client.get(path)
                assert response.status_code == 200, f"{path}: {response.status_code} {response.text[:300]}"
                if path.startswith("/kb/articles.json"):
                    found = [(r["id"], r["status"], r["text"], r["status_reason"]) for r in response.json()]
                    check_article_rows(found, "Datasette")
                    datasette_reads.append(len(found))
                    if found:
                        page = await ds.client.get(f"/-/article/{found[-1][0]}")
                        assert page.status_code == 200, page.text[:300]
    finally:
        _, stderr = process.communicate(timeout=120)
        stop.set()
        reader.join(10)
    assert process.returncode == 0, stderr
    assert not failures, failures[:5]
    # The readers ran throughout the run: they saw the database empty and saw it fill up.
    assert len(datasette_reads) >= 3 and len(sqlite_reads) >= 10
    assert min(sqlite_reads) < sample_page_count()
    final = await ds.client.get(pages[0])
    assert len(final.json()) == sample_page_count()


def test_backup_while_ingest_runs_is_a_consistent_copy(slow_corpus, tmp_path):
    db_path = tmp_path / "kb.db"
    sources = write_served_sources(tmp_path / "sources.toml", slow_corpus.base_url)
    assert run_kb_process(db_path, "init").returncode == 0
    process = subprocess.Popen(kb_command(db_path, "ingest", "--sources", str(sources)),
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    copies: list[Path] = []
    try:
        while process.poll() is None:
            target = tmp_path / f"backup-{len(copies)}.db"
            result = run_kb_process(db_path, "backup", str(target))
            assert result.returncode == 0, result.stderr
            assert result.stdout.startswith(f"Backed up {db_path} to {target}")
            copies.append(target)
    finally:
        _, stderr = process.communicate(timeout=120)
    assert process.returncode == 0, stderr
    assert len(copies) >= 3
    counts = []
    for copy in copies:
        assert not Path(f"{copy}.partial").exists()
        assert_consistent(copy)
        check_article_rows(rows(copy, "select id, status, text, status_reason from articles"), str(copy))
        counts.append(rows(copy, "select count(*) from articles")[0][0])
    assert counts == sorted(counts)  # each copy is a snapshot of a later moment
    # A copy restores as the README says: copy it over the database, drop -wal and -shm, kb migrate.
    restored = tmp_path / "restored" / "kb.db"
    restored.parent.mkdir()
    shutil.copy(copies[len(copies) // 2], restored)
    assert run_kb_process(restored, "migrate").returncode == 0
    again = run_kb_process(restored, "ingest", "--no-analyze", "--sources", str(sources))
    assert again.returncode == 0, again.stderr
    assert rows(restored, "select count(*) from articles where status = 'ok'") == [(sample_page_count(),)]
