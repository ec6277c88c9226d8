"""What changed since a time, story by story, read from the records the ingest keeps.

`story_changes` (kb/stories/card_changes.py) says what each run changed in each story: a new
story, new facts, new reports, status moves of its facts (their reasons are in event_history),
score moves and story status moves (a merge is a move to 'merged'). This module reads them for
/-/changes, its Atom feed and the home page's "Since yesterday" block; it records nothing.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections import defaultdict

from datasette_plugins.event_queries import placeholders
from datasette_plugins.params import BadParameter, parse_percent, shown, single
from kb.core.formats import percent
from kb.core.time import parse_timestamp, utc_iso
from kb.stories.card_changes import edit_text

DEFAULT_HOURS = 24
DEFAULT_MIN_MOVE = 0.05  # a score move of 5 points or more is shown
CHANGES_READ = 5000  # rows of story_changes one page reads at most (newest first)
STORIES_SHOWN = 50
FACTS_SHOWN = 10  # per story and kind
SINCE_PATTERN = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}(?:[T ][0-9]{2}:[0-9]{2}(?::[0-9]{2})?Z?)?$")


def parse_since(value: str | None) -> str | None:
    """`since` as the stored timestamp form ('2026-04-28T00:00:00Z'); a date means its midnight UTC."""
    if value is None:
        return None
    if not SINCE_PATTERN.match(value):
        raise BadParameter("since",
                           f"expected a date as YYYY-MM-DD (or YYYY-MM-DDTHH:MM), got {shown(value)}")
    parsed = parse_timestamp(value if "T" in value or " " in value else value + "T00:00:00")
    if parsed is None or not 1000 <= parsed.year <= 2999:
        raise BadParameter("since", f"{value!r} is not a real date")
    return utc_iso(parsed)


def parse_changes_args(args) -> tuple[str | None, float]:
    """The validated `since` (None: the default) and `min_move` (a fraction) of /-/changes."""
    since = parse_since(single(args, "since"))
    move = parse_percent(single(args, "min_move"), "min_move")
    return since, DEFAULT_MIN_MOVE if move is None else move


async def default_since(db, now: dt.datetime) -> str:
    """The last 24 hours, or since the start of the last run when that is earlier."""
    day_ago = utc_iso(now - dt.timedelta(hours=DEFAULT_HOURS))
    rows = (await db.execute(
        "SELECT max(started_at) FROM ingest_runs WHERE finished_at IS NOT NULL")).rows
    last_run = rows[0][0] if rows else None
    return min(day_ago, last_run) if last_run else day_ago


def describe_move(old: str | None, new: str | None) -> str:
    return f"{old} → {new}" if old else str(new)


async def event_lines(db, ids: list[int]) -> dict[int, dict]:
    """Summary, type, status and date of the events named by changes."""
    if not ids:
        return {}
    rows = (await db.execute(
        f"SELECT id, type, status, coalesce(summary, sentence) AS text, date, sort_date FROM events "
        f"WHERE id IN ({placeholders(ids)})", ids)).rows
    return {r["id"]: dict(r) for r in rows}


async def status_reasons(db, pairs: list[tuple[int, str]]) -> dict[tuple[int, str], dict]:
    """For (event, new status) pairs, the latest history row that made the move: reason and article."""
    ids = sorted({e for e, _ in pairs})
    if not ids:
        return {}
    reasons: dict[tuple[int, str], dict] = {}
    for r in (await db.execute(
        f"""SELECT h.event_id, h.new_status, h.at, h.reason, h.article_id FROM event_history h
            WHERE h.event_id IN ({placeholders(ids)}) AND h.reason NOT LIKE 'date conflict:%'
            ORDER BY h.id""", ids)).rows:
        reasons[(r["event_id"], r["new_status"])] = dict(r)
    return reasons


def empty_group(story: dict) -> dict:
    return {"story": story, "new_story": None, "new_facts": [], "more_facts": 0, "reports": 0,
            "statuses": [], "scores": [], "story_statuses": [], "merged": None, "edits": [], "last_at": ""}


async def changes_since(db, since: str, min_move: float = DEFAULT_MIN_MOVE,
                        stories_shown: int = STORIES_SHOWN) -> dict:
    """The changes recorded at or after `since`, grouped by story (most important story first)."""
    rows = [dict(r) for r in (await db.execute(
        f"""SELECT id, story_id, run_id, at, kind, event_id, old, new, detail FROM story_changes
            WHERE at >= ? ORDER BY at DESC, id DESC LIMIT {CHANGES_READ + 1}""", [since])).rows]
    truncated = len(rows) > CHANGES_READ
    rows = rows[:CHANGES_READ]
    story_ids = sorted({r["story_id"] for r in rows})
    stories = {}
    if story_ids:
        for r in (await db.execute(
            f"""SELECT id, title, status, importance, confidence, merged_into FROM stories
                WHERE id IN ({placeholders(story_ids)})""", story_ids)).rows:
            stories[r["id"]] = dict(r)
    groups: dict[int, dict] = {}
    for row in reversed(rows):  # oldest first, so lists read in the order things happened
        story = stories.get(row["story_id"])
        if story is None:
            continue
        group = groups.setdefault(row["story_id"], empty_group(story))
        group["last_at"] = max(group["last_at"], row["at"])
        detail = json.loads(row["detail"]) if row["detail"] else {}
        kind = row["kind"]
        if kind == "edit" or (kind == "new_story" and detail.get("edit")):
            group["edits"].append({"at": row["at"], "edit": detail.get("edit"), "text": edit_text(
                detail.get("edit"), row["old"], row["new"], detail.get("other"), detail.get("events"))})
            if kind == "new_story":
                group["new_story"] = {"at": row["at"], "events": detail.get("events", 0)}
        elif kind == "new_story":
            group["new_story"] = {"at": row["at"], "events": detail.get("events", 0)}
        elif kind == "new_fact" and row["event_id"] is None:
            group["more_facts"] += int(detail.get("more", 0))
        elif kind == "new_fact":
            group["new_facts"].append({"event_id": row["event_id"], "at": row["at"]})
        elif kind == "new_report":
            group["reports"] += 1
        elif kind == "status":
            group["statuses"].append({"event_id": row["event_id"], "at": row["at"],
                                      "old": row["old"], "new": row["new"]})
        elif kind == "score":
            old, new = float(row["old"]), float(row["new"])
            if abs(new - old) >= min_move - 1e-9:
                group["scores"].append({"score": detail.get("score", "score"), "at": row["at"],
                                        "old": percent(old), "new": percent(new),
                                        "up": new > old})
        elif kind == "story_status":
            group["story_statuses"].append({"at": row["at"], "old": row["old"], "new": row["new"]})
            if row["new"] == "merged":
                group["merged"] = {"at": row["at"], "into": story.get("merged_into")}
    for group in groups.values():
        group["more_facts"] += max(0, len(group["new_facts"]) - FACTS_SHOWN)
        group["new_facts"] = group["new_facts"][-FACTS_SHOWN:]
        group["statuses"] = group["statuses"][-FACTS_SHOWN:]
    shown_groups = [g for g in groups.values() if has_news(g)]
    shown_groups.sort(key=lambda g: (-(g["story"]["importance"] or 0), g["story"]["id"]))
    more_stories = max(0, len(shown_groups) - stories_shown)
    shown_groups = shown_groups[:stories_shown]
    await attach_events(db, shown_groups)
    merged_into = sorted({g["merged"]["into"] for g in shown_groups if g["merged"] and g["merged"]["into"]})
    titles = {}
    if merged_into:
        titles = {r[0]: r[1] for r in (await db.execute(
            f"SELECT id, title FROM stories WHERE id IN ({placeholders(merged_into)})", merged_into)).rows}
    for group in shown_groups:
        if group["merged"] and group["merged"]["into"]:
            group["merged"]["title"] = titles.get(group["merged"]["into"])
        group["headline"] = headline(group)
    return {"since": since, "groups": shown_groups, "more_stories": more_stories, "truncated": truncated,
            "totals": totals(shown_groups)}


def has_news(group: dict) -> bool:
    return bool(group["new_story"] or group["new_facts"] or group["more_facts"] or group["statuses"]
                or group["scores"] or group["story_statuses"] or group["edits"])


async def attach_events(db, groups: list[dict]) -> None:
    """The summary of each fact a change names, and the reason and source of each status move."""
    ids = sorted({item["event_id"] for g in groups for item in g["new_facts"] + g["statuses"]})
    events = await event_lines(db, ids)
    reasons = await status_reasons(db, [(s["event_id"], s["new"]) for g in groups for s in g["statuses"]])
    for group in groups:
        for item in group["new_facts"] + group["statuses"]:
            event = events.get(item["event_id"], {})
            item["text"] = event.get("text") or "(fact since removed)"
            item["type"] = event.get("type")
            item["status_now"] = event.get("status")
        for item in group["statuses"]:
            reason = reasons.get((item["event_id"], item["new"]))
            item["reason"] = reason["reason"] if reason else None
            item["article_id"] = reason["article_id"] if reason else None


def plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def headline(group: dict) -> str:
    """'new storyline with 3 facts' or '2 new facts, 1 confirmed, importance 40% → 52%'."""
    parts = []
    edits = {e["edit"] for e in group["edits"]}
    parts += [{"rename": "renamed by hand", "merge": "merged with another storyline by hand",
               "split": "split by hand", "split_from": "split from another storyline by hand"}.get(e, e)
              for e in sorted(edits) if not (e == "merge" and group["merged"])]
    if group["new_story"]:
        parts.append(f"new storyline with {plural(group['new_story']['events'], 'fact')}")
    facts = len(group["new_facts"]) + group["more_facts"]
    if facts and not group["new_story"]:
        parts.append(plural(facts, "new fact"))
    moved: dict[str, int] = defaultdict(int)
    for status in group["statuses"]:
        moved[status["new"]] += 1
    parts += [f"{count} {status}" for status, count in sorted(moved.items())]
    parts += [f"{s['score']} {s['old']} → {s['new']}" for s in group["scores"]]
    if group["merged"]:
        parts.append("merged into another storyline")
    else:
        parts += [f"now {s['new']}" for s in group["story_statuses"]]
    if group["reports"] and not parts:
        parts.append(plural(group["reports"], "new report") + " of known facts")
    return ", ".join(parts)


def totals(groups: list[dict]) -> dict:
    return {
        "stories": len(groups),
        "new_stories": sum(1 for g in groups if g["new_story"]),
        "new_facts": sum(len(g["new_facts"]) + g["more_facts"] for g in groups),
        "status_moves": sum(len(g["statuses"]) for g in groups),
        "score_moves": sum(len(g["scores"]) for g in groups),
        "merged": sum(1 for g in groups if g["merged"]),
        "edits": sum(len(g["edits"]) for g in groups),
    }
