"""Schema steps of the stories' tables: storylines (m022), story changes and prose (m023), story
activity and hand edits (m027), storyline links and drift (m028). kb/store/migrations.py registers
them in order with the rest of the set; like every applied step, never edit one.
"""

from __future__ import annotations

import sqlite_utils

from kb.store.story_totals import ACTIVITY_SQL


def m022_storylines(db: sqlite_utils.Database) -> None:
    """Storylines (kb/stories/storylines.py): each event's storyline key, its own (from its type and
    entities) and the one it takes (its own, else its article's), and the story of each key. An
    event whose key has no story is a brief (the `briefs` view)."""
    db.executescript(
        """
        CREATE TABLE IF NOT EXISTS storyline_events (
            event_id INTEGER PRIMARY KEY REFERENCES events(id) ON DELETE CASCADE,
            article_id INTEGER,
            own_key TEXT,
            key TEXT
        );
        CREATE INDEX IF NOT EXISTS idx_storyline_events_article ON storyline_events(article_id);
        CREATE INDEX IF NOT EXISTS idx_storyline_events_key ON storyline_events(key, event_id);
        CREATE TABLE IF NOT EXISTS storyline_keys (
            key TEXT PRIMARY KEY,
            story_id INTEGER REFERENCES stories(id) ON DELETE SET NULL
        );
        CREATE INDEX IF NOT EXISTS idx_storyline_keys_story ON storyline_keys(story_id);
        -- Story profiles were what matching an event against a story compared: gone with it.
        DROP TABLE IF EXISTS story_profiles;
        -- The article and key of an event deleted since the last placement: its article's key
        -- and its line's article count are checked again at the next one.
        CREATE TABLE IF NOT EXISTS storyline_dirty (
            article_id INTEGER,
            key TEXT
        );
        CREATE TRIGGER IF NOT EXISTS storyline_events_gone AFTER DELETE ON storyline_events BEGIN
            INSERT INTO storyline_dirty (article_id, key) VALUES (OLD.article_id, OLD.key);
        END;
        """
    )


def m023_story_changes_and_prose(db: sqlite_utils.Database) -> None:
    """What each ingest run changed in each story (for the card's "What changed"), the state a
    story was last recorded in, and the model-written prose of `kb stories write`, cached per
    story version (a hash of the card's facts and sources) and model."""
    db.executescript(
        """
        CREATE TABLE IF NOT EXISTS story_changes (
            id INTEGER PRIMARY KEY,
            story_id INTEGER NOT NULL REFERENCES stories(id) ON DELETE CASCADE,
            run_id INTEGER REFERENCES ingest_runs(id) ON DELETE SET NULL,
            at TEXT NOT NULL,
            kind TEXT NOT NULL CHECK (kind IN ('new_story', 'new_fact', 'new_report', 'status', 'score',
                                               'story_status')),
            event_id INTEGER REFERENCES events(id) ON DELETE SET NULL,
            old TEXT,
            new TEXT,
            detail TEXT
        );
        CREATE INDEX IF NOT EXISTS idx_story_changes_story ON story_changes(story_id, id);
        CREATE TABLE IF NOT EXISTS story_change_marks (
            story_id INTEGER PRIMARY KEY REFERENCES stories(id) ON DELETE CASCADE,
            importance REAL,
            confidence REAL,
            status TEXT,
            recorded_at TEXT NOT NULL
        );
        CREATE TABLE IF NOT EXISTS story_change_runs (
            run_id INTEGER PRIMARY KEY,
            at TEXT NOT NULL,
            history_upto INTEGER NOT NULL,
            events_upto INTEGER NOT NULL,
            mentions_upto INTEGER NOT NULL
        );
        CREATE TABLE IF NOT EXISTS story_prose (
            story_id INTEGER NOT NULL REFERENCES stories(id) ON DELETE CASCADE,
            version TEXT NOT NULL,
            model TEXT NOT NULL,
            summary TEXT NOT NULL,
            overview TEXT NOT NULL,
            dropped INTEGER NOT NULL DEFAULT 0,
            written_at TEXT NOT NULL,
            PRIMARY KEY (story_id, version, model)
        );
        """
    )


