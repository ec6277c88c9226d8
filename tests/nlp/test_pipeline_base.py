"""The pipeline's base: spacy.blank("en") by default, a trained pipeline only if installed."""

from __future__ import annotations

import logging

import pytest
import spacy

from kb.nlp.pipeline import analyze, build_nlp

TRAINED = "en_core_web_sm"
SETTINGS = (__import__("kb.core.config", fromlist=["DATA_DIR"]).DATA_DIR / "nlp.toml").read_text()


def settings_with_base(tmp_path, base: str):
    path = tmp_path / "nlp.toml"
    path.write_text(SETTINGS.replace('base = ""', f'base = "{base}"', 1))
    return path


def test_blank_base_has_only_our_components():
    nlp = build_nlp()
    assert nlp.pipe_names == ["kb_sentences", "kb_timex", "kb_gazetteer", "kb_quantities", "kb_candidates",
                              "kb_events"]


def test_a_named_base_that_is_not_installed_falls_back_without_downloading(tmp_path, caplog):
    with caplog.at_level(logging.WARNING):
        nlp = build_nlp(settings_with_base(tmp_path, "en_no_such_pipeline_xyz"))
    assert "not installed" in caplog.text
    assert "ner" not in nlp.pipe_names and "kb_gazetteer" in nlp.pipe_names


@pytest.mark.skipif(not spacy.util.is_package(TRAINED), reason=f"trained pipeline {TRAINED} is not installed")
def test_trained_base_runs_our_components_before_its_ner(tmp_path):
    nlp = build_nlp(settings_with_base(tmp_path, TRAINED))
    names = nlp.pipe_names
    assert names.index("kb_gazetteer") < names.index("ner")
    result = analyze("Microsoft released MAI-Image-2-Efficient on Tuesday.", "2026-04-15", nlp=nlp)
    assert any(e["entity"] == "MAI-Image-2-Efficient" for e in result["entities"])
    assert result["events"] and result["events"][0]["type"] == "release"
