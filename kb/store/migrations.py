"""The knowledge base schema: the migration set (append-only), applied in order by kb.store.db.

The first schema (m001-m003) is in kb/store/initial_schema.py, the steps of the stories' tables
(m022, m023, m027, m028) in kb/store/story_schema.py, the story totals' triggers in
kb/store/story_totals.py and the views (not migrations) in kb/store/views.py.
"""

from __future__ import annotations

import sqlite_utils
from sqlite_utils.migrations import Migrations

from ingest.extract import implausible_date
from kb.store.initial_schema import m001_ingest, m002_nlp, m003_events_stories
from kb.store.story_schema import (
    m022_storylines,
    m023_story_changes_and_prose,
    m027_story_activity_and_edits,
    m028_storyline_links,
)
from kb.store.story_totals import install_story_totals

# One migration set for the whole schema. Steps are append-only: never edit an applied
# step, add a new one at the end.
core = Migrations("kb")
for _step in (m001_ingest, m002_nlp, m003_events_stories):
    core()(_step)


@core()
def m004_near_duplicates(db: sqlite_utils.Database) -> None:
    """MinHash signatures and LSH band keys for near-duplicate (syndicated) articles."""
    db.executescript(
        """
        ALTER TABLE articles ADD COLUMN minhash BLOB;
        CREATE TABLE article_bands (
            article_id INTEGER NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
            band INTEGER NOT NULL,
            key INTEGER NOT NULL,
            PRIMARY KEY (article_id, band)
        );
        CREATE INDEX idx_article_bands_key ON article_bands(key);
        """
    )


@core()
def m005_article_url_index(db: sqlite_utils.Database) -> None:
    """Find articles by the URL they were fetched from, not only by canonical URL."""
    db.execute("CREATE INDEX idx_articles_url ON articles(url)")


@core()
def m006_claim_ledger(db: sqlite_utils.Database) -> None:
    """Claim-ledger bookkeeping: event date spans, report links, story entities, story fields."""
    db.executescript(
        """
        ALTER TABLE events ADD COLUMN date_start TEXT;
        ALTER TABLE events ADD COLUMN date_end TEXT;
        CREATE INDEX idx_events_type_start ON events(type, date_start);
        CREATE INDEX idx_events_type_known ON events(type, known_at);

        -- Which event each article's report went to, kept across reprocessing so that
        -- re-extracted reports return to the same event (stable event ids).
        CREATE TABLE event_links (
            article_id INTEGER NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
            mention_key TEXT NOT NULL,
            event_id INTEGER NOT NULL REFERENCES events(id) ON DELETE CASCADE,
            original_article_id INTEGER NOT NULL,
            known_at TEXT,
            PRIMARY KEY (article_id, mention_key)
        );
        CREATE INDEX idx_event_links_event ON event_links(event_id);

        -- Lookup keys for matching a new report to an event without scanning: one row per
        -- (entity, type, month) the event's date covers ('u'-prefixed month of first report
        -- for undated events), and (entity, '*', 'k' + month first known) for denials.
        CREATE TABLE event_keys (
            entity_id INTEGER NOT NULL,
            type TEXT NOT NULL,
            bucket TEXT NOT NULL,
            event_id INTEGER NOT NULL REFERENCES events(id) ON DELETE CASCADE,
            PRIMARY KEY (entity_id, type, bucket, event_id)
        ) WITHOUT ROWID;
        CREATE INDEX idx_event_keys_event ON event_keys(event_id);

        -- A story's entities, for finding candidate stories of a new event by index.
        CREATE TABLE story_entities (
            story_id INTEGER NOT NULL REFERENCES stories(id) ON DELETE CASCADE,
            entity_id INTEGER NOT NULL REFERENCES entities(id) ON DELETE CASCADE,
            events INTEGER NOT NULL,
            last_date TEXT,
            PRIMARY KEY (story_id, entity_id)
        );
        CREATE INDEX idx_story_entities_entity ON story_entities(entity_id, last_date);

        ALTER TABLE stories ADD COLUMN section TEXT;
        ALTER TABLE stories ADD COLUMN events INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE stories ADD COLUMN last_event_date TEXT;
        CREATE INDEX idx_stories_status ON stories(status, updated_at);
        """
    )


