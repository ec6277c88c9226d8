"""How scores read: the one way a 0–1 score is shown as a percentage, in pages, cards and the CLI."""

from __future__ import annotations

UNKNOWN = "–"  # an en dash: the score is not known (no scores yet)


def percent(value: float | None) -> str:
    """A 0–1 score as a whole percentage ('73%'), or an en dash when it is unknown."""
    if value is None:
        return UNKNOWN
    return f"{round(float(value) * 100):d}%"
