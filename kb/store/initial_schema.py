"""The first schema of the knowledge base: migrations m001-m003 (kb/store/migrations.py runs them first).

Append-only like every migration: never edit these steps, add a new one in migrations.py.
"""

from __future__ import annotations

import sqlite_utils


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

