"""The knowledge base schema: migrations (append-only) and the SQL views users query."""

from __future__ import annotations

import sqlite_utils
from sqlite_utils.migrations import Migrations

# One migration set for the whole schema. Steps are append-only: never edit an applied
# step, add a new one at the end.
core = Migrations("kb")

ARTICLE_STATUSES = ("pending", "ok", "extract_failed", "http_error", "too_large", "not_html", "blocked", "not_english")


@core()
def m001_ingest(db: sqlite_utils.Database) -> None:
    """Sources, articles (with FTS5), revisions, sightings and ingest runs."""
    db.executescript(
        """
        CREATE TABLE sources (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE,
            url TEXT NOT NULL UNIQUE,
            kind TEXT NOT NULL DEFAULT 'feed' CHECK (kind IN ('feed', 'sitemap', 'page')),
            reliability REAL NOT NULL DEFAULT 0.5 CHECK (reliability BETWEEN 0 AND 1),
            first_party INTEGER NOT NULL DEFAULT 0,
            tags TEXT NOT NULL DEFAULT '[]',
            local INTEGER NOT NULL DEFAULT 0,
            min_interval_seconds INTEGER NOT NULL DEFAULT 900,
            enabled INTEGER NOT NULL DEFAULT 1,
            etag TEXT,
            last_modified TEXT,
            last_fetched_at TEXT,
            last_status TEXT,
            last_error TEXT,
            error_count INTEGER NOT NULL DEFAULT 0,
            next_fetch_after TEXT,
            created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
        );

        CREATE TABLE articles (
            id INTEGER PRIMARY KEY,
            url TEXT NOT NULL,
            canonical_url TEXT NOT NULL UNIQUE,
            source_id INTEGER REFERENCES sources(id) ON DELETE SET NULL,
            feed_guid TEXT,
            title TEXT,
            author TEXT,
            published_at TEXT,
            updated_at TEXT,
            fetched_at TEXT,
            summary TEXT,
            text TEXT,
            lang TEXT,
            content_hash TEXT,
            duplicate_of INTEGER REFERENCES articles(id) ON DELETE SET NULL,
            relevant INTEGER,
            topics TEXT NOT NULL DEFAULT '[]',
            status TEXT NOT NULL DEFAULT 'pending'
                CHECK (status IN ('pending', 'ok', 'extract_failed', 'http_error', 'too_large',
                                  'not_html', 'blocked', 'not_english')),
            status_reason TEXT,
            http_status INTEGER,
            attempts INTEGER NOT NULL DEFAULT 0,
            next_retry_after TEXT,
            nlp_version TEXT,
            processed_at TEXT,
            created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
        );
        CREATE INDEX idx_articles_source ON articles(source_id);
        CREATE INDEX idx_articles_published ON articles(published_at);
        CREATE INDEX idx_articles_hash ON articles(content_hash);
        CREATE INDEX idx_articles_status ON articles(status, next_retry_after);
        CREATE INDEX idx_articles_duplicate ON articles(duplicate_of);

        CREATE VIRTUAL TABLE articles_fts USING fts5(
            title, text, content='articles', content_rowid='id', tokenize='porter unicode61'
        );
        CREATE TRIGGER articles_ai AFTER INSERT ON articles BEGIN
            INSERT INTO articles_fts(rowid, title, text) VALUES (new.id, new.title, new.text);
        END;
        CREATE TRIGGER articles_ad AFTER DELETE ON articles BEGIN
            INSERT INTO articles_fts(articles_fts, rowid, title, text)
            VALUES ('delete', old.id, old.title, old.text);
        END;
        CREATE TRIGGER articles_au AFTER UPDATE OF title, text ON articles BEGIN
            INSERT INTO articles_fts(articles_fts, rowid, title, text)
            VALUES ('delete', old.id, old.title, old.text);
            INSERT INTO articles_fts(rowid, title, text) VALUES (new.id, new.title, new.text);
        END;

        CREATE TABLE article_revisions (
            id INTEGER PRIMARY KEY,
            article_id INTEGER NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
            title TEXT,
            text TEXT,
            content_hash TEXT,
            published_at TEXT,
            updated_at TEXT,
            fetched_at TEXT,
            replaced_at TEXT NOT NULL
        );
        CREATE INDEX idx_revisions_article ON article_revisions(article_id);

        -- Every time a feed lists an article: the same article seen in several feeds.
        CREATE TABLE article_sightings (
            article_id INTEGER NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
            source_id INTEGER NOT NULL REFERENCES sources(id) ON DELETE CASCADE,
            guid TEXT,
            entry_url TEXT,
            first_seen_at TEXT NOT NULL,
            PRIMARY KEY (article_id, source_id)
        );

        CREATE TABLE ingest_runs (
            id INTEGER PRIMARY KEY,
            started_at TEXT NOT NULL,
            finished_at TEXT,
            status TEXT NOT NULL DEFAULT 'running'
                CHECK (status IN ('running', 'ok', 'partial', 'failed', 'interrupted')),
            pid INTEGER,
            host TEXT,
            sources_file TEXT,
            sources_ok INTEGER NOT NULL DEFAULT 0,
            sources_failed INTEGER NOT NULL DEFAULT 0,
            sources_skipped INTEGER NOT NULL DEFAULT 0,
            articles_new INTEGER NOT NULL DEFAULT 0,
            articles_updated INTEGER NOT NULL DEFAULT 0,
            articles_duplicate INTEGER NOT NULL DEFAULT 0,
            articles_failed INTEGER NOT NULL DEFAULT 0,
            errors TEXT NOT NULL DEFAULT '[]',
            summary TEXT
        );
        """
    )


