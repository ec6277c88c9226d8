"""Developing stories: grouping, titles and cards, status, and manual edits that survive."""

from __future__ import annotations

import json

import pytest

from kb.jobs.integrate import integrate_articles
from kb.store.db import open_db
from tests.ledger.ledger_data import Corpus, event_of, mai_and_partnership_corpus, story_of


def build(db) -> dict[str, int]:
    """The small MAI / partnership corpus, integrated one article at a time."""
    m = mai_and_partnership_corpus(db)
    for (article_id,) in db.execute("SELECT id FROM articles ORDER BY published_at, id").fetchall():
        integrate_articles(db, [article_id])
    return m


def story_id_of(db, mention_id: int) -> int:
    return story_of(db, event_of(db, mention_id)["id"])


def test_model_releases_and_compute_deals_are_two_storylines_and_lone_reports_briefs(db):
    m = build(db)
    mai = {story_id_of(db, m[k]) for k in ("voice_wire", "image1_wire", "image2_wire", "efficient_wire", "rumor")}
    deals = {story_id_of(db, m[k]) for k in ("aws", "bedrock")}
    assert len(mai) == 1
    assert len(deals) == 1
    assert mai != deals
    title = db.execute("SELECT title FROM stories WHERE id = ?", [mai.pop()]).fetchone()[0]
    assert title == "Microsoft AI – MAI models (2025–2026)"
    deals_title = db.execute("SELECT title FROM stories WHERE id = ?", [deals.pop()]).fetchone()[0]
    assert deals_title == "OpenAI – compute deals with Amazon (2025–2026)"
    # The recapitalization and the memo are the only reports of their lines: briefs, not stories.
    briefs = {r[0] for r in db.execute("SELECT event_id FROM briefs")}
    assert {event_of(db, m["recap"])["id"], event_of(db, m["memo"])["id"]} <= briefs


def test_story_fields_scores_and_status(db):
    m = build(db)
    story = dict(next(db.query("SELECT * FROM stories WHERE id = ?", [story_id_of(db, m["efficient_wire"])])))
    # Independent reporting articles: the syndicated copy is not one.
    assert story["mentions"] == 10
    assert story["events"] == 5
    assert story["first_seen"] == "2025-08-28T16:00:00Z"
    assert story["updated_at"] == "2026-04-20T22:30:00Z"
    assert story["status"] == "developing"
    assert story["section"] == "releases"
    assert 0 < story["confidence"] < 1 and 0 < story["importance"] < 1
    overview = story["overview"]
    assert overview.count(".") >= 2 and "MAI" in overview
    assert "Bing Image Creator" not in overview  # a denied claim does not summarize the story


def test_unrelated_lone_event_is_a_brief(db):
    build(db)
    c = Corpus(db)
    c.source("Sports Desk", 0.6)
    a = c.article("Sports Desk", "2026-04-18T10:00:00Z", "streaming-deal")
    mention = c.mention(a, "partnership", "The league signed a streaming deal with Vidstream on Friday.",
                        [("Northern League", "agent"), ("Vidstream", "partner")], "2026-04-17")
    db.conn.commit()
    before = db.execute("SELECT count(*) FROM stories").fetchone()[0]
    integrate_articles(db, [a])
    assert db.execute("SELECT count(*) FROM stories").fetchone()[0] == before
    assert event_of(db, mention)["id"] in {r[0] for r in db.execute("SELECT event_id FROM briefs")}


def test_stories_list_and_show(db, run_kb):
    m = build(db)
    story_id = story_id_of(db, m["efficient_wire"])
    rumor_event = event_of(db, m["rumor"])["id"]
    db.conn.close()
    listing = run_kb("stories", "list")
    assert listing.exit_code == 0
    header, first_line = listing.output.splitlines()[:2]
    assert header.split() == ["ID", "STATUS", "IMPORTANCE", "CONFIDENCE", "MENTIONS", "TITLE"]
    assert "MAI models" in first_line and "developing" in first_line
    rows = json.loads(run_kb("stories", "list", "--json", "--status", "developing").output)
    assert {r["status"] for r in rows} == {"developing"}
    shown = run_kb("stories", "show", str(story_id))
    assert shown.exit_code == 0, shown.output
    text = shown.output
    for expected in ("Importance: ", "Confidence: ", "Mentions: 10", "Updated: April 14, 2026", "Key Facts",
                     "Fact sheet: ", "April 14, 2026", "Timeline", "Newsroom Wire", "copy of article"):
        assert expected in text, expected
    card = json.loads(run_kb("stories", "show", str(story_id), "--json").output)
    assert card["importance_pct"].endswith("%") and card["mentions"] == 10
    assert [e["date"] for e in card["key_facts"]] == sorted(e["date"] for e in card["key_facts"])
    assert rumor_event not in [e["event_id"] for e in card["key_facts"]]  # denied: not a key fact
    timeline = {e["event_id"]: e for e in card["timeline"]}
    assert timeline[rumor_event]["status"] == "denied"
    assert len(timeline[rumor_event]["reports"]) == 2


