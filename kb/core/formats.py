"""How scores read: the one way a 0–1 score is shown as a percentage, in pages, cards and the CLI."""

from __future__ import annotations

UNKNOWN = "–"  # an en dash: the score is not known (no scores yet)


def percent(value: float | None, unknown: str = UNKNOWN) -> str:
    """A 0–1 score as a whole percentage ('73%'), or `unknown` (an en dash) when it is not known."""
    if value is None:
        return unknown
    return f"{round(float(value) * 100):d}%"
