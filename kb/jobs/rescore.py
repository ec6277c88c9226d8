"""`kb rescore`: recompute every event's status and scores, then every story, from the weights."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlite_utils

from kb.ledger.merge import Ledger
from kb.ledger.scoring import ScoringContext
from kb.ledger.session import cyclic_gc_paused
from kb.stories.placement import refresh_all_stories

RESCORE_CHUNK = 500  # events refreshed together


@dataclass
class RescoreSummary:
    """What `kb rescore` did."""

    events: int
    stories: int
    reference_at: str | None
    formula_version: str


def rescore(db: sqlite_utils.Database, now: str | None = None,
            weights: dict[str, Any] | None = None) -> RescoreSummary:
    """Recompute every event's status and scores, then every story; deterministic."""
    ctx = ScoringContext(db, weights)
    ledger = Ledger(db, ctx)
    with db.conn, cyclic_gc_paused():
        event_ids = [row[0] for row in db.execute("SELECT id FROM events ORDER BY id").fetchall()]
        for start in range(0, len(event_ids), RESCORE_CHUNK):
            ledger.refresh_events(event_ids[start:start + RESCORE_CHUNK], reload=True)
            ledger.forget()
        for start in range(0, len(event_ids), RESCORE_CHUNK):
            ledger.apply_supersession(event_ids[start:start + RESCORE_CHUNK])
            ledger.forget()
        stories, reference = refresh_all_stories(db, ctx, now=now)
    return RescoreSummary(len(event_ids), stories, reference, ctx.formula_version)
