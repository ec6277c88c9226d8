"""Text helpers shared by ingest and kb (kb imports ingest, never the other way)."""

from __future__ import annotations

ELLIPSIS = "…"
# Trailing punctuation that reads badly before an ellipsis.
DANGLING = ",;:–—-"


def shorten(text: str, limit: int) -> str:
    """`text` cut to at most `limit` characters at a word boundary, with an ellipsis added
    where it was shortened ("Legal experts say the…", never "Legal experts say the tri").

    Only a single word longer than `limit` is cut inside, there being no boundary to cut at.
    """
    if len(text) <= limit:
        return text
    head = text[: limit + 1]  # the character after the limit tells whether the cut ends a word
    cut = len(head) - 1
    while cut > 0 and not head[cut].isspace():
        cut -= 1
    kept = head[:cut] if cut > 0 else text[:limit]
    return kept.rstrip().rstrip(DANGLING).rstrip() + ELLIPSIS


def word_start(text: str, position: int, floor: int = 0) -> int:
    """`position`, moved forward past a partly cut word to the start of the next one (never
    below `floor`, which is taken as a boundary, nor past the end of the text)."""
    if position <= floor or text[position - 1].isspace():
        return position
    while position < len(text) and not text[position].isspace():
        position += 1
    while position < len(text) and text[position].isspace():
        position += 1
    return position
