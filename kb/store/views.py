"""The SQL views users query, re-created whenever their SQL changes (not migrations)."""

from __future__ import annotations

import sqlite_utils

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
               st.mentions, st.events, st.first_seen, st.updated_at, st.last_event_date, st.activity_date,
               st.title_locked, st.overview_locked,
               (SELECT count(DISTINCT coalesce(a.source_id, -a.id)) FROM story_events se
                  JOIN event_links l ON l.event_id = se.event_id
                  JOIN articles a ON a.id = l.original_article_id
                  WHERE se.story_id = st.id) AS sources
        FROM stories st
        WHERE st.status != 'merged'
    """,
    # Briefs: events in no storyline (a dated item on the timeline and on entities' pages).
    "briefs": """
        SELECT e.id AS event_id, e.sort_date, e.date, e.date_mod, e.type, e.status, e.importance,
               e.confidence, e.summary, e.sentence, e.article_id, sl.key AS storyline_key
        FROM events e LEFT JOIN storyline_events sl ON sl.event_id = e.id
        WHERE e.status != 'superseded'
          AND NOT EXISTS (SELECT 1 FROM story_events se WHERE se.event_id = e.id)
    """,
    # Why two storyline keys are one storyline (or kept apart): the link's kind ('auto' from
    # evidence, 'merge' and 'split' by hand), the entity both name, the articles both share.
    "storyline_link_evidence": """
        SELECT l.key_a, l.key_b, l.kind, l.entity, l.shared, l.articles_a, l.articles_b,
               ka.story_id AS story_a, kb.story_id AS story_b,
               (SELECT group_concat(a.title, ' | ') FROM json_each(coalesce(l.article_ids, '[]')) j
                JOIN articles a ON a.id = j.value) AS shared_articles,
               l.article_ids, l.at
        FROM storyline_links l
        LEFT JOIN storyline_keys ka ON ka.key = l.key_a
        LEFT JOIN storyline_keys kb ON kb.key = l.key_b
    """,
    # One row per (event, entity), whatever roles the entity has in it: lets Datasette facet
    # and filter the timeline by entity, counting each event once.
    "entity_timeline": """
        SELECT e.id AS event_id, e.sort_date, e.date, e.date_mod, e.type, e.status,
               e.importance, e.confidence, en.id AS entity_id, en.name AS entity,
               en.type AS entity_type, group_concat(DISTINCT ee.role) AS role,
               (SELECT st.title FROM story_events se JOIN stories st ON st.id = se.story_id
                  WHERE se.event_id = e.id ORDER BY st.importance DESC LIMIT 1) AS story,
               e.sentence
        FROM event_entities ee
        JOIN events e ON e.id = ee.event_id
        JOIN entities en ON en.id = ee.entity_id
        WHERE e.status != 'superseded'
        GROUP BY e.id, en.id
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
