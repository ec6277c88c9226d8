"""Story refreshes that stay incremental: titles and overviews rewritten only when their
events change, story entity rows kept by difference equal to a fresh count."""

from __future__ import annotations

import copy
import json

from kb.jobs.integrate import integrate_articles
from kb.ledger.scoring import ScoringContext, load_weights
from kb.stories.activity import reference_time
from kb.stories.refresh import refresh_story, text_event_ids
from kb.stories.story_index import rebuild_story_index
from tests.ledger.ledger_data import Corpus, event_of
from tests.stories.test_stories import build, story_id_of


def small_text_context(db, text_events: int) -> ScoringContext:
    weights = copy.deepcopy(load_weights())
    weights["stories"]["text_events"] = text_events
    return ScoringContext(db, weights)


def title_of(db, story_id: int) -> str:
    return db.execute("SELECT title FROM stories WHERE id = ?", [story_id]).fetchone()[0]


def test_title_is_rewritten_only_when_its_text_events_change(db):
    m = build(db)
    story_id = story_id_of(db, m["efficient_wire"])
    ctx = small_text_context(db, 2)  # the story has 5 events: 2 are its text events
    refresh_story(db, ctx, story_id, reference_time(db))
    written = title_of(db, story_id)
    top = text_event_ids(db, story_id, 2)
    others = [r[0] for r in db.execute("SELECT event_id FROM story_events WHERE story_id = ? ORDER BY event_id",
                                       [story_id]) if r[0] not in top]
    assert len(top) == 2 and len(others) == 3

    db.execute("UPDATE stories SET title = 'stale on purpose' WHERE id = ?", [story_id])
    refresh_story(db, ctx, story_id, reference_time(db), changed_events={others[0]})
    assert title_of(db, story_id) == "stale on purpose"  # a change below the text events

    refresh_story(db, ctx, story_id, reference_time(db), changed_events={top[0]})
    assert title_of(db, story_id) == written  # a text event changed

    db.execute("UPDATE stories SET title = 'stale on purpose' WHERE id = ?", [story_id])
    db.execute("UPDATE events SET importance = 0.999 WHERE id = ?", [others[0]])  # joins the text events
    refresh_story(db, ctx, story_id, reference_time(db), changed_events=set())
    assert title_of(db, story_id) != "stale on purpose"
    assert others[0] in text_event_ids(db, story_id, 2)

    db.execute("UPDATE stories SET title = 'stale on purpose' WHERE id = ?", [story_id])
    refresh_story(db, small_text_context(db, 3), story_id, reference_time(db), changed_events=set())
    assert title_of(db, story_id) != "stale on purpose"  # other settings: written again


def test_title_without_changed_events_is_always_rewritten(db):
    m = build(db)
    story_id = story_id_of(db, m["efficient_wire"])
    written = title_of(db, story_id)
    db.execute("UPDATE stories SET title = 'stale on purpose' WHERE id = ?", [story_id])
    refresh_story(db, ScoringContext(db), story_id, reference_time(db))
    assert title_of(db, story_id) == written


def test_a_report_on_a_text_event_rewrites_the_title_through_the_ledger(db):
    m = build(db)
    story_id = story_id_of(db, m["efficient_wire"])
    written = title_of(db, story_id)
    db.execute("UPDATE stories SET title = 'stale on purpose' WHERE id = ?", [story_id])
    db.conn.commit()
    c = Corpus(db)
    c._entities.update((name, entity_id) for entity_id, name in db.execute("SELECT id, name FROM entities"))
    c.source("Late Wire", 0.7)
    article = c.article("Late Wire", "2026-04-21T09:00:00Z", "efficient-again")
    mention = c.mention(article, "release",
                        "Microsoft released MAI-Image-2-Efficient in Microsoft Foundry on April 14.",
                        [("Microsoft", "agent"), ("MAI-Image-2-Efficient", "product"), "Microsoft Foundry"],
                        "2026-04-14")
    db.conn.commit()
    integrate_articles(db, [article])
    assert event_of(db, mention)["id"] == event_of(db, m["efficient_wire"])["id"]
    assert title_of(db, story_id) == written


def story_entity_rows(db) -> list[tuple]:
    return db.execute("SELECT * FROM story_entities ORDER BY 1, 2").fetchall()


