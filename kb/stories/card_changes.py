"""What each ingest run added to or changed in each story, so a returning analyst sees what is new.

At the end of a run's analysis `record_story_changes` writes `story_changes` rows: a new story,
the facts that joined a story, status changes of its events (reported -> confirmed), and moves
of the story's scores and status since it was last recorded (`story_change_marks`).
`story_changes_of` reads them for the card, newest run first.
"""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Any

import sqlite_utils

from kb.core.formats import percent
from kb.core.time import utcnow
from kb.ledger.sql_helpers import marks, rows_as_dicts

GONE = "(a fact since removed)"  # what a change says of an event no longer in the base
SCORE_STEP = 0.01  # a score move smaller than this is not news
FACTS_PER_RUN = 20  # new facts listed per story and run; the rest are counted
CHANGES_SHOWN = 30  # changes a card shows


def record_story_changes(db: sqlite_utils.Database, run_id: int | None) -> int:
    """Record what this run changed in each story; return the number of rows written."""
    now = utcnow()
    mark, events_mark, mentions_mark = db.execute(
        "SELECT coalesce(max(history_upto), 0), coalesce(max(events_upto), 0), "
        "coalesce(max(mentions_upto), 0) "
        "FROM story_change_runs"
    ).fetchone()
    upto = db.execute("SELECT coalesce(max(id), 0) FROM event_history").fetchone()[0]
    events_upto = db.execute("SELECT coalesce(max(id), 0) FROM events").fetchone()[0]
    mentions_upto = db.execute("SELECT coalesce(max(id), 0) FROM event_mentions").fetchone()[0]
    added: dict[int, list[int]] = defaultdict(list)
    for story_id, event_id in db.execute(  # events are numbered as they are made: the new ones
        "SELECT story_id, event_id FROM story_events WHERE event_id > ? ORDER BY story_id, event_id",
        [events_mark],
    ):
        added[story_id].append(event_id)
    reported: dict[int, list[int]] = defaultdict(list)
    for story_id, event_id in db.execute(  # older events with a report from this run's articles
        """SELECT DISTINCT se.story_id, em.event_id FROM event_mentions em
               JOIN story_events se ON se.event_id = em.event_id
               WHERE em.id > ? AND em.event_id <= ? ORDER BY 1, 2""",
        [mentions_mark, events_mark],
    ):
        reported[story_id].append(event_id)
    statuses = db.execute(
        """SELECT se.story_id, h.event_id, h.old_status, h.new_status FROM event_history h
           JOIN story_events se ON se.event_id = h.event_id
           WHERE h.id > ? AND h.old_status IS NOT NULL AND h.old_status != h.new_status
             AND h.new_status != 'superseded' ORDER BY h.id""",
        [mark],
    ).fetchall()
    touched = sorted(set(added) | set(reported) | {row[0] for row in statuses})
    rows: list[tuple] = []
    stories = {
        r["id"]: r
        for r in rows_as_dicts(
            db.execute(
                f"SELECT id, importance, confidence, status FROM stories WHERE id IN ({marks(touched)})",
                touched,
            )
        )
    }
    previous = {
        r["story_id"]: r
        for r in rows_as_dicts(
            db.execute(f"SELECT * FROM story_change_marks WHERE story_id IN ({marks(touched)})", touched)
        )
    }
    for story_id in touched:
        story = stories.get(story_id)
        if story is None:
            continue
        before = previous.get(story_id)
        if before is None:
            rows.append(
                (
                    story_id,
                    run_id,
                    now,
                    "new_story",
                    None,
                    None,
                    None,
                    json.dumps({"events": len(added.get(story_id, []))}),
                )
            )
        else:
            events = added.get(story_id, [])
            rows += [(story_id, run_id, now, "new_fact", e, None, None, None) for e in events[:FACTS_PER_RUN]]
            rows += [
                (story_id, run_id, now, "new_report", e, None, None, None)
                for e in reported.get(story_id, [])[:FACTS_PER_RUN]
            ]
            if len(events) > FACTS_PER_RUN:
                rows.append(
                    (
                        story_id,
                        run_id,
                        now,
                        "new_fact",
                        None,
                        None,
                        None,
                        json.dumps({"more": len(events) - FACTS_PER_RUN}),
                    )
                )
            for name in ("importance", "confidence"):
                old, new = before[name], story[name]
                if old is not None and new is not None and abs(new - old) >= SCORE_STEP:
                    rows.append(
                        (
                            story_id,
                            run_id,
                            now,
                            "score",
                            None,
                            f"{old:.4f}",
                            f"{new:.4f}",
                            json.dumps({"score": name}),
                        )
                    )
            if before["status"] != story["status"]:
                rows.append(
                    (story_id, run_id, now, "story_status", None, before["status"], story["status"], None)
                )
        rows += [
            (s, run_id, now, "status", e, old, new, None) for s, e, old, new in statuses if s == story_id
        ]
    db.conn.executemany(
        "INSERT INTO story_changes (story_id, run_id, at, kind, event_id, old, new, detail) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        rows,
    )
    db.conn.executemany(
        """INSERT INTO story_change_marks (story_id, importance, confidence, status, recorded_at)
           VALUES (?, ?, ?, ?, ?) ON CONFLICT (story_id) DO UPDATE SET importance = excluded.importance,
               confidence = excluded.confidence, status = excluded.status,
               recorded_at = excluded.recorded_at""",
        [(s["id"], s["importance"], s["confidence"], s["status"], now) for s in stories.values()],
    )
    db.execute(
        "INSERT OR REPLACE INTO story_change_runs (run_id, at, history_upto, events_upto, mentions_upto) "
        "VALUES (?, ?, ?, ?, ?)",
        [run_id or 0, now, upto, events_upto, mentions_upto],
    )
    return len(rows)