@pytest.mark.usefixtures("db")
def test_show_missing_story_is_a_clear_error(run_kb):
    result = run_kb("stories", "show", "999")
    assert result.exit_code == 1
    assert "no story with id 999" in result.output
    empty = run_kb("stories", "list")
    assert "No stories yet" in empty.output


def test_merge_split_rename_survive_reprocessing_and_rescore(db_path, run_kb):
    db = open_db(db_path)
    m = build(db)
    mai = story_id_of(db, m["efficient_wire"])
    strain = story_id_of(db, m["aws"])
    rumor_event = event_of(db, m["rumor"])["id"]
    voice_event = event_of(db, m["voice_wire"])["id"]
    db.conn.close()

    assert run_kb("stories", "rename", str(mai), "Microsoft's MAI model family").exit_code == 0
    split = run_kb("stories", "split", str(mai), str(rumor_event))
    assert split.exit_code == 0, split.output
    new_story = int(split.output.split()[-1])
    merged = run_kb("stories", "merge", str(strain), str(new_story))
    assert merged.exit_code == 0, merged.output
    assert run_kb("stories", "set-overview", str(strain), "Written by hand.").exit_code == 0

    def state():
        db = open_db(db_path)
        rows = {
            "mai_title": db.execute("SELECT title FROM stories WHERE id = ?", [mai]).fetchone()[0],
            "rumor_story": story_of(db, rumor_event),
            "voice_story": story_of(db, voice_event),
            "merged": db.execute("SELECT status, merged_into FROM stories WHERE id = ?", [new_story]).fetchone(),
            "overview": db.execute("SELECT overview FROM stories WHERE id = ?", [strain]).fetchone()[0],
        }
        db.conn.close()
        return rows

    expected = {"mai_title": "Microsoft's MAI model family", "rumor_story": strain, "voice_story": mai,
                "merged": ("merged", strain), "overview": "Written by hand."}
    assert state() == expected
    # Reprocess every article (mentions deleted and inserted again), then rescore.
    db = open_db(db_path)
    c = Corpus(db)
    ids = [r[0] for r in db.execute("SELECT id FROM articles ORDER BY id").fetchall()]
    for article_id in ids:
        c.replace_mentions(article_id, c.mentions_of(article_id))
    integrate_articles(db, ids)
    db.conn.close()
    assert state() == expected
    assert run_kb("rescore").exit_code == 0
    assert state() == expected
    shown = run_kb("stories", "show", str(new_story))
    assert shown.exit_code == 1 and f"merged into story {strain}" in shown.output


def test_edit_mistakes_get_clear_messages(db, run_kb):
    m = build(db)
    mai = story_id_of(db, m["efficient_wire"])
    strain = story_id_of(db, m["aws"])
    deal_event = event_of(db, m["aws"])["id"]
    db.conn.close()
    result = run_kb("stories", "split", str(mai), str(deal_event))
    assert result.exit_code == 1 and f"are not in story {mai}" in result.output
    result = run_kb("stories", "merge", str(mai), str(mai))
    assert result.exit_code == 1 and "itself" in result.output
    result = run_kb("stories", "rename", str(strain), "   ")
    assert result.exit_code == 1 and "empty" in result.output
    result = run_kb("stories", "merge", str(mai), "12345")
    assert result.exit_code == 1 and "no story with id 12345" in result.output
    assert "Traceback" not in result.output


