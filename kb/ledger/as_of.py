"""What the knowledge base knew at a time: the as-of query over events and their status history."""

from __future__ import annotations

from typing import Any

import sqlite_utils

from kb.ledger.sql_helpers import rows_as_dicts

# "What did we know at :as_of?": each event known by then, newest first, with the status it
# had then and its independent report count then. :as_of is a date (meaning the end of that
# day), a month, or a UTC timestamp ending in Z (exact): stored times are compared on as many
# characters as :as_of has. The status then is set by the event's last history row by then
# (ties in time: the later row), so it is the status period of event_status_periods covering
# :as_of, found by index; an event with no history that early (a base written without it)
# had the old status of its first later change, or else has the status it has now.
# data/datasette.yaml's canned query `known_as_of` is this text (tests/ledger/test_as_of.py).
AS_OF_SQL = """
SELECT e.id AS event_id, e.type, e.date, e.date_mod, e.sort_date, e.summary,
       coalesce(h.new_status,
                (SELECT later.old_status FROM event_history later
                  WHERE later.event_id = e.id AND substr(later.at, 1, length(:as_of)) > :as_of
                  ORDER BY later.at, later.id LIMIT 1),
                e.status) AS status_then,
       e.status AS status_now, h.reason AS status_reason,
       e.known_at,
       (SELECT count(DISTINCT l.original_article_id) FROM event_links l
         WHERE l.event_id = e.id AND substr(l.known_at, 1, length(:as_of)) <= :as_of) AS mentions_then,
       e.importance, e.confidence
FROM events e
LEFT JOIN event_history h ON h.id = (
    SELECT last.id FROM event_history last
    WHERE last.event_id = e.id AND substr(last.at, 1, length(:as_of)) <= :as_of
    ORDER BY last.at DESC, last.id DESC LIMIT 1)
WHERE substr(e.known_at, 1, length(:as_of)) <= :as_of
ORDER BY e.sort_date DESC, e.id DESC
"""


def known_as_of(db: sqlite_utils.Database, as_of: str) -> list[dict[str, Any]]:
    """Run the as-of query: every event known at `as_of`, newest first, with its status then."""
    return rows_as_dicts(db.execute(AS_OF_SQL, {"as_of": as_of}))