@core()
def m007_datasette_indexes(db: sqlite_utils.Database) -> None:
    """Indexes the Datasette pages need: events by lead article, entity links covering event ids."""
    db.executescript(
        """
        CREATE INDEX IF NOT EXISTS idx_events_article ON events(article_id);
        CREATE INDEX IF NOT EXISTS idx_event_entities_entity_event ON event_entities(entity_id, event_id);
        """
    )


@core()
def m008_superseded_events_index(db: sqlite_utils.Database) -> None:
    """A small index of superseded events, so charts can count the others from a covering index."""
    db.execute("CREATE INDEX IF NOT EXISTS idx_events_superseded ON events(type, sort_date) "
               "WHERE status = 'superseded'")


@core()
def m009_story_profiles(db: sqlite_utils.Database) -> None:
    """Stored story profiles for incremental story matching; deterministic candidate order."""
    db.executescript(
        """
        -- What matching a new event against a story needs, kept current as events join
        -- (a missing row is rebuilt from the story's events when next needed).
        CREATE TABLE story_profiles (
            story_id INTEGER PRIMARY KEY REFERENCES stories(id) ON DELETE CASCADE,
            size INTEGER NOT NULL,
            first_date TEXT,
            last_date TEXT,
            families TEXT NOT NULL DEFAULT '{}',
            names TEXT NOT NULL DEFAULT '[]',
            recent TEXT NOT NULL DEFAULT '[]'
        );
        DROP INDEX IF EXISTS idx_story_entities_entity;
        CREATE INDEX idx_story_entities_lookup ON story_entities(entity_id, last_date, story_id);
        CREATE INDEX IF NOT EXISTS idx_articles_fetched ON articles(fetched_at);
        """
    )


@core()
def m010_rumor_keys(db: sqlite_utils.Database) -> None:
    """File rumored events under (entity, 'rumor:' + type, 'k' + month) keys, for supersession."""
    db.execute(
        """INSERT OR IGNORE INTO event_keys (entity_id, type, bucket, event_id)
           SELECT k.entity_id, 'rumor:' || e.type, k.bucket, k.event_id FROM event_keys k
           JOIN events e ON e.id = k.event_id WHERE k.type = '*' AND e.status = 'rumored'"""
    )


@core()
def m011_superseded_by_index(db: sqlite_utils.Database) -> None:
    """Index events.superseded_by: deleting an event checks it (foreign key) without a scan."""
    db.execute("CREATE INDEX IF NOT EXISTS idx_events_superseded_by ON events(superseded_by)")


@core()
def m012_story_totals(db: sqlite_utils.Database) -> None:
    """Running story totals kept by triggers (kb/store/story_totals.py): story refreshes read no
    unchanged event."""
    install_story_totals(db)


@core()
def m013_story_dates(db: sqlite_utils.Database) -> None:
    """story_events also copies its event's story date; indexes for a story's dates and latest events."""
    install_story_totals(db)


@core()
def m014_story_overview_key(db: sqlite_utils.Database) -> None:
    """stories.overview_key: a digest of what the overview was written from (regenerated only when it
    changes)."""
    db.execute("ALTER TABLE stories ADD COLUMN overview_key TEXT")


@core()
def m015_story_text_key(db: sqlite_utils.Database) -> None:
    """stories.text_key: which events the title and overview were last written from (rewritten only
    when they change)."""
    db.execute("ALTER TABLE stories ADD COLUMN text_key TEXT")


@core()
def m016_entity_first_mentions(db: sqlite_utils.Database) -> None:
    """When each entity was first named, extended by new mentions only (kb/stories/text.py); dropped when
    one of its mentions is deleted or moved, or a mentioning article's date changes."""
    db.execute("""CREATE TABLE IF NOT EXISTS entity_first_mentions (
        entity_id INTEGER PRIMARY KEY REFERENCES entities(id) ON DELETE CASCADE,
        first_date TEXT,
        upto_mention_id INTEGER NOT NULL)""")
    db.execute("""CREATE TRIGGER IF NOT EXISTS mentions_first_mention_delete AFTER DELETE ON mentions BEGIN
        DELETE FROM entity_first_mentions WHERE entity_id = OLD.entity_id;
    END""")
    db.execute("CREATE TRIGGER IF NOT EXISTS mentions_first_mention_update "
               """AFTER UPDATE OF entity_id, article_id
    ON mentions BEGIN
        DELETE FROM entity_first_mentions WHERE entity_id IN (OLD.entity_id, NEW.entity_id);
    END""")
    db.execute("""CREATE TRIGGER IF NOT EXISTS articles_first_mention_date
    AFTER UPDATE OF published_at, fetched_at ON articles
    WHEN substr(coalesce(OLD.published_at, OLD.fetched_at), 1, 10)
         IS NOT substr(coalesce(NEW.published_at, NEW.fetched_at), 1, 10) BEGIN
        DELETE FROM entity_first_mentions WHERE entity_id IN """
               """(SELECT entity_id FROM mentions WHERE article_id = NEW.id);
    END""")


