"""Tests for the entity span helpers: adding spans to doc.ents in several steps."""

from __future__ import annotations

import spacy
from hypothesis import given, settings
from hypothesis import strategies as st
from spacy.tokens import Span

from kb.nlp.ent_spans import add_ents

WORDS = "Acme Labs hired Jane Doe of Beta Corp in Paris on Monday for $5 million today".split()
nlp = spacy.blank("en")


def test_spans_added_in_steps_keep_earlier_ones_and_skip_overlaps():
    doc = nlp(" ".join(WORDS))
    add_ents(doc, [Span(doc, 0, 2, label="ORG", kb_id="Acme"), Span(doc, 9, 10, label="GPE")])
    add_ents(doc, [Span(doc, 1, 3, label="ORG"), Span(doc, 3, 5, label="PERSON"), Span(doc, 6, 8, label="ORG")])
    assert [(e.text, e.label_, e.kb_id_) for e in doc.ents] == [
        ("Acme Labs", "ORG", "Acme"), ("Jane Doe", "PERSON", ""), ("Beta Corp", "ORG", ""), ("Paris", "GPE", "")]
    assert [t.ent_iob_ for t in doc[:10]] == ["B", "I", "O", "B", "I", "O", "B", "I", "O", "B"]


def test_adjacent_spans_of_one_label_stay_two_entities():
    doc = nlp(" ".join(WORDS))
    add_ents(doc, [Span(doc, 6, 8, label="ORG")])
    add_ents(doc, [Span(doc, 8, 10, label="ORG")])
    assert [e.text for e in doc.ents] == ["Beta Corp", "in Paris"]


@settings(max_examples=100, deadline=None)
@given(st.lists(st.lists(st.tuples(st.integers(0, len(WORDS) - 1), st.integers(1, 3),
                                   st.sampled_from(["ORG", "PERSON", "GPE"])), max_size=5), max_size=4))
def test_adding_in_steps_equals_setting_the_kept_spans_at_once(steps):
    doc = nlp(" ".join(WORDS))
    kept: list[tuple[int, int, str]] = []
    for step in steps:
        spans = [Span(doc, s, min(s + n, len(doc)), label=label) for s, n, label in step]
        add_ents(doc, spans)
        taken = {i for s, e, _ in kept for i in range(s, e)}
        for span in spacy.util.filter_spans(spans):
            if not taken & set(range(span.start, span.end)):
                kept.append((span.start, span.end, span.label_))
    expected = nlp(" ".join(WORDS))
    expected.ents = [Span(expected, s, e, label=label) for s, e, label in sorted(kept)]
    assert [(e.start, e.end, e.label_) for e in doc.ents] == [(e.start, e.end, e.label_) for e in expected.ents]
    if kept:
        assert [t.ent_iob_ for t in doc] == [t.ent_iob_ for t in expected]