def test_timeline_view_answers_common_questions(db):
    m = build(db)
    launch = event_of(db, m["efficient_wire"])
    rows = list(db.query(
        "SELECT * FROM timeline WHERE entity_ids LIKE ? AND type = 'release' AND sort_date >= '2026-04-01' "
        "ORDER BY sort_date",
        [f"%,{db.execute('SELECT id FROM entities WHERE name = ?', ['MAI-Image-2-Efficient']).fetchone()[0]},%"]))
    assert [r["event_id"] for r in rows] == [launch["id"]]
    row = rows[0]
    assert row["story"].startswith("Microsoft AI – MAI models")
    # Every outlet that carried a report, the syndicated copy's too; `sources` counts independent ones.
    assert row["reported_by"] == "Cloudline Daily; Newsroom Wire; Northbeam Review; Signal Stack"
    assert row["sources"] == 3
    assert row["first_reported_by"] == "Cloudline Daily"
    assert row["status"] == "confirmed" and row["confidence"] == launch["confidence"]
    cards = {r["story_id"]: r for r in db.query("SELECT * FROM story_cards")}
    assert cards[row["story_id"]]["importance_pct"] == round(100 * cards[row["story_id"]]["importance"])


def test_help_has_examples(run_kb):
    for command in (["rescore"], ["stories"], ["stories", "list"], ["stories", "show"], ["stories", "merge"],
                    ["stories", "split"], ["stories", "rename"], ["stories", "set-overview"]):
        result = run_kb(*command, "--help")
        assert result.exit_code == 0
        assert "Example:" in result.output


def totals_state(db) -> dict[str, list]:
    """The running totals and story index as kept incrementally."""
    tables = {"story_totals": "SELECT * FROM story_totals WHERE events > 0 OR mentions > 0 ORDER BY 1",
              "story_type_weights": "SELECT * FROM story_type_weights WHERE events > 0 ORDER BY 1, 2, 3",
              "story_articles": "SELECT * FROM story_articles ORDER BY 1, 2",
              "story_entities": "SELECT * FROM story_entities ORDER BY 1, 2"}
    return {t: db.execute(sql).fetchall() for t, sql in tables.items()}


def test_running_totals_and_entity_rows_equal_a_fresh_count_after_edits(db):
    from kb.ledger.scoring import load_weights
    from kb.store.story_totals import rebuild_story_totals
    from kb.stories.edits import merge_stories, split_story
    from kb.stories.story_index import rebuild_story_index

    m = build(db)
    mai = story_id_of(db, m["efficient_wire"])
    strain = story_id_of(db, m["aws"])
    split_story(db, mai, [event_of(db, m["rumor"])["id"]])
    merge_stories(db, strain, mai)
    # Reprocess half the articles with one report dropped: events change or disappear.
    c = Corpus(db)
    ids = [r[0] for r in db.execute("SELECT id FROM articles ORDER BY id").fetchall()]
    for article_id in ids[::2]:
        c.replace_mentions(article_id, c.mentions_of(article_id)[1:])
    integrate_articles(db, ids[::2])
    kept = totals_state(db)
    with db.conn:
        rebuild_story_totals(db)
        rebuild_story_index(db, load_weights())
    assert totals_state(db) == kept
    # The stored story fields agree with counts over the story's events and reports.
    for story_id, events, mentions in db.execute(
            "SELECT id, events, mentions FROM stories WHERE status != 'merged'").fetchall():
        assert events == db.execute("SELECT count(*) FROM story_events WHERE story_id = ?",
                                    [story_id]).fetchone()[0]
        assert mentions == db.execute(
            """SELECT count(DISTINCT l.original_article_id) FROM story_events se
               JOIN event_links l ON l.event_id = se.event_id WHERE se.story_id = ?""", [story_id]).fetchone()[0]


def test_overview_is_rewritten_only_when_its_events_change(db):
    from kb.ledger.scoring import ScoringContext
    from kb.stories.activity import reference_time
    from kb.stories.refresh import refresh_story

    m = build(db)
    story_id = story_id_of(db, m["efficient_wire"])
    ctx = ScoringContext(db)
    generated = db.execute("SELECT overview FROM stories WHERE id = ?", [story_id]).fetchone()[0]
    assert generated
    db.execute("UPDATE stories SET overview = 'stale on purpose' WHERE id = ?", [story_id])
    refresh_story(db, ctx, story_id, reference_time(db))
    assert db.execute("SELECT overview FROM stories WHERE id = ?", [story_id]).fetchone()[0] == "stale on purpose"
    event_id = event_of(db, m["efficient_wire"])["id"]
    db.execute("UPDATE events SET sentence = sentence || ' Again.' WHERE id = ?", [event_id])
    refresh_story(db, ctx, story_id, reference_time(db))
    rewritten = db.execute("SELECT overview FROM stories WHERE id = ?", [story_id]).fetchone()[0]
    assert rewritten != "stale on purpose" and rewritten