@core()
def m017_entity_edits(db: sqlite_utils.Database) -> None:
    """A count of edits to entities' names, types, statuses and centralities: story titles read them,
    so a story whose count changed since its title was written gets a new one when next refreshed."""
    db.execute("CREATE TABLE IF NOT EXISTS entity_edits "
               "(id INTEGER PRIMARY KEY CHECK (id = 1), edits INTEGER NOT NULL)")
    db.execute("INSERT OR IGNORE INTO entity_edits (id, edits) VALUES (1, 0)")
    db.execute("CREATE TRIGGER IF NOT EXISTS entities_edit_count "
               """AFTER UPDATE OF name, type, status, centrality
    ON entities WHEN OLD.name IS NOT NEW.name OR OLD.type IS NOT NEW.type OR OLD.status IS NOT NEW.status
                     OR OLD.centrality IS NOT NEW.centrality BEGIN
        UPDATE entity_edits SET edits = edits + 1 WHERE id = 1;
    END""")
    db.execute("""CREATE TRIGGER IF NOT EXISTS entities_delete_count AFTER DELETE ON entities BEGIN
        UPDATE entity_edits SET edits = edits + 1 WHERE id = 1;
    END""")


@core()
def m018_published_source_and_analysis_status(db: sqlite_utils.Database) -> None:
    """articles.published_source ("page", "feed" or "fetched") and published_note (why a date was
    passed over); articles.analysis_status ("ok" or "failed") and analysis_error. Stored publication
    dates the plausibility rule rejects (ingest.extract.choose_published: before 1990, or more than
    a day after the fetch) are replaced by the fetch time, and those articles are analysed again."""
    for column in ("published_source", "published_note", "analysis_status", "analysis_error"):
        db.execute(f"ALTER TABLE articles ADD COLUMN {column} TEXT")
    # A superset of the implausible dates (text comparison); choose_published decides.
    rows = db.execute("SELECT id, published_at, fetched_at FROM articles WHERE published_at IS NOT NULL "
                      "AND fetched_at IS NOT NULL AND (published_at < '1990' OR published_at > fetched_at)"
                      ).fetchall()
    for article_id, published, fetched in rows:
        problem = implausible_date(published, fetched)
        if problem:
            db.execute("UPDATE articles SET published_at = fetched_at, published_source = 'fetched', "
                       "published_note = ?, processed_at = NULL WHERE id = ?",
                       [f"stored date {problem} (replaced when the rule was introduced)", article_id])


@core()
def m019_pending_entries(db: sqlite_utils.Database) -> None:
    """Entries a run planned to fetch, kept with the feed's validators in one transaction and
    deleted with the article (or failure) they became: a run killed or out of time in between
    leaves them here, and the next run fetches them whether or not their source is due."""
    db.executescript(
        """
        CREATE TABLE IF NOT EXISTS pending_entries (
            id INTEGER PRIMARY KEY,
            source_id INTEGER NOT NULL REFERENCES sources(id) ON DELETE CASCADE,
            url TEXT NOT NULL,
            canonical_url TEXT NOT NULL,
            feed_guid TEXT,
            title TEXT,
            feed_published TEXT,
            feed_updated TEXT,
            summary TEXT,
            planned_at TEXT NOT NULL,
            UNIQUE (source_id, canonical_url)
        );
        """
    )
    if "articles_deferred" not in db["ingest_runs"].columns_dict:
        db.execute("ALTER TABLE ingest_runs ADD COLUMN articles_deferred INTEGER NOT NULL DEFAULT 0")


