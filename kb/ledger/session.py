"""A claim-ledger session: the events' state kept from one merge to the next within one run."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

import sqlite_utils

from kb.ledger.merge import Ledger, ledger_linked_events
from kb.ledger.reports import ignored_entity_ids
from kb.ledger.scoring import ScoringContext


class LedgerSession:
    """The claim ledger's event state kept from one merge to the next within one analysis run.

    Only the ledger writes events, their keys, entities and history, and a run holds the
    ingest lock, so rows, folded reports, keys and entity sets read by one merge are still
    true at the next; scoring contexts and source caches stay per merge. The state is
    dropped after a failed merge, after a merge that deleted an event (other rows' references
    to it were cleared by the database), when the weights or the ignored entities change,
    and for events whose articles are analysed again. At most `max_events` events and the
    reports of at most `max_reports` (about 5 kB each in memory) are held: the events used
    longest ago are let go first.
    """

    def __init__(self, max_events: int = 10_000, max_reports: int = 50_000):
        self.max_events = max_events
        self.max_reports = max_reports
        self.ledger: Ledger | None = None
        self.recency: dict[int, None] = {}  # held events, least recently used first
        self.merges = 0  # merges that reused the state

    def ledger_for(self, db: sqlite_utils.Database, ctx: ScoringContext) -> Ledger:
        """The ledger for the next merge: the kept one when still valid, else a new one."""
        ledger = self.ledger
        if ledger is not None and ledger.db is db and ledger.weights == ctx.weights:
            outlets = list(ctx.weights["matching"].get("outlet_entities", []))
            if ignored_entity_ids(db, outlets) == ledger.ignored:
                ledger.start_merge(ctx)
                self.merges += 1
                return ledger
        self.discard()
        self.ledger = Ledger(db, ctx)
        return self.ledger

    def merged(self, ledger: Ledger) -> None:
        """After a committed merge: note the events it used and let go of the oldest."""
        if ledger is not self.ledger or ledger.deleted:
            self.discard()
            return
        recency = self.recency
        for event_id in sorted(ledger.used):
            recency.pop(event_id, None)
            recency[event_id] = None
        folds = ledger.folds
        events, reports = len(recency), sum(len(fold) for fold in folds.values())
        oldest: list[int] = []
        for event_id in recency:
            if events <= self.max_events and reports <= self.max_reports:
                break
            oldest.append(event_id)
            events -= 1
            reports -= len(folds[event_id]) if event_id in folds else 0
        ledger.forget_events(oldest)
        for event_id in oldest:
            del recency[event_id]
        if len(ledger.entity_types) > 20 * self.max_events:
            ledger.entity_types.clear()
        if len(ledger.buckets) > self.max_events:
            ledger.buckets.clear()

    def forget_articles(self, db: sqlite_utils.Database, article_ids: list[int]) -> None:
        """Let go of the events these articles' reports went to (before the reports are replaced)."""
        if self.ledger is not None:
            self.ledger.forget_events(ledger_linked_events(db, article_ids))

    def discard(self) -> None:
        """Drop everything held; the next merge reads afresh."""
        self.ledger = None
        self.recency = {}


@contextmanager
def cyclic_gc_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector for the block.

    A merge keeps tens of thousands of small objects alive until it ends and makes no
    reference cycles, so the collector's full passes only re-scan them: about a fifth of
    the merge's time on a 1,000-article batch. Reference counting still frees everything.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
