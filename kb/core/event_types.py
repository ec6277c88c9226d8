"""The kinds of event the knowledge base extracts, merges and files into stories.

The one list of them: the trigger lexicon (data/event_triggers.toml), the weights file, story
cards and the pages all check against it. The schema's CHECK constraint (migration m003) was
written with the same list; tests/core/test_event_types.py keeps the two equal.
"""

from __future__ import annotations

EVENT_TYPES = ("release", "investment", "partnership", "competition", "personnel", "legal",
               "regulatory", "corporate", "statement", "pricing")
