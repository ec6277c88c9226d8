"""The direction of a personnel report (a departure, a hire, a return, an appointment), read from
its trigger with matching.personnel_directions of data/weights.toml: reports of opposite moves
(Altman fired, Altman joining Microsoft, Altman returning) are never one fact."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any


class Directions:
    """Trigger beginnings per direction and the pairs of directions that are different facts."""

    def __init__(self, weights: dict[str, Any]):
        table = weights["matching"].get("personnel_directions", {})
        self.starts = [(start.lower(), kind) for kind, starts in table.get("starts", {}).items()
                       for start in starts]
        self.starts.sort(key=lambda item: (-len(item[0]), item[0]))  # the longest beginning wins
        self.opposite = frozenset(frozenset(pair) for pair in table.get("opposite", []))

    def of(self, trigger: str | None) -> str | None:
        """The direction a trigger tells ("is returning" -> "return"), None when it tells none."""
        if not trigger:
            return None
        words = trigger.lower().split()
        # Auxiliaries before the verb ("is returning", "will be joining") tell no direction.
        while len(words) > 1 and words[0] in AUXILIARIES:
            words = words[1:]
        text = " ".join(words)
        return next((kind for start, kind in self.starts if text.startswith(start)), None)

    def clash(self, direction: str | None, others: Iterable[str | None]) -> bool:
        """Whether a report of `direction` tells another move than reports of `others`."""
        if direction is None:
            return False
        return any(other is not None and frozenset((direction, other)) in self.opposite for other in others)


AUXILIARIES = frozenset({"is", "are", "was", "were", "be", "been", "being", "will", "would", "has",
                         "have", "had", "to"})
