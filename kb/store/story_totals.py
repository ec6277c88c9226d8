"""Running totals of each story, kept by SQLite triggers so a story refresh reads no event it did not change.

Every story_events row carries a copy of what story scores need from its event (kept
current by a trigger on events), and triggers add or take away each row's share of:

- story_totals: event counts, sums of weights max(importance, 0.01) and of weight ×
  confidence (all and not superseded), independent mentions;
- story_type_weights: per event type, the sum of importance + 0.01 (for the card section);
- story_articles: per story, the original articles reporting its events (a count of reports),
  whose number is the story's independent mentions.

Sums are integers (importance and confidence in units of 1e-4) so that adding and taking
away in any order gives exactly the totals a fresh sum would: results stay deterministic.
Dates (first known, last update, last event date) and the top events by importance are read
through indexes on story_events, in time that does not grow with the story.
"""

from __future__ import annotations

import sqlite_utils

# What a story_events row copies from its event `e`.
COPIED_COLUMNS = ("ev_live", "ev_importance", "ev_weight", "ev_weighted", "ev_type", "ev_known_at",
                  "ev_updated", "ev_sort_date", "ev_story_date")
COLUMN_TYPES = ("INTEGER", "REAL", "INTEGER", "INTEGER", "TEXT", "TEXT", "TEXT", "TEXT", "TEXT")
COPY_SQL = """(SELECT coalesce(e.status, '') != 'superseded', coalesce(e.importance, 0),
                      max(CAST(round(coalesce(e.importance, 0) * 10000) AS INTEGER), 100),
                      max(CAST(round(coalesce(e.importance, 0) * 10000) AS INTEGER), 100)
                        * CAST(round(coalesce(e.confidence, 0) * 10000) AS INTEGER),
                      e.type, e.known_at, coalesce(e.updated_at, e.known_at), e.sort_date,
                      CASE WHEN e.sort_date IS NULL OR e.sort_date > date(e.known_at, '+31 days')
                           THEN substr(e.known_at, 1, 10) ELSE e.sort_date END
               FROM events e WHERE e.id = {event})"""
# A story's activity date: its latest fact's date (kb/stories/activity.py). Each event counts
# by its story date (its own date; undated, its first report), but never later than its first
# report: "will launch by the end of April", reported April 9, is news of April 9. Read through
# idx_story_events_date from the latest dates down; exact unless the story's ACTIVITY_LOOKAHEAD
# latest-dated events all lie after their first reports.
ACTIVITY_LOOKAHEAD = 50
ACTIVITY_SQL = f"""SELECT max(min(ev_story_date, substr(ev_known_at, 1, 10))) FROM (
    SELECT ev_story_date, coalesce(ev_known_at, ev_story_date) AS ev_known_at
    FROM story_events INDEXED BY idx_story_events_date
    WHERE story_id = {{story}} AND ev_story_date IS NOT NULL
    ORDER BY ev_story_date DESC LIMIT {ACTIVITY_LOOKAHEAD})"""
WEIGHT_UNIT = 10_000  # weight sums are in units of 1e-4
WEIGHTED_UNIT = 100_000_000  # weight x confidence sums in units of 1e-8

TABLES_SQL = """
CREATE TABLE IF NOT EXISTS story_totals (
    story_id INTEGER PRIMARY KEY REFERENCES stories(id) ON DELETE CASCADE,
    events INTEGER NOT NULL DEFAULT 0,
    live_events INTEGER NOT NULL DEFAULT 0,
    weight_all INTEGER NOT NULL DEFAULT 0,
    weight_live INTEGER NOT NULL DEFAULT 0,
    weighted_all INTEGER NOT NULL DEFAULT 0,
    weighted_live INTEGER NOT NULL DEFAULT 0,
    mentions INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS story_type_weights (
    story_id INTEGER NOT NULL REFERENCES stories(id) ON DELETE CASCADE,
    type TEXT NOT NULL,
    live INTEGER NOT NULL,
    events INTEGER NOT NULL DEFAULT 0,
    weight INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (story_id, type, live)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS story_articles (
    story_id INTEGER NOT NULL REFERENCES stories(id) ON DELETE CASCADE,
    article_id INTEGER NOT NULL,
    reports INTEGER NOT NULL,
    PRIMARY KEY (story_id, article_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS idx_story_events_known ON story_events(story_id, ev_known_at);
CREATE INDEX IF NOT EXISTS idx_story_events_updated ON story_events(story_id, ev_updated);
DROP INDEX IF EXISTS idx_story_events_sort;
CREATE INDEX IF NOT EXISTS idx_story_events_recent ON story_events(story_id, ev_sort_date, event_id);
CREATE INDEX IF NOT EXISTS idx_story_events_date ON story_events(story_id, ev_story_date);
CREATE INDEX IF NOT EXISTS idx_story_events_rank
    ON story_events(story_id, ev_importance DESC, event_id, ev_live);
"""

