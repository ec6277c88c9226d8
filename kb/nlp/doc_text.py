"""The text of a spaCy Doc, built once and shared by the pipeline's components."""

from __future__ import annotations

from spacy.tokens import Doc

# Doc.text joins every token's text on each access (a Python object per token); the
# tokens never change their text, so components share one copy kept in doc.user_data.
_KEY = "kb.text"


def doc_text(doc: Doc) -> str:
    """`doc.text`, computed on the first call for this doc and reused after."""
    text = doc.user_data.get(_KEY)
    if text is None or len(text) != _char_length(doc):
        text = doc.text
        doc.user_data[_KEY] = text
    return text


def _char_length(doc: Doc) -> int:
    """The length of the doc's text, from its last token (cheap: one token object)."""
    if not len(doc):
        return 0
    last = doc[-1]
    return last.idx + len(last.text_with_ws)