def test_story_entity_rows_follow_dates_moving_later_and_earlier(db):
    m = build(db)
    c = Corpus(db)
    # Reprocess the articles with each report's date moved: later for some, earlier or gone
    # for others, and one entity dropped, then check the rows kept by difference.
    moves = ["2026-04-30", "2024-01-02", None, "2026-05-02"]
    ids = [r[0] for r in db.execute("SELECT id FROM articles ORDER BY id").fetchall()]
    for n, article_id in enumerate(ids):
        rows = c.mentions_of(article_id)
        for row in rows:
            if n % 3 == 0:
                row["date"] = row["date_text"] = moves[(n + row["id"]) % len(moves)]
                row["date_mod"] = None
                row["date_source"] = "explicit" if row["date"] else "none"
        if n % 5 == 0 and rows:
            entities = json.loads(rows[0]["entities"])
            rows[0]["entities"] = json.dumps(entities[1:] or entities)
        c.replace_mentions(article_id, rows)
    for article_id in ids:
        integrate_articles(db, [article_id])
    assert m  # the corpus was built
    kept = story_entity_rows(db)
    assert kept
    with db.conn:
        rebuild_story_index(db, load_weights())
    assert story_entity_rows(db) == kept


def first_mentioned_by_scan(db, entity_id: int) -> str | None:
    """The date an entity was first named, from every one of its mentions."""
    return db.execute(
        """SELECT min(substr(coalesce(a.published_at, a.fetched_at), 1, 10)) FROM mentions m
           JOIN articles a ON a.id = m.article_id WHERE m.entity_id = ?""", [entity_id]).fetchone()[0]


def test_first_mentioned_kept_by_difference_equals_a_fresh_count(db):
    """story_text.first_mentioned (stored, extended by new mentions) agrees with the full
    query over every mention of the entity through random changes."""
    import random

    from kb.stories.text import first_mentioned, rebuild_first_mentions

    rng = random.Random(6)
    c = Corpus(db)
    c.source("Desk", 0.7)
    entities = [c.entity(name) for name in ("MAI-Image-2", "Copilot", "GPT-5")]
    articles: list[int] = []

    def add_article() -> int:
        day = f"2026-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}T08:00:00Z"
        articles.append(c.article("Desk", day, f"a{len(articles)}"))
        return articles[-1]

    def mention(article_id: int, entity_id: int) -> None:
        db["mentions"].insert({"article_id": article_id, "entity_id": entity_id, "label": "PRODUCT",
                               "start": 0, "end": 4, "text": "name"})

    checked = 0
    for step in range(80):
        op = rng.choice(["mention", "mention", "mention", "delete", "redate", "move"])
        mention_ids = [r[0] for r in db.execute("SELECT id FROM mentions ORDER BY id")]
        if op == "mention" or not mention_ids:
            mention(add_article() if not articles or rng.random() < 0.6 else rng.choice(articles),
                    rng.choice(entities))
        elif op == "delete":
            db.execute("DELETE FROM mentions WHERE id = ?", [rng.choice(mention_ids)])
        elif op == "redate":
            db.execute("UPDATE articles SET published_at = ? WHERE id = ?",
                       [f"2025-{rng.randint(1, 12):02d}-01T00:00:00Z", rng.choice(articles)])
        else:
            db.execute("UPDATE mentions SET entity_id = ? WHERE id = ?", [rng.choice(entities), rng.choice(mention_ids)])
        if step % 3 == 0:  # read through a new run's context, so stored rows are used and extended
            for entity_id in entities:
                expected = first_mentioned_by_scan(db, entity_id)
                assert first_mentioned(db, ScoringContext(db), entity_id) == expected, (step, op, entity_id)
                checked += expected is not None
    assert checked > 20
    assert db.execute("SELECT count(*) FROM entity_first_mentions").fetchone()[0] > 0
    rebuild_first_mentions(db)  # all at once, as kb rescore and generated bases do
    for entity_id in entities:
        expected = first_mentioned_by_scan(db, entity_id)
        assert db.execute("SELECT first_date FROM entity_first_mentions WHERE entity_id = ?",
                          [entity_id]).fetchone()[0] == expected
        assert first_mentioned(db, ScoringContext(db), entity_id) == expected


def test_an_entity_edit_rewrites_titles_when_their_stories_are_next_refreshed(db):
    m = build(db)
    story_id = story_id_of(db, m["efficient_wire"])
    ctx = ScoringContext(db)
    written = title_of(db, story_id)
    db.execute("UPDATE stories SET title = 'stale on purpose' WHERE id = ?", [story_id])
    db.execute("UPDATE entities SET type = type WHERE name = 'Microsoft AI'")  # no change: no edit
    refresh_story(db, ctx, story_id, reference_time(db), changed_events=set())
    assert title_of(db, story_id) == "stale on purpose"
    db.execute("UPDATE entities SET name = 'Microsoft AI division' WHERE name = 'Microsoft AI'")
    refresh_story(db, ctx, story_id, reference_time(db), changed_events=set())
    assert title_of(db, story_id) == written  # written again; the relations still name the maker
