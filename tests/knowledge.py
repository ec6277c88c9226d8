"""A knowledge base's content as plain data (events, scores, stories), without ids or run times,
so that two builds can be compared whatever ids they gave."""

from __future__ import annotations

import json
import sqlite3
import sys


def rounded(value):
    return None if value is None else round(value, 4)


def snapshot(db_path: str) -> dict:
    conn = sqlite3.connect(db_path)
    conn.row_factory = sqlite3.Row

    entity_rows = conn.execute(
        "select ee.event_id, ee.role, en.name from event_entities ee join entities en on en.id = ee.entity_id"
    ).fetchall()
    entities: dict[int, set[str]] = {}
    for row in entity_rows:
        entities.setdefault(row["event_id"], set()).add(f"{row['role']}:{row['name']}")
    events = {}
    for e in conn.execute(
        "select e.*, a.canonical_url from events e left join articles a on a.id = e.article_id"
    ):
        events[e["id"]] = {
            "type": e["type"], "date": e["date"], "date_precision": e["date_precision"],
            "sort_date": e["sort_date"], "status": e["status"], "sentence": e["sentence"],
            "hedged": e["hedged"], "negated": e["negated"], "mentions": e["mentions"],
            "sources": e["sources"], "importance": rounded(e["importance"]),
            "confidence": rounded(e["confidence"]), "article": e["canonical_url"],
            "entities": sorted(entities.get(e["id"], ())),
        }
    members: dict[int, list] = {}
    for row in conn.execute("select story_id, event_id from story_events"):
        members.setdefault(row["story_id"], []).append(events.get(row["event_id"], {}).get("sentence"))
    stories = []
    for s in conn.execute("select * from stories where status != 'merged'"):
        stories.append({
            "title": s["title"], "overview": s["overview"], "status": s["status"],
            "importance": rounded(s["importance"]), "confidence": rounded(s["confidence"]),
            "mentions": s["mentions"], "events": sorted(m or "" for m in members.get(s["id"], [])),
        })
    key = lambda e: json.dumps(e, sort_keys=True)  # noqa: E731
    return {"events": sorted(events.values(), key=key), "stories": sorted(stories, key=key)}


if __name__ == "__main__":  # python -m tests.knowledge DB > FILE
    json.dump(snapshot(sys.argv[1]), sys.stdout, indent=1, sort_keys=True)
    sys.stdout.write("\n")
