"""Tests for the kb_sentences splitter: punctuation, closers, line breaks, abbreviations."""

from __future__ import annotations

import pytest
import spacy
from hypothesis import given, settings
from hypothesis import strategies as st

import kb.nlp.sentences  # noqa: F401 - registers the kb_sentences factory


@pytest.fixture(scope="module")
def nlp():
    pipeline = spacy.blank("en")
    pipeline.add_pipe("kb_sentences")
    return pipeline


def sentences(nlp, text: str) -> list[str]:
    return [s.text.strip() for s in nlp(text).sents]


@pytest.mark.parametrize(("text", "expected"), [
    ("He left. She stayed!", ["He left.", "She stayed!"]),
    ('He said "yes." Then he left.', ['He said "yes."', "Then he left."]),
    ("Was it true?! Nobody knew…  Later it was.", ["Was it true?!", "Nobody knew…", "Later it was."]),
    ("A headline\nThe body follows.\n\nA second paragraph", ["A headline", "The body follows.", "A second paragraph"]),
    ("Dr. Smith met Gen. Lee at 9 a.m. on Monday.", ["Dr. Smith met Gen. Lee at 9 a.m. on Monday."]),
    ("It grew in the U.S. The rest shrank.", ["It grew in the U.S.", "The rest shrank."]),
    ("Shares of Acme Inc. rose. (They fell later.) Fine.", ["Shares of Acme Inc. rose.", "(They fell later.)", "Fine."]),
    ("Ends with an abbreviation, e.g.", ["Ends with an abbreviation, e.g."]),
])
def test_sentence_bounds(nlp, text, expected):
    assert sentences(nlp, text) == expected


def test_empty_and_blank_docs(nlp):
    assert list(nlp("").sents) == []
    assert [s.text for s in nlp("   ").sents] == ["   "]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(
    ["Mr.", "U.S.", "Inc.", "a.m.", "He", "said", ".", "!", "?", "...", "…", "\n", "\n\n", '"', ")",
     "The", "e.g.", "x.", "?!", "”", " ", "  "]), max_size=30))
def test_every_doc_gets_sentence_starts_that_cover_it(nlp, pieces):
    doc = nlp(" ".join(pieces))
    if len(doc):
        assert doc[0].is_sent_start
        assert all(t.is_sent_start is not None for t in doc)
        assert sum(len(s) for s in doc.sents) == len(doc)


def test_a_source_cited_by_its_web_address_ends_the_sentence_before_it():
    from kb.nlp.pipeline import shared_nlp

    doc = shared_nlp()("Customers build on Amazon Bedrock. (example.com) In a memo sent Sunday, she wrote "
                       "more. (The memo was short.) Next one.")
    assert [s.text for s in doc.sents] == [
        "Customers build on Amazon Bedrock. (example.com)", "In a memo sent Sunday, she wrote more.",
        "(The memo was short.)", "Next one."]