@core()
def m002_nlp(db: sqlite_utils.Database) -> None:
    """Entities, aliases, mentions, timexes and per-article event mentions."""
    db.executescript(
        """
        CREATE TABLE entities (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL,
            type TEXT NOT NULL,
            status TEXT NOT NULL DEFAULT 'known' CHECK (status IN ('known', 'candidate', 'ignored')),
            wikidata_id TEXT,
            description TEXT,
            centrality REAL NOT NULL DEFAULT 0,
            first_seen_at TEXT,
            created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
            UNIQUE (name, type)
        );
        CREATE TABLE entity_aliases (
            entity_id INTEGER NOT NULL REFERENCES entities(id) ON DELETE CASCADE,
            alias TEXT NOT NULL,
            PRIMARY KEY (entity_id, alias)
        );
        CREATE INDEX idx_aliases_alias ON entity_aliases(alias);

        CREATE TABLE mentions (
            id INTEGER PRIMARY KEY,
            article_id INTEGER NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
            entity_id INTEGER REFERENCES entities(id) ON DELETE CASCADE,
            label TEXT NOT NULL,
            start INTEGER NOT NULL,
            "end" INTEGER NOT NULL,
            text TEXT NOT NULL,
            sentence_index INTEGER
        );
        CREATE INDEX idx_mentions_article ON mentions(article_id);
        CREATE INDEX idx_mentions_entity ON mentions(entity_id);

        CREATE TABLE timexes (
            id INTEGER PRIMARY KEY,
            article_id INTEGER NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
            start INTEGER NOT NULL,
            "end" INTEGER NOT NULL,
            text TEXT NOT NULL,
            type TEXT NOT NULL CHECK (type IN ('DATE', 'TIME', 'DURATION', 'SET')),
            value TEXT,
            mod TEXT,
            sentence_index INTEGER
        );
        CREATE INDEX idx_timexes_article ON timexes(article_id);

        -- One row per event found in one article's sentence (the evidence).
        -- Merged facts live in `events`; event_id links a report to its fact.
        CREATE TABLE event_mentions (
            id INTEGER PRIMARY KEY,
            article_id INTEGER NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
            event_id INTEGER REFERENCES events(id) ON DELETE SET NULL,
            type TEXT NOT NULL,
            date TEXT,
            date_mod TEXT,
            date_text TEXT,
            date_source TEXT NOT NULL DEFAULT 'none'
                CHECK (date_source IN ('explicit', 'relative', 'published', 'none')),
            sentence TEXT NOT NULL,
            sentence_index INTEGER,
            start INTEGER NOT NULL,
            "end" INTEGER NOT NULL,
            hedged INTEGER NOT NULL DEFAULT 0,
            negated INTEGER NOT NULL DEFAULT 0,
            denial INTEGER NOT NULL DEFAULT 0,
            attributed_to TEXT,
            confidence REAL,
            entities TEXT NOT NULL DEFAULT '[]'
        );
        CREATE INDEX idx_event_mentions_article ON event_mentions(article_id);
        CREATE INDEX idx_event_mentions_event ON event_mentions(event_id);
        """
    )