ADD_NEW = """
    INSERT INTO story_totals (story_id, events, live_events, weight_all, weight_live, weighted_all,
                              weighted_live)
    SELECT NEW.story_id, 1, NEW.ev_live, NEW.ev_weight, NEW.ev_live * NEW.ev_weight, NEW.ev_weighted,
           NEW.ev_live * NEW.ev_weighted
    WHERE NEW.ev_weight IS NOT NULL
    ON CONFLICT (story_id) DO UPDATE SET events = events + 1,
        live_events = live_events + excluded.live_events,
        weight_all = weight_all + excluded.weight_all, weight_live = weight_live + excluded.weight_live,
        weighted_all = weighted_all + excluded.weighted_all,
        weighted_live = weighted_live + excluded.weighted_live;
    INSERT INTO story_type_weights (story_id, type, live, events, weight)
    SELECT NEW.story_id, NEW.ev_type, NEW.ev_live, 1, CAST(round(NEW.ev_importance * 10000) AS INTEGER) + 100
    WHERE NEW.ev_weight IS NOT NULL
    ON CONFLICT (story_id, type, live) DO UPDATE SET events = events + 1, weight = weight + excluded.weight;
"""
TAKE_OLD = """
    UPDATE story_totals SET events = events - 1, live_events = live_events - OLD.ev_live,
        weight_all = weight_all - OLD.ev_weight, weight_live = weight_live - OLD.ev_live * OLD.ev_weight,
        weighted_all = weighted_all - OLD.ev_weighted,
        weighted_live = weighted_live - OLD.ev_live * OLD.ev_weighted
    WHERE story_id = OLD.story_id AND OLD.ev_weight IS NOT NULL;
    UPDATE story_type_weights SET events = events - 1,
        weight = weight - (CAST(round(OLD.ev_importance * 10000) AS INTEGER) + 100)
    WHERE story_id = OLD.story_id AND type = OLD.ev_type AND live = OLD.ev_live AND OLD.ev_weight IS NOT NULL;
    DELETE FROM story_type_weights WHERE story_id = OLD.story_id AND type = OLD.ev_type AND live = OLD.ev_live
        AND events <= 0;
"""
ADD_ARTICLES = """
    INSERT INTO story_articles (story_id, article_id, reports)
    SELECT {story}, l.original_article_id, count(*) FROM event_links l WHERE l.event_id = {event}
    GROUP BY l.original_article_id
    ON CONFLICT (story_id, article_id) DO UPDATE SET reports = reports + excluded.reports;
"""
TAKE_ARTICLES = """
    UPDATE story_articles SET reports = reports - (SELECT count(*) FROM event_links l
        WHERE l.event_id = {event} AND l.original_article_id = story_articles.article_id)
    WHERE story_id = {story}
        AND article_id IN (SELECT original_article_id FROM event_links WHERE event_id = {event});
    DELETE FROM story_articles WHERE story_id = {story} AND reports <= 0
        AND article_id IN (SELECT original_article_id FROM event_links WHERE event_id = {event});
"""
LINK_ADD = """
    INSERT INTO story_articles (story_id, article_id, reports)
    SELECT se.story_id, NEW.original_article_id, 1 FROM story_events se WHERE se.event_id = NEW.event_id
    ON CONFLICT (story_id, article_id) DO UPDATE SET reports = reports + 1;
"""
LINK_TAKE = """
    UPDATE story_articles SET reports = reports - 1 WHERE article_id = OLD.original_article_id
        AND story_id IN (SELECT story_id FROM story_events WHERE event_id = OLD.event_id);
    DELETE FROM story_articles WHERE article_id = OLD.original_article_id AND reports <= 0
        AND story_id IN (SELECT story_id FROM story_events WHERE event_id = OLD.event_id);
"""
COPY_ASSIGN = f"({', '.join(COPIED_COLUMNS)}) = " + COPY_SQL