def record_story_edit(db: sqlite_utils.Database, story_id: int, edit: str, *, old: str | None = None,
                      new: str | None = None, other: int | None = None, events: int | None = None,
                      kind: str = "edit") -> None:
    """Record a change made by hand (`kb stories merge|split|rename`), so /-/changes and the card
    show it like a run's changes. The caller commits."""
    detail = {"edit": edit, **({"other": other} if other is not None else {}),
              **({"events": events} if events is not None else {})}
    db.execute("INSERT INTO story_changes (story_id, run_id, at, kind, event_id, old, new, detail) "
               "VALUES (?, NULL, ?, ?, NULL, ?, ?, ?)",
               [story_id, utcnow(), kind, old, new, json.dumps(detail, sort_keys=True)])


def edit_text(edit: str, old: str | None, new: str | None, other: int | None, events: int | None) -> str:
    """A manual edit in words: 'renamed by hand from "A" to "B"'."""
    count = f"{events} fact{'' if events == 1 else 's'}" if events is not None else "facts"
    if edit == "rename":
        return f"renamed by hand from “{old}” to “{new}”"
    if edit == "merge":
        return f"merged by hand with story {other}{f' (“{old}”)' if old else ''}: {count} moved in"
    if edit == "split":
        return f"split by hand: {count} moved to story {other}"
    if edit == "split_from":
        return f"split by hand from story {other} with {count}"
    return f"edited by hand ({edit})"


def _describe(change: dict[str, Any], summaries: dict[int, str]) -> str:
    kind = change["kind"]
    detail = json.loads(change["detail"]) if change["detail"] else {}
    if detail.get("edit") and kind in ("edit", "new_story"):
        return edit_text(detail["edit"], change["old"], change["new"], detail.get("other"),
                         detail.get("events"))
    if kind == "new_story":
        return f"story started with {detail.get('events', 0)} events"
    if kind == "new_fact":
        if change["event_id"] is None:
            return f"and {detail.get('more', 0)} more new facts"
        return f"new fact: {summaries.get(change['event_id']) or GONE}"
    if kind == "new_report":
        return f"new report: {summaries.get(change['event_id']) or GONE}"
    if kind == "status":
        return (
            f"{change['old']} → {change['new']}: "
            f"{summaries.get(change['event_id']) or GONE}"
        )
    if kind == "score":
        old, new = percent(float(change["old"])), percent(float(change["new"]))
        return f"{detail.get('score', 'score')} {old} → {new}"
    return f"story {change['old']} → {change['new']}"


def story_changes_of(db: sqlite_utils.Database, story_id: int) -> list[dict[str, Any]]:
    """The story's recorded changes, newest run first, each with a line saying what changed."""
    changes = rows_as_dicts(
        db.execute(
            """SELECT c.id, c.run_id, c.at, c.kind, c.event_id, c.old, c.new, c.detail FROM story_changes c
           WHERE c.story_id = ? ORDER BY c.id DESC LIMIT ?""",
            [story_id, CHANGES_SHOWN],
        )
    )
    ids = sorted({c["event_id"] for c in changes if c["event_id"] is not None})
    summaries = {
        r[0]: (r[1] or "")
        for r in db.execute(
            f"SELECT id, coalesce(summary, sentence) FROM events WHERE id IN ({marks(ids)})", ids
        )
    }
    return [
        {
            "run_id": c["run_id"],
            "batch": f"Run {c['run_id']}" if c["run_id"] is not None else "By hand",
            "at": c["at"],
            "kind": c["kind"],
            "event_id": c["event_id"],
            "old": c["old"],
            "new": c["new"],
            "text": _describe(c, summaries),
        }
        for c in changes
    ]
