"""Scores read the same everywhere: one percentage format, one sign for an unknown score."""

from __future__ import annotations

from kb.core.formats import percent
from kb.stories.card_text import render_card
from kb.stories.cards import story_card


def test_percent_rounds_to_whole_percent_and_marks_unknown_with_a_dash():
    assert percent(0.734) == "73%"
    assert percent(1) == "100%"
    assert percent(0.0) == "0%"
    assert percent(None) == "–"


def test_unscored_story_reads_the_same_in_the_cli_and_the_card(db, run_kb):
    with db.conn:
        db.execute("INSERT INTO stories (title, importance, confidence) VALUES ('Unscored', NULL, 0.5)")
    listing = run_kb("stories", "list")
    assert listing.exit_code == 0, listing.output
    assert listing.output.splitlines()[1].split()[1:5] == ["developing", "–", "50%", "0"]
    card = render_card(story_card(db, 1))
    assert "Importance: – · Confidence: 50%" in card
