"""`kb stories write` with the llm-echo plugin (it answers with the prompt it was given): the
cited fact lines are kept, the uncited instructions dropped, and the result cached per version."""

from __future__ import annotations

import json

import pytest

from tests.stories.test_card_example import example_db, example_story  # noqa: F401 - fixture

pytest.importorskip("llm_echo")


def test_write_keeps_cited_sentences_and_caches(run_kb, example_db, tmp_path, monkeypatch):  # noqa: F811
    monkeypatch.setenv("LLM_USER_PATH", str(tmp_path / "llm"))
    story_id = example_story(example_db)
    missing = run_kb("stories", "write", str(story_id))
    assert missing.exit_code == 1 and "no language model configured" in missing.output
    first = run_kb("stories", "write", str(story_id), "--model", "echo")
    assert first.exit_code == 0, first.output
    assert "written" in first.output and "uncited sentences dropped" in first.output
    assert "(cached)" in run_kb("stories", "write", str(story_id), "--model", "echo").output
    card = json.loads(run_kb("stories", "show", str(story_id), "--format", "json").output)
    prose = card["prose"]
    assert prose["model"] == "echo" and prose["model_written"]
    assert "Write two or three sentences" not in prose["summary"]  # the instructions cite nothing
    assert "[" not in prose["summary"] and prose["summary"].count("(") >= 2
    facts = [f["text"].rstrip(".") for f in card["key_facts"]]
    assert any(f[:60] in prose["summary"] for f in facts)
