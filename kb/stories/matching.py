"""The story-card section of an event type (data/weights.toml [stories.sections])."""

from __future__ import annotations

from typing import Any


def section_of(event_type: str, weights: dict[str, Any]) -> str:
    """The story-card section an event type belongs to."""
    for section, types in weights["stories"]["sections"].items():
        if event_type in types:
            return section
    return "partnership"
