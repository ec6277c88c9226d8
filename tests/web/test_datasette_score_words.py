"""Each score on a page opens a short explanation from its stored components, and /-/scores explains
the formulas with the weights of data/weights.toml."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner

from datasette_plugins.score_words import score_summaries
from kb.cli.main import cli
from kb.ledger.scoring import load_weights
from tests.sqlite_read import one

ROOT = Path(__file__).resolve().parents[2]
WHY = re.compile(r'<details class="kb-why"><summary>Why these scores\?</summary>\s*<ul>(.*?)</ul>', re.S)


@pytest.fixture(scope="module")
def sample_kb(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("scores") / "kb.db"
    result = CliRunner().invoke(cli, ["--db", str(path), "ingest", "--sources",
                                      str(ROOT / "data" / "sample" / "sources.toml")])
    assert result.exit_code == 0, result.output
    return path


@pytest.fixture
async def ds(sample_kb: Path):
    from kb.cli.serving import build_datasette

    datasette = build_datasette(sample_kb)
    await datasette.invoke_startup()
    return datasette


def test_a_confirmed_first_party_fact_says_so_in_words():
    components = ('{"confidence":{"components":{"attribution":{"value":1.0,"weight":0.06},'
                  '"date":{"value":1.0,"weight":0.06},"extraction":{"value":0.99,"weight":0.06},'
                  '"first_party":{"value":1.0,"weight":0.12},"reliability":{"value":0.995,"weight":0.18},'
                  '"sources":{"value":0.8614,"weight":0.12},"status":{"value":1.0,"weight":0.3},'
                  '"unhedged":{"value":1.0,"weight":0.1}},"score":0.9819,"status_factor":1.0},'
                  '"importance":{"components":{"authority":{"value":0.9,"weight":0.1},'
                  '"centrality":{"value":1.0,"weight":0.25},"mentions":{"value":0.7124,"weight":0.2},'
                  '"novelty":{"value":0.2,"weight":0.15},"type":{"value":0.8,"weight":0.3}},'
                  '"score":0.8716,"status_factor":1.0}}')
    words = {s["name"]: s["text"] for s in score_summaries(components, "partnership", load_weights())}
    assert words["confidence"] == ("Confidence 98%: confirmed; stated by the company itself; "
                                   "3 independent sources; exact date")
    assert words["importance"].startswith("Importance 87%: partnership (type weight 80%); about a tracked")
    assert "reported by 3 independent articles" in words["importance"]
    assert "long after it happened" in words["importance"]
    denied = components.replace('"status":{"value":1.0', '"status":{"value":0.1').replace(
        '"score":0.9819,"status_factor":1.0', '"score":0.3,"status_factor":0.4').replace(
        '"first_party":{"value":1.0', '"first_party":{"value":0.0').replace(
        '"attribution":{"value":1.0', '"attribution":{"value":0.2')
    words = {s["name"]: s["text"] for s in score_summaries(denied, "partnership", load_weights())}
    assert words["confidence"].startswith("Confidence 30%: denied; 3 independent sources")
    assert "unnamed sources" in words["confidence"] and words["confidence"].endswith("times 0.4 for its status")
    assert score_summaries("not json") == [] and score_summaries(None) == []


async def test_every_page_that_shows_scores_opens_their_explanation(ds, sample_kb: Path):
    story = one(sample_kb, "SELECT id FROM stories WHERE status != 'merged' ORDER BY importance DESC")[0]
    event, components, kind = one(sample_kb, "SELECT e.id, e.score_components, e.type FROM events e "
                                  "JOIN story_events se ON se.event_id = e.id WHERE se.story_id = ? "
                                  "AND e.status != 'superseded' ORDER BY e.sort_date DESC LIMIT 1", (story,))
    entity = one(sample_kb, "SELECT entity_id FROM event_entities WHERE event_id = ?", (event,))[0]
    expected = [s["text"] for s in score_summaries(components, kind)]
    story_words = [s["text"] for s in score_summaries(
        one(sample_kb, "SELECT score_components FROM stories WHERE id = ?", (story,))[0])]
    assert expected[1].startswith("Confidence ") and story_words[0].startswith("Importance ")
    for path, wanted in [("/", story_words), (f"/-/story/{story}", story_words),
                         (f"/-/timeline?story={story}", expected), (f"/-/entity/{entity}", expected),
                         (f"/-/event/{event}", expected)]:
        response = await ds.client.get(path)
        assert response.status_code == 200, path
        blocks = WHY.findall(response.text)
        assert blocks, f"{path} has no score explanation"
        shown = re.findall(r'<li data-score="\w+">([^<]*)</li>', " ".join(blocks))
        for text in wanted:
            assert text.replace("'", "&#39;") in shown, (path, text, shown[:4])
    data = (await ds.client.get(f"/-/timeline.json?story={story}")).json()
    assert next(e for e in data["events"] if e["id"] == event)["score_words"] == expected


async def test_scores_page_shows_the_weights_of_the_weights_file(ds):
    weights = tomllib.loads((ROOT / "data" / "weights.toml").read_text())
    page = (await ds.client.get("/-/scores")).text
    for name, weight in weights["confidence"]["weights"].items():
        assert re.search(rf'<tr data-component="{name}"><td>{name}</td><td>{round(weight * 100)}%</td>', page)
    assert f"full at {weights['confidence']['sources_saturation']}" in page
    assert f"at most {weights['stories']['status']['developing_days']} days old" in page
    data = (await ds.client.get("/-/scores.json")).json()
    assert data["formula_version"] == weights["formula_version"]
    guide = (ROOT / "docs" / "scores.md").read_text()
    for section in data["sections"]:
        assert f"## {section['title']}" in guide
        for component in section["components"]:
            assert f"| `{component['name']}` | {component['weight']} | {component['text']} |" in guide


async def test_undated_facts_and_event_pages_speak_plainly(ds, sample_kb: Path):
    event = one(sample_kb, "SELECT id FROM events WHERE date IS NULL AND status != 'superseded' "
                           "AND sentence LIKE '%Azure%' LIMIT 1")
    assert event, "the sample has undated facts about Azure"
    search = (await ds.client.get("/-/search?q=Azure")).text
    assert "undated" not in search and "date unknown, first reported " in search
    page = (await ds.client.get(f"/-/event/{event[0]}")).text
    assert not re.search(r">\s*Event \d+", page) and "date unknown, first reported " in page
