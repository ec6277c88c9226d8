"""Drift: a line whose reports fall apart in time, naming nothing in common beyond the tracked
parties, becomes two storylines; a shared entity, a short gap or a bridging report keeps it one;
a hand merge wins; arrival order does not matter."""

from __future__ import annotations

import json

import pytest

from kb.jobs.integrate import integrate_articles
from tests.ledger.ledger_data import Corpus

KEY = "maker|Microsoft AI"


def release(c: Corpus, source: str, day: str, product: str, n: int) -> int:
    a = c.article(source, f"{day}T09:00:00Z", f"{product.lower()}-{day}-{n}")
    c.mention(a, "release", f"Microsoft AI released {product} to testers.",
              [("Microsoft AI", "agent"), (product, "product")], day)
    return a


def corpus(db, later_product: str = "MAI-Image-2", later_day: str = "2025-06-02",
           bridge: bool = False) -> list[int]:
    c = Corpus(db)
    c.source("Cloudline Daily", 0.8)
    c.source("Northbeam Review", 0.75)
    articles = [release(c, "Cloudline Daily", "2023-01-10", "MAI-Voice-1", 0),
                release(c, "Northbeam Review", "2023-01-11", "MAI-Voice-1", 1),
                release(c, "Cloudline Daily", later_day, later_product, 2),
                release(c, "Northbeam Review", later_day, later_product, 3)]
    if bridge:  # a report naming the products of both sides
        a = c.article("Cloudline Daily", "2024-03-01T09:00:00Z", "both-products")
        c.mention(a, "release", "Microsoft AI released MAI-Voice-1 and a preview of MAI-Image-2.",
                  [("Microsoft AI", "agent"), ("MAI-Voice-1", "product"), ("MAI-Image-2", "product")],
                  "2024-03-01")
        articles.append(a)
    db.conn.commit()
    return articles


def lines(db) -> dict[str, set[str]]:
    """Each live story's key -> the products its events name."""
    out: dict[str, set[str]] = {}
    for key, name in db.execute(
            """SELECT sl.key, en.name FROM story_events se JOIN storyline_events sl ON sl.event_id = se.event_id
               JOIN event_entities ee ON ee.event_id = se.event_id JOIN entities en ON en.id = ee.entity_id
               JOIN stories s ON s.id = se.story_id
               WHERE s.status != 'merged' AND en.type = 'PRODUCT'"""):
        out.setdefault(key, set()).add(name)
    return out


@pytest.mark.parametrize("order", ["forward", "reverse", "together"])
def test_a_line_that_falls_apart_in_time_becomes_two(db, order):
    articles = corpus(db)
    if order == "together":
        integrate_articles(db, articles)
    else:
        for article_id in articles if order == "forward" else articles[::-1]:
            integrate_articles(db, [article_id])
    assert lines(db) == {KEY: {"MAI-Voice-1"}, f"{KEY}@2025-06": {"MAI-Image-2"}}
    row = dict(next(db.query("SELECT * FROM storyline_drift")))
    assert (row["key"], row["part_key"], row["since"]) == (KEY, f"{KEY}@2025-06", "2025-06-02")
    assert row["gap_days"] > 365
    assert json.loads(row["before_entities"]) == ["MAI-Voice-1"]
    assert json.loads(row["after_entities"]) == ["MAI-Image-2"]
    titles = sorted(r[0] for r in db.execute("SELECT title FROM stories WHERE status != 'merged'"))
    assert sorted(t.rsplit("(", 1)[1] for t in titles) == ["2023)", "2025)"]


def test_a_shared_entity_keeps_the_line_whole(db):
    integrate_articles(db, corpus(db, later_product="MAI-Voice-1"))
    assert list(lines(db)) == [KEY]
    assert db.execute("SELECT count(*) FROM storyline_drift").fetchone()[0] == 0


def test_a_gap_under_the_threshold_keeps_the_line_whole(db):
    integrate_articles(db, corpus(db, later_day="2023-11-20"))
    assert list(lines(db)) == [KEY]


def test_a_bridging_report_joins_the_parts_again(db):
    articles = corpus(db, bridge=True)
    integrate_articles(db, articles[:4])
    assert len(lines(db)) == 2
    integrate_articles(db, articles[4:])  # a 2024 report links the two sides
    assert list(lines(db)) == [KEY]
    assert db.execute("SELECT count(*) FROM storyline_drift").fetchone()[0] == 0
    assert db.execute("SELECT count(*) FROM stories WHERE status != 'merged'").fetchone()[0] == 1


def test_a_hand_merge_of_the_parts_wins_after_rescore(db, run_kb):
    integrate_articles(db, corpus(db))
    stories = dict(db.execute("SELECT key, story_id FROM storyline_keys").fetchall())
    db.conn.commit()
    result = run_kb("stories", "merge", str(stories[KEY]), str(stories[f"{KEY}@2025-06"]))
    assert result.exit_code == 0, result.output
    assert run_kb("rescore").exit_code == 0
    live = db.execute("SELECT id FROM stories WHERE status != 'merged'").fetchall()
    assert live == [(stories[KEY],)]
    assert set(lines(db)) == {KEY, f"{KEY}@2025-06"}  # two keys, one story