@core()
def m003_events_stories(db: sqlite_utils.Database) -> None:
    """Merged events (the claim ledger), their history, stories and story membership."""
    db.executescript(
        """
        -- One row per fact, however many articles reported it. article_id, sentence,
        -- start and end point at the lead report (the evidence shown first).
        CREATE TABLE events (
            id INTEGER PRIMARY KEY,
            type TEXT NOT NULL CHECK (type IN ('release', 'investment', 'partnership',
                'competition', 'personnel', 'legal', 'regulatory', 'corporate',
                'statement', 'pricing')),
            article_id INTEGER REFERENCES articles(id) ON DELETE SET NULL,
            date TEXT,
            date_mod TEXT,
            date_text TEXT,
            date_source TEXT NOT NULL DEFAULT 'none',
            date_precision TEXT,
            sort_date TEXT,
            sentence TEXT,
            start INTEGER,
            "end" INTEGER,
            hedged INTEGER NOT NULL DEFAULT 0,
            negated INTEGER NOT NULL DEFAULT 0,
            attributed_to TEXT,
            status TEXT NOT NULL DEFAULT 'reported'
                CHECK (status IN ('rumored', 'reported', 'confirmed', 'denied', 'superseded')),
            superseded_by INTEGER REFERENCES events(id) ON DELETE SET NULL,
            summary TEXT,
            mentions INTEGER NOT NULL DEFAULT 0,
            sources INTEGER NOT NULL DEFAULT 0,
            first_reported_at TEXT,
            first_reported_by INTEGER REFERENCES sources(id) ON DELETE SET NULL,
            known_at TEXT,
            importance REAL,
            confidence REAL,
            score_components TEXT,
            formula_version TEXT,
            updated_at TEXT
        );
        CREATE INDEX idx_events_date ON events(sort_date);
        CREATE INDEX idx_events_type ON events(type, sort_date);
        CREATE INDEX idx_events_importance ON events(importance);
        CREATE INDEX idx_events_known ON events(known_at);

        CREATE TABLE event_entities (
            event_id INTEGER NOT NULL REFERENCES events(id) ON DELETE CASCADE,
            entity_id INTEGER NOT NULL REFERENCES entities(id) ON DELETE CASCADE,
            role TEXT NOT NULL DEFAULT 'participant'
                CHECK (role IN ('agent', 'partner', 'object', 'product', 'participant')),
            PRIMARY KEY (event_id, entity_id, role)
        );
        CREATE INDEX idx_event_entities_entity ON event_entities(entity_id);

        CREATE TABLE event_history (
            id INTEGER PRIMARY KEY,
            event_id INTEGER NOT NULL REFERENCES events(id) ON DELETE CASCADE,
            at TEXT NOT NULL,
            old_status TEXT,
            new_status TEXT NOT NULL,
            reason TEXT NOT NULL,
            article_id INTEGER REFERENCES articles(id) ON DELETE SET NULL
        );
        CREATE INDEX idx_event_history_event ON event_history(event_id);

        CREATE TABLE stories (
            id INTEGER PRIMARY KEY,
            title TEXT NOT NULL,
            overview TEXT,
            status TEXT NOT NULL DEFAULT 'developing'
                CHECK (status IN ('developing', 'ongoing', 'dormant', 'merged')),
            importance REAL,
            confidence REAL,
            mentions INTEGER NOT NULL DEFAULT 0,
            first_seen TEXT,
            updated_at TEXT,
            score_components TEXT,
            formula_version TEXT,
            title_locked INTEGER NOT NULL DEFAULT 0,
            overview_locked INTEGER NOT NULL DEFAULT 0,
            merged_into INTEGER REFERENCES stories(id) ON DELETE SET NULL,
            created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
        );
        CREATE INDEX idx_stories_importance ON stories(importance);

        CREATE TABLE story_events (
            story_id INTEGER NOT NULL REFERENCES stories(id) ON DELETE CASCADE,
            event_id INTEGER NOT NULL REFERENCES events(id) ON DELETE CASCADE,
            added_at TEXT NOT NULL,
            manual INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY (story_id, event_id)
        );
        CREATE INDEX idx_story_events_event ON story_events(event_id);

        CREATE VIRTUAL TABLE events_fts USING fts5(
            sentence, summary, content='events', content_rowid='id', tokenize='porter unicode61'
        );
        CREATE TRIGGER events_ai AFTER INSERT ON events BEGIN
            INSERT INTO events_fts(rowid, sentence, summary) VALUES (new.id, new.sentence, new.summary);
        END;
        CREATE TRIGGER events_ad AFTER DELETE ON events BEGIN
            INSERT INTO events_fts(events_fts, rowid, sentence, summary)
            VALUES ('delete', old.id, old.sentence, old.summary);
        END;
        CREATE TRIGGER events_au AFTER UPDATE OF sentence, summary ON events BEGIN
            INSERT INTO events_fts(events_fts, rowid, sentence, summary)
            VALUES ('delete', old.id, old.sentence, old.summary);
            INSERT INTO events_fts(rowid, sentence, summary) VALUES (new.id, new.sentence, new.summary);
        END;
        """
    )


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
    """Running story totals kept by triggers (kb/story_totals.py): story refreshes read no unchanged event."""
    from kb.stories.totals import install_story_totals

    install_story_totals(db)


