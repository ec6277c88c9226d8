"""Whether a story is developing, ongoing or dormant, measured from a reference time.

A story's activity date is the date of its latest fact: the most recent of its events' own dates
(an undated event counts from its first report; a date far beyond the first report, a plan, counts
from the report). Status follows it, not the date an article last mentioned the story: a story
whose facts are from 2023 is dormant however often it is retold.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlite_utils

from kb.core.errors import KBError
from kb.core.time import parse_timestamp, utc_iso


def reference_time(db: sqlite_utils.Database, now: str | None = None) -> str | None:
    """The "now" statuses are measured from: `now`, else the newest article's publication time.

    Publication times later than the newest fetch (plus a day) are ignored as bogus.
    """
    if now:
        parsed = parse_timestamp(now)
        if parsed is None:
            raise KBError(f"cannot read the date {now!r}: use YYYY-MM-DD or an ISO 8601 time")
        if len(now.strip()) == 10:
            parsed += dt.timedelta(days=1) - dt.timedelta(seconds=1)  # a date means its end
        return utc_iso(parsed)
    newest_fetch = parse_timestamp(db.execute("SELECT max(fetched_at) FROM articles").fetchone()[0])
    rows = db.execute(
        "SELECT published_at FROM articles WHERE published_at IS NOT NULL ORDER BY published_at DESC LIMIT 50"
    ).fetchall()
    best = None
    for (value,) in rows:
        parsed = parse_timestamp(value)
        if parsed is None or (newest_fetch and parsed > newest_fetch + dt.timedelta(days=1)):
            continue
        best = parsed if best is None or parsed > best else best
    if best is None:
        best = newest_fetch
    return utc_iso(best) if best else None


def status_cutoffs(reference: str | None, weights: dict[str, Any]) -> tuple[str, str] | None:
    """(developing since, dormant before) as dates YYYY-MM-DD, or None without a reference."""
    parsed = parse_timestamp(reference)
    if parsed is None:
        return None
    cfg = weights["stories"]["status"]
    developing = utc_iso(parsed - dt.timedelta(days=float(cfg["developing_days"])))[:10]
    dormant = utc_iso(parsed - dt.timedelta(days=float(cfg["dormant_days"])))[:10]
    return developing, dormant


def story_status(activity_date: str | None, reference: str | None, weights: dict[str, Any]) -> str:
    """developing (a fact dated lately), ongoing, or dormant (no fact for a long time)."""
    cutoffs = status_cutoffs(reference, weights)
    if cutoffs is None or not activity_date:
        return "developing"
    developing, dormant = cutoffs
    day = activity_date[:10]
    if day >= developing:
        return "developing"
    return "ongoing" if day >= dormant else "dormant"


def refresh_statuses(db: sqlite_utils.Database, reference: str | None, weights: dict[str, Any]) -> None:
    """Move stories between developing/ongoing/dormant as the reference time moves (by index)."""
    cutoffs = status_cutoffs(reference, weights)
    if cutoffs is None:
        return
    developing, dormant = cutoffs
    day = "substr(coalesce(activity_date, ''), 1, 10)"
    db.execute("UPDATE stories SET status = 'developing' WHERE status IN ('ongoing', 'dormant') "
               f"AND (activity_date IS NULL OR {day} >= ?)", [developing])
    db.execute("UPDATE stories SET status = 'ongoing' WHERE status IN ('developing', 'dormant') "
               f"AND {day} < ? AND {day} >= ?", [developing, dormant])
    db.execute("UPDATE stories SET status = 'dormant' WHERE status IN ('developing', 'ongoing') "
               f"AND {day} < ?", [dormant])