TRIGGERS_SQL = f"""
CREATE TRIGGER IF NOT EXISTS story_events_totals_insert AFTER INSERT ON story_events BEGIN
    UPDATE story_events SET {COPY_ASSIGN.format(event="NEW.event_id")}
    WHERE story_id = NEW.story_id AND event_id = NEW.event_id;
    {ADD_ARTICLES.format(story="NEW.story_id", event="NEW.event_id")}
END;
CREATE TRIGGER IF NOT EXISTS story_events_totals_update
AFTER UPDATE OF story_id, ev_live, ev_importance, ev_weight, ev_weighted, ev_type ON story_events BEGIN
    {TAKE_OLD}
    {ADD_NEW}
END;
CREATE TRIGGER IF NOT EXISTS story_events_articles_move AFTER UPDATE OF story_id ON story_events
WHEN NEW.story_id != OLD.story_id BEGIN
    {TAKE_ARTICLES.format(story="OLD.story_id", event="OLD.event_id")}
    {ADD_ARTICLES.format(story="NEW.story_id", event="NEW.event_id")}
END;
CREATE TRIGGER IF NOT EXISTS story_events_totals_delete AFTER DELETE ON story_events BEGIN
    {TAKE_OLD}
    {TAKE_ARTICLES.format(story="OLD.story_id", event="OLD.event_id")}
END;
CREATE TRIGGER IF NOT EXISTS events_story_copy
AFTER UPDATE OF status, importance, confidence, type, known_at, updated_at, sort_date ON events BEGIN
    UPDATE story_events SET {COPY_ASSIGN.format(event="NEW.id")} WHERE event_id = NEW.id;
END;
CREATE TRIGGER IF NOT EXISTS event_links_story_insert AFTER INSERT ON event_links BEGIN
    {LINK_ADD}
END;
CREATE TRIGGER IF NOT EXISTS event_links_story_update
AFTER UPDATE OF event_id, original_article_id ON event_links BEGIN
    {LINK_TAKE}
    {LINK_ADD}
END;
CREATE TRIGGER IF NOT EXISTS event_links_story_delete AFTER DELETE ON event_links BEGIN
    {LINK_TAKE}
END;
CREATE TRIGGER IF NOT EXISTS story_articles_count_insert AFTER INSERT ON story_articles BEGIN
    INSERT INTO story_totals (story_id, mentions) VALUES (NEW.story_id, 1)
    ON CONFLICT (story_id) DO UPDATE SET mentions = mentions + 1;
END;
CREATE TRIGGER IF NOT EXISTS story_articles_count_delete AFTER DELETE ON story_articles BEGIN
    UPDATE story_totals SET mentions = mentions - 1 WHERE story_id = OLD.story_id;
END;
"""

TRIGGER_NAMES = ("story_events_totals_insert", "story_events_totals_update", "story_events_articles_move",
                 "story_events_totals_delete", "events_story_copy", "event_links_story_insert",
                 "event_links_story_update", "event_links_story_delete", "story_articles_count_insert",
                 "story_articles_count_delete")


def install_story_totals(db: sqlite_utils.Database) -> None:
    """Create the copied columns, total tables, indexes and triggers, and fill the totals.

    Idempotent: migrations m012 and m013 (story date column) run it; a later change to the
    copied columns, tables or triggers needs a new migration that runs it again.
    """
    columns = {c.name for c in db["story_events"].columns}
    for name, kind in zip(COPIED_COLUMNS, COLUMN_TYPES, strict=True):
        if name not in columns:
            db.execute(f"ALTER TABLE story_events ADD COLUMN {name} {kind}")
    for statement in TABLES_SQL.split(";"):
        if statement.strip():
            db.execute(statement)
    rebuild_story_totals(db)


def rebuild_story_totals(db: sqlite_utils.Database) -> None:
    """Recompute the copied columns and every total from scratch (triggers off meanwhile).

    `kb rescore` runs it, so any drift (rows written with triggers missing) is repaired.
    The caller commits.
    """
    drop_story_totals_triggers(db)
    db.execute(f"UPDATE story_events SET {COPY_ASSIGN.format(event='story_events.event_id')}")
    db.execute("DELETE FROM story_totals")
    db.execute("DELETE FROM story_type_weights")
    db.execute("DELETE FROM story_articles")
    db.execute(
        """INSERT INTO story_articles (story_id, article_id, reports)
           SELECT se.story_id, l.original_article_id, count(*) FROM story_events se
           JOIN event_links l ON l.event_id = se.event_id GROUP BY se.story_id, l.original_article_id""")
    db.execute(
        """INSERT INTO story_totals (story_id, events, live_events, weight_all, weight_live, weighted_all,
                                     weighted_live, mentions)
           SELECT s.id, count(se.event_id), coalesce(sum(se.ev_live), 0), coalesce(sum(se.ev_weight), 0),
                  coalesce(sum(se.ev_live * se.ev_weight), 0), coalesce(sum(se.ev_weighted), 0),
                  coalesce(sum(se.ev_live * se.ev_weighted), 0),
                  (SELECT count(*) FROM story_articles sa WHERE sa.story_id = s.id)
           FROM stories s LEFT JOIN story_events se ON se.story_id = s.id GROUP BY s.id""")
    db.execute(
        """INSERT INTO story_type_weights (story_id, type, live, events, weight)
           SELECT story_id, ev_type, ev_live, count(*),
                  sum(CAST(round(ev_importance * 10000) AS INTEGER) + 100)
           FROM story_events GROUP BY story_id, ev_type, ev_live""")
    for statement in TRIGGERS_SQL.split("\nEND;"):
        if statement.strip():
            db.execute(statement + "\nEND")


def drop_story_totals_triggers(db: sqlite_utils.Database) -> None:
    """Stop keeping the totals (for bulk writes); rebuild_story_totals recreates the triggers."""
    for name in TRIGGER_NAMES:
        db.execute(f"DROP TRIGGER IF EXISTS {name}")
