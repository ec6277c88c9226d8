"""`kb eval` on the shipped gold: the figures meet the floors; gold files are self-consistent."""

from __future__ import annotations

import json

import pytest

from kb.core.errors import ConfigError
from kb.jobs.fact_eval import load_facts
from kb.jobs.gold import DEFAULT_GOLD_DIR, load_gold
from kb.nlp.gazetteer import load_gazetteer
from tests.conftest import SAMPLE_DIR


@pytest.fixture(scope="module")
def gold():
    return load_gold()


def test_gold_set_is_large_enough_and_spans_outlets(gold):
    assert len(gold) >= 15
    outlets = {doc.name.removeprefix("test_").split("_")[0] for doc in gold}
    assert len(outlets) >= 3
    assert {doc.split for doc in gold} == {"dev", "test"}


def test_gold_offsets_match_the_stored_text(gold):
    for doc in gold:
        for item in doc.entities + doc.timexes:
            assert doc.text[item["start"]:item["end"]] == item["text"], (doc.name, item)
        for event in doc.events:
            assert doc.text[event["start"]:event["end"]] == event["sentence"], (doc.name, event)
        spans = sorted((e["start"], e["end"]) for e in doc.entities)
        assert all(a_end <= b_start for (_, a_end), (b_start, _) in zip(spans, spans[1:], strict=False))


def test_kb_eval_meets_the_floors(run_kb):
    result = run_kb("eval", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["floor_failures"] == []
    assert report["documents"] == len(load_gold())
    assert report["facts"]["facts"] == len(load_facts())
    assert report["events"]["f1"] > 60
    assert report["timebank"]["test"]["value_f1"] > 75


def test_kb_eval_fails_below_a_floor(run_kb, tmp_path):
    floors = tmp_path / "floors.toml"
    floors.write_text("[floors]\nevents_f1 = 100.0\nno_such_figure = 1\n")
    result = run_kb("eval", "--floors", str(floors))
    assert result.exit_code == 1
    assert "events_f1" in result.stderr and "below its floor 100.0" in result.stderr
    assert "no_such_figure: no such figure" in result.stderr
    assert "events" in result.stdout


def test_kb_eval_on_an_empty_gold_directory_is_a_clear_error(run_kb, tmp_path):
    result = run_kb("eval", "--gold", str(tmp_path))
    assert result.exit_code == 2
    assert "no gold files" in result.output


def test_invalid_gold_file_is_named(tmp_path):
    (tmp_path / "broken.json").write_text("{")
    with pytest.raises(ConfigError, match="broken.json"):
        load_gold(tmp_path)
    assert DEFAULT_GOLD_DIR.exists()


def test_kb_eval_prints_the_fact_scores_and_fails_above_a_ceiling(run_kb, tmp_path):
    floors = tmp_path / "floors.toml"
    floors.write_text("[floors]\nfact_recall = 50\n[ceilings]\nfact_fragmentation = 0.5\nfact_max_events = 9\n")
    result = run_kb("eval", "--floors", str(floors))
    assert result.exit_code == 1
    assert "fact recall" in result.stdout and "events per found fact" in result.stdout
    assert "precision of the most important events: top 10" in result.stdout
    assert "fact_fragmentation" in result.stderr and "above its ceiling 0.5" in result.stderr
    assert "fact_recall" not in result.stderr and "fact_max_events" not in result.stderr


def test_the_key_facts_name_sample_articles_and_gazetteer_entities():
    facts = load_facts()
    names = {entry.name for entry in load_gazetteer()}
    for fact in facts:
        for article in fact.articles:
            assert (SAMPLE_DIR / "src" / f"{article}.md").exists(), (fact.name, article)
        for alternatives in fact.entities:
            assert alternatives <= names, (fact.name, alternatives - names)
    assert len({f.name for f in facts}) == len(facts)


@pytest.mark.parametrize("entry, message", [
    ('name = "x"\ntype = "launch"\ndate = "2026-04-14"\nentities = ["OpenAI"]', "unknown or missing type"),
    ('name = "x"\ntype = "release"\ndate = "next week"\nentities = ["OpenAI"]', "date 'next week' is not a calendar TIMEX3 value"),
    ('name = "x"\ntype = "release"\ndate = "2026-04-14"', "a fact needs a name and key entities"),
])
def test_a_bad_fact_is_named(tmp_path, entry, message):
    path = tmp_path / "facts.toml"
    path.write_text(f"[[fact]]\n{entry}\n")
    with pytest.raises(ConfigError, match=f"fact 1 \\(x\\): {message}"):
        load_facts(path)