@core()
def m020_article_blocks(db: sqlite_utils.Database) -> None:
    """The blocks of each article's text (ingest.blocks): kind and offsets into articles.text.
    Analysis reads the body kinds only; search keeps the whole text. An article stored before
    this migration has no blocks and is analysed whole."""
    db.executescript(
        """
        CREATE TABLE IF NOT EXISTS article_blocks (
            article_id INTEGER NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
            seq INTEGER NOT NULL,
            kind TEXT NOT NULL CHECK (kind IN ('paragraph', 'heading', 'list_item', 'blockquote',
                'dateline', 'caption', 'byline', 'related_links', 'faq')),
            start INTEGER NOT NULL,
            "end" INTEGER NOT NULL,
            PRIMARY KEY (article_id, seq)
        ) WITHOUT ROWID;
        """
    )


core()(m022_storylines)
core()(m023_story_changes_and_prose)


@core()
def m024_event_recap_and_context_clauses(db: sqlite_utils.Database) -> None:
    """event_mentions.recap: 1 when the sentence recalls an earlier fact ("the $1 billion Microsoft
    poured into OpenAI in 2019") rather than reporting news; such a report is dated by the fact's
    own date, never by publication. context_clauses: the clauses of an article that state no
    fact (a plan, a conditional, an opinion, an allegation, background...), with the type of
    their trigger and their entities, for a story's strategic context and legal watch; they
    never become events (kb/nlp/events/clauses.py)."""
    if "recap" not in db["event_mentions"].columns_dict:
        db.execute("ALTER TABLE event_mentions ADD COLUMN recap INTEGER NOT NULL DEFAULT 0")
    db.executescript(
        """
        CREATE TABLE IF NOT EXISTS context_clauses (
            id INTEGER PRIMARY KEY,
            article_id INTEGER NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
            kind TEXT NOT NULL,
            type TEXT NOT NULL,
            trigger TEXT NOT NULL,
            sentence TEXT NOT NULL,
            sentence_index INTEGER,
            start INTEGER NOT NULL,
            "end" INTEGER NOT NULL,
            entities TEXT NOT NULL DEFAULT '[]'
        );
        CREATE INDEX IF NOT EXISTS idx_context_clauses_article ON context_clauses(article_id);
        """
    )


@core()
def m025_ingest_run_seconds(db: sqlite_utils.Database) -> None:
    """ingest_runs.seconds: how long a run took (`kb runs` shows it; older runs are measured from
    their start and finish times, to the second)."""
    if "seconds" not in db["ingest_runs"].columns_dict:
        db.execute("ALTER TABLE ingest_runs ADD COLUMN seconds REAL")



@core()
def m026_changes_and_watch_indexes(db: sqlite_utils.Database) -> None:
    """Indexes of the pages an analyst returns to: /-/changes reads story_changes by time, and
    /-/watch reads rumored and denied events newest first, denying reports and date conflicts."""
    db.executescript(
        """
        CREATE INDEX IF NOT EXISTS idx_story_changes_at ON story_changes(at);
        CREATE INDEX IF NOT EXISTS idx_events_status_known ON events(status, known_at);
        CREATE INDEX IF NOT EXISTS idx_event_mentions_denial ON event_mentions(event_id) WHERE denial = 1;
        CREATE INDEX IF NOT EXISTS idx_event_history_date_conflicts ON event_history(at)
            WHERE reason LIKE 'date conflict:%';
        """
    )


core()(m027_story_activity_and_edits)
core()(m028_storyline_links)


@core()
def m029_event_mention_trigger(db: sqlite_utils.Database) -> None:
    """event_mentions.trigger: the words that made the report an event ("fired", "is returning",
    "will be joining"). The ledger reads a personnel report's direction from it (a departure,
    a hire, a return, an appointment: matching.personnel_directions in data/weights.toml) and
    never merges reports of opposite moves. Reports written before have none (NULL) and match
    as before."""
    if "trigger" not in db["event_mentions"].columns_dict:
        db.execute("ALTER TABLE event_mentions ADD COLUMN trigger TEXT")


@core()
def m030_retired_event_ids(db: sqlite_utils.Database) -> None:
    """event_ids_retired: ids of events whose reports were folded into another event (one
    announcement told under two types, kb/ledger/combine.py). New events are numbered after them
    as after live events, so merging in batches or all at once gives every event the same id."""
    db.execute("CREATE TABLE IF NOT EXISTS event_ids_retired (id INTEGER PRIMARY KEY)")


MIGRATION_SETS: list[Migrations] = [core]
