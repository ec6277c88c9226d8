"""The schema: migrations, pragmas, FTS triggers and the init/migrate commands."""

import sqlite3

from kb.store.db import open_db


def test_init_creates_tables_and_is_idempotent(run_kb, db_path):
    result = run_kb("init")
    assert result.exit_code == 0, result.output
    assert "Created" in result.output
    again = run_kb("migrate")
    assert again.exit_code == 0
    assert "up to date" in again.output
    conn = sqlite3.connect(db_path)
    names = {r[0] for r in conn.execute("select name from sqlite_master")}
    for table in ("sources", "articles", "article_revisions", "ingest_runs", "entities",
                  "entity_aliases", "mentions", "events", "event_entities", "stories",
                  "story_events", "event_history", "articles_fts", "timeline"):
        assert table in names


def test_pragmas(db):
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert db.execute("PRAGMA busy_timeout").fetchone()[0] >= 5000


def test_articles_fts_follows_updates(db):
    db["articles"].insert({"url": "http://x/1", "canonical_url": "http://x/1", "title": "Alpha",
                           "text": "Microsoft ships a model", "status": "ok"})
    hits = db.execute("select rowid from articles_fts where articles_fts match 'ships'").fetchall()
    assert hits == [(1,)]
    db.execute("update articles set text = 'nothing here' where id = 1")
    assert db.execute("select count(*) from articles_fts where articles_fts match 'ships'").fetchone()[0] == 0
    db.execute("delete from articles where id = 1")
    assert db.execute("select count(*) from articles_fts where articles_fts match 'nothing'").fetchone()[0] == 0


def test_reopen_keeps_data(db_path):
    first = open_db(db_path)
    first["sources"].insert({"name": "a", "url": "http://a/feed"})
    first.conn.close()
    second = open_db(db_path)
    assert second["sources"].count == 1


def test_status_check_constraint(db):
    import pytest
    with pytest.raises(sqlite3.IntegrityError):
        db.execute("insert into articles (url, canonical_url, status) values ('u', 'u', 'bogus')")