@core()
def m013_story_dates(db: sqlite_utils.Database) -> None:
    """story_events also copies its event's story date; indexes for a story's dates and latest events."""
    from kb.stories.totals import install_story_totals

    install_story_totals(db)


@core()
def m014_story_overview_key(db: sqlite_utils.Database) -> None:
    """stories.overview_key: a digest of what the overview was written from (regenerated only when it changes)."""
    db.execute("ALTER TABLE stories ADD COLUMN overview_key TEXT")


@core()
def m015_story_text_key(db: sqlite_utils.Database) -> None:
    """stories.text_key: which events the title and overview were last written from (rewritten only when they change)."""
    db.execute("ALTER TABLE stories ADD COLUMN text_key TEXT")


@core()
def m016_entity_first_mentions(db: sqlite_utils.Database) -> None:
    """When each entity was first named, extended by new mentions only (kb/story_text.py); dropped when
    one of its mentions is deleted or moved, or a mentioning article's date changes."""
    db.execute("""CREATE TABLE IF NOT EXISTS entity_first_mentions (
        entity_id INTEGER PRIMARY KEY REFERENCES entities(id) ON DELETE CASCADE,
        first_date TEXT,
        upto_mention_id INTEGER NOT NULL)""")
    db.execute("""CREATE TRIGGER IF NOT EXISTS mentions_first_mention_delete AFTER DELETE ON mentions BEGIN
        DELETE FROM entity_first_mentions WHERE entity_id = OLD.entity_id;
    END""")
    db.execute("""CREATE TRIGGER IF NOT EXISTS mentions_first_mention_update AFTER UPDATE OF entity_id, article_id
    ON mentions BEGIN
        DELETE FROM entity_first_mentions WHERE entity_id IN (OLD.entity_id, NEW.entity_id);
    END""")
    db.execute("""CREATE TRIGGER IF NOT EXISTS articles_first_mention_date
    AFTER UPDATE OF published_at, fetched_at ON articles
    WHEN substr(coalesce(OLD.published_at, OLD.fetched_at), 1, 10)
         IS NOT substr(coalesce(NEW.published_at, NEW.fetched_at), 1, 10) BEGIN
        DELETE FROM entity_first_mentions WHERE entity_id IN (SELECT entity_id FROM mentions WHERE article_id = NEW.id);
    END""")


