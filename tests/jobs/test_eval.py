"""`kb eval` on the shipped gold: the figures meet the floors; gold files are self-consistent."""

from __future__ import annotations

import json

import pytest

from kb.core.errors import ConfigError
from kb.jobs.gold import DEFAULT_GOLD_DIR, load_gold


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
