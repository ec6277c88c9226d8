"""The story card of the analyst's example: an article shaped like it (MAI-Image-2-Efficient's
launch, the Dresser memo, the competitor listing, $19.50 per million output tokens, Foundry and
the MAI Playground; tests/fixtures/card, written for this test) served on loopback and ingested
on top of the sample corpus with the real `kb` command."""

from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path

import pytest
import sqlite_utils

from kb.stories.card_material import load_material
from kb.stories.card_sentences import context_sentences, default_cues
from tests.conftest import SAMPLE_DIR
from tests.loopback import LoopbackServer

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "card"
ARTICLE = "/wirefield/2026/04/mai-image-2-efficient-openai-reliance.html"


@pytest.fixture
def example_db(run_kb, db_path, tmp_path):
    """The sample corpus, then the example article from a second run, as two ingest runs."""
    assert run_kb("ingest", "--sources", str(SAMPLE_DIR / "sources.toml")).exit_code == 0
    with LoopbackServer(FIXTURE) as server:
        sources = tmp_path / "example.toml"
        sources.write_text(f'allow_private_addresses = true\n\n[[source]]\nname = "Wirefield Tech"\n'
                           f'url = "{server.url("/wirefield/feed.xml")}"\nreliability = 0.8\n')
        result = run_kb("ingest", "--sources", str(sources))
        assert result.exit_code == 0, result.output
        assert ARTICLE in server.paths_requested()
    return db_path


def example_story(db_path: Path) -> int:
    """The storyline the example article's launch report joined."""
    conn = sqlite3.connect(db_path)
    try:
        return conn.execute(
            """SELECT se.story_id FROM event_mentions em JOIN articles a ON a.id = em.article_id
               JOIN story_events se ON se.event_id = em.event_id
               WHERE a.url LIKE '%wirefield%' AND em.type = 'release' AND em.sentence LIKE 'Microsoft on Tuesday%'
            """).fetchone()[0]
    finally:
        conn.close()


def test_example_card(run_kb, example_db):
    story_id = example_story(example_db)
    result = run_kb("stories", "show", str(story_id), "--format", "json")
    assert result.exit_code == 0, result.output
    card = json.loads(result.output)
    assert card["heading"].startswith("Developing Story — ")
    assert re.fullmatch(r"\d+%", card["importance_pct"]) and re.fullmatch(r"\d+%", card["confidence_pct"])

    sheets = {s["name"]: s for s in card["fact_sheets"] if s["kind"] == "product"}
    sheet = sheets["MAI-Image-2-Efficient"]["fields"]
    assert sheet["released"]["value"] == "2026-04-14"
    assert "Microsoft Foundry" in [p["value"] for p in sheet["platforms"]]
    assert sheet["price"]["value"].startswith("$19.50")
    assert sheet["maker"]["value"] == "Microsoft AI"
    assert sheet["predecessor"]["value"] == "MAI-Image-2"
    # every field links to the report it came from
    for field in [sheet["released"], sheet["price"], *sheet["platforms"], sheet["maker"]]:
        assert field["sources"] and all(s["url"] and s["label"].startswith("(") for s in field["sources"])

    parties = [i["party"] for i in card["competitive_implications"]]
    assert "OpenAI" in parties
    assert any("Adobe" in p and "Midjourney" in p for p in parties)
    assert any("Azure customers" == p for p in parties)
    assert card["legal_watch"]
    assert any("exclusivity" in i["text"] or "rights" in i["text"] for i in card["legal_watch"])
    assert card["strategic_context"]

    summary = card["summary"]["sentences"]
    assert 2 <= len(summary) <= 3 and all(s["sources"] for s in summary)
    assert "MAI-Image-2-Efficient" in summary[0]["text"]
    assert re.search(r"\([^)]+, [A-Z][a-z]{2} \d{1,2}\)", card["overview"]["text"])

    # each fact once: the release-and-pricing sentence of April 14 is one key fact
    texts = [f["text"] for f in card["key_facts"]]
    assert len(texts) == len(set(texts))
    april_14 = [f for f in card["key_facts"] if f["date"] == "2026-04-14"]
    assert len(april_14) == 1 and set(april_14[0]["types"]) >= {"release"}

    # the second run's additions show as what changed
    run2 = [c for c in card["changes"] if c["run_id"] == 2]
    assert any(c["kind"] in ("new_fact", "new_report") for c in run2), card["changes"]
    assert all(c["text"] for c in card["changes"])


def test_text_and_markdown_carry_the_sections(run_kb, example_db):
    story_id = example_story(example_db)
    text = run_kb("stories", "show", str(story_id)).output
    markdown = run_kb("stories", "show", str(story_id), "--format", "markdown").output
    for out in (text, markdown):
        for title in ("Overview", "Fact sheet: MAI-Image-2-Efficient", "Strategic Context",
                      "Competitive Implications", "Legal & Licensing Watch", "Key Facts", "Sources"):
            assert title in out
    assert markdown.startswith("# Developing Story — ")
    assert "Importance: " in text and "Mentions: " in text



def test_context_clauses_give_sentences_their_card_kinds(run_kb, example_db):
    """The extractor's stored context clauses type the sentences no cue word types: background
    for the strategic context, legal_forward for the legal watch, an opinion about a rival for
    the competitive implications (the example's last paragraph)."""
    story_id = example_story(example_db)
    db = sqlite_utils.Database(example_db)
    material = load_material(db, next(db.query("SELECT * FROM stories WHERE id = ?", [story_id])))
    assert {c["kind"] for c in material.clauses} >= {"background", "legal_forward", "opinion"}
    expected = {"For years, Microsoft shipped": "background",
                "The Federal Trade Commission is expected to scrutinize": "legal",
                "Analysts said Google DeepMind probably unveils": "implication"}
    sentences = context_sentences(material.sentences, clauses=material.clauses)
    for opening, kind in expected.items():
        sentence = next(s for s in sentences if s.clean.startswith(opening))
        assert kind not in default_cues().kinds_of(sentence.text), opening  # no cue word types it
        assert kind in sentence.kinds, (opening, sentence.kinds)
    card = json.loads(run_kb("stories", "show", str(story_id), "--format", "json").output)
    rival = [i for i in card["competitive_implications"] if i["party"] == "Google DeepMind"]
    assert rival and rival[0]["text"].startswith("Analysts said Google DeepMind probably unveils")