@core()
def m017_entity_edits(db: sqlite_utils.Database) -> None:
    """A count of edits to entities' names, types, statuses and centralities: story titles read them,
    so a story whose count changed since its title was written gets a new one when next refreshed."""
    db.execute("CREATE TABLE IF NOT EXISTS entity_edits (id INTEGER PRIMARY KEY CHECK (id = 1), edits INTEGER NOT NULL)")
    db.execute("INSERT OR IGNORE INTO entity_edits (id, edits) VALUES (1, 0)")
    db.execute("""CREATE TRIGGER IF NOT EXISTS entities_edit_count AFTER UPDATE OF name, type, status, centrality
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
    from ingest.extract import implausible_date

    for column in ("published_source", "published_note", "analysis_status", "analysis_error"):
        db.execute(f"ALTER TABLE articles ADD COLUMN {column} TEXT")
    # A superset of the implausible dates (text comparison); choose_published decides.
    rows = db.execute("SELECT id, published_at, fetched_at FROM articles WHERE published_at IS NOT NULL "
                      "AND fetched_at IS NOT NULL AND (published_at < '1990' OR published_at > fetched_at)").fetchall()
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

MIGRATION_SETS: list[Migrations] = [core]

# Views users query; re-created whenever their SQL changes.
VIEWS: dict[str, str] = {
    "ingest_health": """
        SELECT s.id AS source_id, s.name, s.kind, s.last_status, s.last_error, s.error_count,
               s.last_fetched_at, s.next_fetch_after,
               (SELECT count(*) FROM articles a WHERE a.source_id = s.id) AS articles,
               (SELECT count(*) FROM articles a WHERE a.source_id = s.id AND a.status != 'ok')
                   AS articles_failed,
               (SELECT count(*) FROM pending_entries p WHERE p.source_id = s.id) AS entries_pending
        FROM sources s
    """,
    # One row per event (superseded ones left out): date, type, scores, story, entities,
    # lead article and every reporting source. Filter on its columns in one SELECT.
    "timeline": """
        SELECT e.id AS event_id, e.sort_date, e.date, e.date_mod, e.date_precision, e.type,
               e.status, e.importance, e.confidence, e.mentions, e.sources, e.summary,
               e.sentence, e.known_at, e.first_reported_at,
               st.id AS story_id, st.title AS story,
               (SELECT group_concat(name, '; ') FROM (
                  SELECT DISTINCT en.name FROM event_entities ee
                  JOIN entities en ON en.id = ee.entity_id WHERE ee.event_id = e.id
                  ORDER BY en.name)) AS entities,
               a.id AS article_id, a.title AS article_title, a.url AS article_url,
               src.name AS source,
               frs.name AS first_reported_by, st.status AS story_status,
               st.importance AS story_importance, e.hedged, e.attributed_to, e.date_text,
               (SELECT group_concat(name, '; ') FROM (
                  SELECT DISTINCT s2.name FROM event_mentions em
                  JOIN articles a2 ON a2.id = em.article_id
                  JOIN sources s2 ON s2.id = a2.source_id WHERE em.event_id = e.id
                  ORDER BY s2.name)) AS reported_by,
               (SELECT ',' || group_concat(entity_id, ',') || ',' FROM (
                  SELECT DISTINCT ee.entity_id FROM event_entities ee
                  WHERE ee.event_id = e.id ORDER BY ee.entity_id)) AS entity_ids
        FROM events e
        LEFT JOIN story_events se ON se.event_id = e.id
        LEFT JOIN stories st ON st.id = se.story_id
        LEFT JOIN articles a ON a.id = e.article_id
        LEFT JOIN sources src ON src.id = a.source_id
        LEFT JOIN sources frs ON frs.id = e.first_reported_by
        WHERE e.status != 'superseded'
    """,
    # Each event's status over time: one row per status it held, valid from..to (to is
    # NULL for the current status). The as-of query in kb/ledger.py (AS_OF_SQL) uses it.
    "event_status_periods": """
        SELECT h.event_id, h.new_status AS status, h.at AS valid_from,
               lead(h.at) OVER (PARTITION BY h.event_id ORDER BY h.at, h.id) AS valid_to,
               h.reason, h.article_id
        FROM event_history h
    """,
    # Every article reporting an event, with its source; syndicated copies and
    # near-duplicates point at their original (independent = 0 for the copies).
    "event_reports": """
        SELECT em.event_id, em.id AS mention_id, a.id AS article_id, a.title, a.url,
               a.published_at, src.name AS source, src.reliability, src.first_party,
               em.hedged, em.negated, em.denial, em.attributed_to, em.sentence,
               coalesce(l.original_article_id, a.id) AS original_article_id,
               CASE WHEN coalesce(l.original_article_id, a.id) = a.id THEN 1 ELSE 0 END AS independent
        FROM event_mentions em
        JOIN articles a ON a.id = em.article_id
        LEFT JOIN sources src ON src.id = a.source_id
        LEFT JOIN event_links l ON l.article_id = em.article_id AND l.event_id = em.event_id
             AND l.mention_key = (SELECT l2.mention_key FROM event_links l2
                                  WHERE l2.article_id = em.article_id AND l2.event_id = em.event_id
                                  LIMIT 1)
        WHERE em.event_id IS NOT NULL
        UNION ALL
        SELECT em.event_id, NULL, c.id, c.title, c.url, c.published_at, cs.name, cs.reliability,
               cs.first_party, em.hedged, em.negated, em.denial, em.attributed_to, em.sentence,
               em.article_id, 0
        FROM event_mentions em
        JOIN articles c ON c.duplicate_of = em.article_id
        LEFT JOIN sources cs ON cs.id = c.source_id
        WHERE em.event_id IS NOT NULL
          AND em.id = (SELECT min(m3.id) FROM event_mentions m3
                       WHERE m3.event_id = em.event_id AND m3.article_id = em.article_id)
          AND NOT EXISTS (SELECT 1 FROM event_mentions m2 WHERE m2.article_id = c.id
                          AND m2.event_id = em.event_id)
    """,
    # Stories with their counts, for listings (merged stories left out).
    "story_cards": """
        SELECT st.id AS story_id, st.title, st.overview, st.status, st.section,
               st.importance, st.confidence,
               CAST(round(100 * st.importance) AS INTEGER) AS importance_pct,
               CAST(round(100 * st.confidence) AS INTEGER) AS confidence_pct,
               st.mentions, st.events, st.first_seen, st.updated_at, st.last_event_date,
               st.title_locked, st.overview_locked,
               (SELECT count(DISTINCT coalesce(a.source_id, -a.id)) FROM story_events se
                  JOIN event_links l ON l.event_id = se.event_id
                  JOIN articles a ON a.id = l.original_article_id
                  WHERE se.story_id = st.id) AS sources
        FROM stories st
        WHERE st.status != 'merged'
    """,
    # One row per (event, entity): lets Datasette facet and filter the timeline by entity.
    "entity_timeline": """
        SELECT e.id AS event_id, e.sort_date, e.date, e.date_mod, e.type, e.status,
               e.importance, e.confidence, en.id AS entity_id, en.name AS entity,
               en.type AS entity_type, ee.role,
               (SELECT st.title FROM story_events se JOIN stories st ON st.id = se.story_id
                  WHERE se.event_id = e.id ORDER BY st.importance DESC LIMIT 1) AS story,
               e.sentence
        FROM event_entities ee
        JOIN events e ON e.id = ee.event_id
        JOIN entities en ON en.id = ee.entity_id
        WHERE e.status != 'superseded'
    """,
}


def ensure_views(db: sqlite_utils.Database) -> None:
    """Create or replace the views whose SQL differs from what is stored."""
    existing = {
        row[0]: row[1]
        for row in db.execute("SELECT name, sql FROM sqlite_master WHERE type = 'view'").fetchall()
    }
    for name, body in VIEWS.items():
        sql = f"CREATE VIEW {name} AS {body.strip()}"
        if existing.get(name) == sql:
            continue
        with db.conn:
            db.execute(f"DROP VIEW IF EXISTS {name}")
            db.execute(sql)
