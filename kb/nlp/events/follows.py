"""Clauses that say what the news comes after ("This comes two days after the board fired Altman", "The
exit comes after sharper questions"): the fact such a clause names is an earlier one."""

from __future__ import annotations

from kb.nlp.events.sentence_parts import WORD


def comes_after(text: str, s_start: int, c_start: int, verbs: frozenset[str], gap: int) -> bool:
    """Whether the clause at `c_start` opens with "after" and one of `verbs` ("comes", "came") is
    among the `gap` + 1 words right before it ("comes two days after", "came just after")."""
    first = WORD.match(text, c_start)
    if first is None or first.group(0).lower() != "after":
        return False
    before = WORD.findall(text, s_start, c_start)[-(gap + 1):]
    return any(word.lower() in verbs for word in before)