def m027_story_activity_and_edits(db: sqlite_utils.Database) -> None:
    """stories.activity_date: the date of a story's latest fact (its events' own dates, an undated
    event's first report), which its status and "updated" follow; stories.events counts the events
    not superseded (the count pages show); and story_changes kind 'edit' for merges, splits and
    renames made by hand (`kb stories merge|split|rename`)."""
    if "activity_date" not in db["stories"].columns_dict:
        db.execute("ALTER TABLE stories ADD COLUMN activity_date TEXT")
    db.execute(f"UPDATE stories SET activity_date = ({ACTIVITY_SQL.format(story='stories.id')})")
    db.execute("CREATE INDEX IF NOT EXISTS idx_stories_status_importance ON stories(status, importance)")
    # One event count everywhere: stories.events counts the events not superseded, as pages do.
    db.execute("""UPDATE stories SET events = (SELECT t.live_events FROM story_totals t
                                               WHERE t.story_id = stories.id)
                  WHERE status != 'merged' AND id IN (SELECT story_id FROM story_totals)""")
    sql = db.execute("SELECT sql FROM sqlite_master WHERE name = 'story_changes'").fetchone()[0]
    if "'edit'" not in sql:
        # SQLite cannot change a CHECK constraint: rebuild the table with the new kind.
        db.execute("ALTER TABLE story_changes RENAME TO story_changes_m026")
        db.executescript("""
            DROP INDEX IF EXISTS idx_story_changes_story;
            DROP INDEX IF EXISTS idx_story_changes_at;
            CREATE TABLE story_changes (
                id INTEGER PRIMARY KEY,
                story_id INTEGER NOT NULL REFERENCES stories(id) ON DELETE CASCADE,
                run_id INTEGER REFERENCES ingest_runs(id) ON DELETE SET NULL,
                at TEXT NOT NULL,
                kind TEXT NOT NULL CHECK (kind IN ('new_story', 'new_fact', 'new_report', 'status', 'score',
                                                   'story_status', 'edit')),
                event_id INTEGER REFERENCES events(id) ON DELETE SET NULL,
                old TEXT,
                new TEXT,
                detail TEXT
            );
            INSERT INTO story_changes SELECT * FROM story_changes_m026;
            DROP TABLE story_changes_m026;
            CREATE INDEX idx_story_changes_story ON story_changes(story_id, id);
            CREATE INDEX idx_story_changes_at ON story_changes(at);
        """)


def m028_storyline_links(db: sqlite_utils.Database) -> None:
    """Links between storyline keys (kb/stories/linking.py): 'auto' when the evidence says two
    keys are one line (the entity both name and the articles both share are kept, so a reader
    sees why), 'merge' and 'split' from `kb stories merge` and `split`, which win over evidence.
    storyline_drift: a key's line split in two where its reports fall apart in time
    (kb/stories/drift.py). Stories that already hold several keys were merged by hand: their
    keys get 'merge' links."""
    db.executescript(
        """
        CREATE TABLE IF NOT EXISTS storyline_links (
            key_a TEXT NOT NULL,
            key_b TEXT NOT NULL,
            kind TEXT NOT NULL CHECK (kind IN ('auto', 'merge', 'split')),
            entity TEXT,
            shared INTEGER,
            articles_a INTEGER,
            articles_b INTEGER,
            article_ids TEXT,
            at TEXT NOT NULL DEFAULT '',
            PRIMARY KEY (key_a, key_b)
        ) WITHOUT ROWID;
        CREATE INDEX IF NOT EXISTS idx_storyline_links_b ON storyline_links(key_b, key_a);
        CREATE TABLE IF NOT EXISTS storyline_drift (
            key TEXT PRIMARY KEY,
            part_key TEXT NOT NULL,
            since TEXT NOT NULL,
            gap_days INTEGER NOT NULL,
            before_entities TEXT NOT NULL,
            after_entities TEXT NOT NULL
        ) WITHOUT ROWID;
        INSERT OR IGNORE INTO storyline_links (key_a, key_b, kind)
            SELECT first.key, k.key, 'merge' FROM storyline_keys k
            JOIN (SELECT story_id, min(key) AS key FROM storyline_keys WHERE story_id IS NOT NULL
                  GROUP BY story_id) first ON first.story_id = k.story_id AND k.key > first.key;
        """
    )
