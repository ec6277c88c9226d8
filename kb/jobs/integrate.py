"""Merge analysed articles into the claim ledger, then place the events that changed into stories."""

from __future__ import annotations

import sqlite_utils

from kb.ledger.merge import Ledger, ledger_linked_events
from kb.ledger.scoring import ScoringContext
from kb.ledger.session import LedgerSession, cyclic_gc_paused
from kb.stories.placement import place_events, stories_by_event


def integrate_articles(db: sqlite_utils.Database, article_ids: list[int],
                       session: LedgerSession | None = None) -> None:
    """Merge these articles' event_mentions into events, rescore them and update stories.

    The ledger says which events it touched and which changed in what story matching reads
    (or went); those are placed into stories and their stories refreshed, in the same
    transaction.

    Called by the analysis step after it stores an article batch. Idempotent: running it
    again over the same articles changes nothing. With a `session`, the events' state read
    by earlier merges of the same run is reused (the result is the same).
    """
    ctx = ScoringContext(db)
    try:
        with db.conn, cyclic_gc_paused():
            ledger = session.ledger_for(db, ctx) if session is not None else Ledger(db, ctx)
            before = stories_by_event(db, ledger_linked_events(db, article_ids))
            touched = ledger.integrate(article_ids)
            changed = sorted(ledger.story_changes)
            stale = {before[e] for e in changed if e in before} | set(stories_by_event(db, changed).values())
            place_events(db, ctx, touched, extra_story_ids=set(before.values()), stale_story_ids=stale,
                         story_before=ledger.story_before)
    except BaseException:
        if session is not None:
            session.discard()  # rolled back: what it holds no longer matches the database
        raise
    if session is not None:
        session.merged(ledger)
