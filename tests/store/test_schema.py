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


def test_m027_keeps_recorded_story_changes_and_dates_stories_by_their_facts(tmp_path):
    """A base from before m027: its story_changes rows survive the table's rebuild (which adds the
    kind 'edit'), its stories get the date of their latest fact and the count pages show."""
    from tests.stories.test_stories import build

    path = tmp_path / "kb.db"
    db = open_db(path)
    build(db)
    story, events = db.execute("SELECT story_id, live_events FROM story_totals ORDER BY events DESC").fetchone()
    activity = db.execute("SELECT activity_date FROM stories WHERE id = ?", [story]).fetchone()[0]
    db.execute("INSERT INTO story_changes (story_id, run_id, at, kind) VALUES (?, NULL, '2026-04-20T00:00:00Z', "
               "'new_story')", [story])
    # Back to the m026 shape: the old CHECK, no activity date, the stored count of every event.
    db.execute("ALTER TABLE story_changes RENAME TO sc_new")
    sql = db.execute("SELECT sql FROM sqlite_master WHERE name = 'sc_new'").fetchone()[0]
    db.execute(sql.replace("sc_new", "story_changes", 1).replace(", 'edit'", "").replace(",\n'edit'", ""))
    db.execute("INSERT INTO story_changes SELECT * FROM sc_new")
    db.execute("DROP TABLE sc_new")
    db.execute("UPDATE stories SET activity_date = NULL, events = events + 1")
    db.execute("DELETE FROM _sqlite_migrations WHERE name = 'm027_story_activity_and_edits'")
    db.conn.commit()
    assert "'edit'" not in db.execute("SELECT sql FROM sqlite_master WHERE name = 'story_changes'").fetchone()[0]
    db.conn.close()
    db = open_db(path)
    assert db.execute("SELECT count(*) FROM story_changes WHERE story_id = ? AND kind = 'new_story'",
                      [story]).fetchone()[0] == 1
    assert db.execute("SELECT activity_date, events FROM stories WHERE id = ?", [story]).fetchone() == (
        activity, events)
    db.execute("INSERT INTO story_changes (story_id, run_id, at, kind, detail) VALUES (?, NULL, "
               "'2026-04-21T00:00:00Z', 'edit', '{\"edit\": \"rename\"}')", [story])
    indexes = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE tbl_name = 'story_changes' "
                                        "AND type = 'index'")}
    assert {"idx_story_changes_story", "idx_story_changes_at"} <= indexes
    db.conn.close()
