"""Tables written with pipes in a page's text (ingest.tables): one line per cell, so that a value
sits in the sentence of the name it belongs to."""

from __future__ import annotations

from pathlib import Path

from ingest.blocks import load_block_rules
from ingest.extract import extract_article
from ingest.tables import unflatten_tables
from kb.nlp.pipeline import analyze

ROOT = Path(__file__).resolve().parents[2]
RULES = load_block_rules(ROOT / "data" / "blocks.toml")
INTRO = ("<p>Microsoft said on Tuesday that its two new image models would reach customers in every "
         "Azure region by the end of the quarter, after a preview that ran for most of the winter.</p>")


def test_a_table_flattened_into_a_paragraph_becomes_one_line_per_cell_and_prices_attach_to_their_model():
    table = ("<p>| Spec | MAI-Image-2 (Flagship) | MAI-Image-2-Efficient (Fast) | | Best at | Portraits "
             "and signage. | Catalogue shots. | | Price per million output tokens | $40 | $25 (about 37% lower) | "
             "| Rank | #2 on Example Board. | 30% faster. |</p>")
    page = f"<html><body><article><h1>Two image models</h1>{INTRO}{table}{INTRO}</article></body></html>"
    article = extract_article(page, "https://example.com/2026/04/models", RULES)
    lines = article.text.split("\n")
    assert "MAI-Image-2 (Flagship) – Price per million output tokens: $40." in lines
    assert "MAI-Image-2-Efficient (Fast) – Price per million output tokens: $25 (about 37% lower)." in lines
    assert not [line for line in lines if "|" in line]
    # Every block still lies inside the text, in order.
    ends = [(b.start, b.end) for b in article.blocks]
    assert ends == sorted(ends) and ends[-1][1] <= len(article.text)
    pricing = [e for e in analyze(article.text, "2026-04-15")["events"] if e["type"] == "pricing"]
    assert {tuple(e["entities"]) for e in pricing} == {("MAI-Image-2",), ("MAI-Image-2-Efficient",)}


def test_a_table_kept_as_one_line_per_row_and_text_that_only_has_pipes():
    text = "Intro.\n| Model | Price |\n| --- | --- |\n| Alpha | $1 |\n| Beta | $2 |\nOutro."
    assert unflatten_tables(text) == "Intro.\nPrice – Alpha: $1.\nPrice – Beta: $2.\nOutro."
    # Pipes that are no table (rows of unequal width, a single row, prose) stay as they are.
    for kept in ("Microsoft | OpenAI | Amazon", "| a | b | | c |", "| Only | one | row |"):
        assert unflatten_tables(kept) == kept
