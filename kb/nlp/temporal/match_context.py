"""What every temporal handler shares: its result type and the text and words around a match."""

from __future__ import annotations

import re

from kb.nlp.temporal import vocab as V
from kb.nlp.temporal.resolve import Context

Result = tuple[str, str, str | None]  # (type, value, mod)


def year_from(text: str | None) -> int | None:
    """A year from "2025", "'25" or "25"."""
    if not text:
        return None
    digits = text.lstrip("'")
    year = int(digits)
    return year + 2000 if len(digits) == 2 else year


def date_mod(word: str | None) -> str | None:
    """The TIMEX3 mod of a modifier word ("early", "the end of"), or None."""
    if not word:
        return None
    word = re.sub(r"\s+", " ", word.lower()).rstrip("-").strip()
    return V.date_mods().get(word)


def text_before(ctx: Context, m: re.Match, n: int = 30) -> str:
    """The `n` characters before the match."""
    return ctx.text[max(0, m.start() - n):m.start()]


def text_after(ctx: Context, m: re.Match, n: int = 30) -> str:
    """The `n` characters after the match."""
    return ctx.text[m.end():m.end() + n]


def year_of_relative(word: str | None, ctx: Context) -> int | None:
    """The year "this", "last" or "next" names, counted from the publication date."""
    if ctx.published is None:
        return None
    offset = {"this": 0, "the": 0, "last": -1, "next": 1}.get((word or "").lower(), 0)
    return ctx.published.year + offset
