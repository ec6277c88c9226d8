"""Benchmark the Datasette pages on a generated knowledge base: p50/p95 per endpoint on one core.

Usage: .venv/bin/python bench/bench_datasette.py [--db bench/out/bench1m.db] [--requests 100]
       [--only 'story card']

Builds the database with bench/generate_db.py first when it does not exist (1,000,000 events,
100,000 articles). Requests go through Datasette's own ASGI client in this process, pinned to
one core; /-/versions.json is measured in the same run as the baseline. A generated base has
recorded no runs, so before measuring /-/changes and /-/watch the script seeds it once with 30
daily runs of story changes and 2,000 date conflicts (seed_changes).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import random
import sqlite3
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.generate_db import generate  # noqa: E402
from kb.store.db import open_db  # noqa: E402

TARGET_P95_MS = 200
# What /-/changes reads when a generated base has recorded no runs: SEED_RUNS daily runs (the last
# one an hour ago), each touching SEED_STORIES stories with new facts, status and score moves, as
# kb/stories/card_changes.py records them; and SEED_CONFLICTS date conflicts for /-/watch.
SEED_RUNS = 30
SEED_STORIES = 200
SEED_CONFLICTS = 2000


def seed_changes(db_path: Path) -> int:
    """Fill story_changes (and date-conflict history) of a generated base that has none; rows written."""
    conn = sqlite3.connect(db_path)
    if conn.execute("SELECT count(*) FROM story_changes").fetchone()[0]:
        conn.close()
        return 0
    rng = random.Random(11)
    stories = [r[0] for r in conn.execute("SELECT id FROM stories WHERE status != 'merged'")]
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    rows, runs = [], []
    for run in range(SEED_RUNS):
        at = (now - dt.timedelta(days=SEED_RUNS - 1 - run, hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
        runs.append((at, at))
        for story in rng.sample(stories, min(SEED_STORIES, len(stories))):
            events = [r[0] for r in conn.execute(
                "SELECT event_id FROM story_events WHERE story_id = ? ORDER BY event_id DESC LIMIT 30", (story,))]
            for event in events[:rng.randint(1, 20)]:
                rows.append((story, run + 1, at, "new_fact", event, None, None, None))
            for event in events[:rng.randint(0, 3)]:
                rows.append((story, run + 1, at, "status", event, "reported", "confirmed", None))
            old = rng.random()
            rows.append((story, run + 1, at, "score", None, f"{old:.4f}", f"{min(1, old + 0.06):.4f}",
                         '{"score": "importance"}'))
    conn.executemany("INSERT INTO ingest_runs (started_at, finished_at, status) VALUES (?, ?, 'ok')", runs)
    first_run = conn.execute("SELECT max(id) FROM ingest_runs").fetchone()[0] - SEED_RUNS
    conn.executemany("INSERT INTO story_changes (story_id, run_id, at, kind, event_id, old, new, detail) "
                     "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                     [(r[0], r[1] + first_run, *r[2:]) for r in rows])
    events = [r[0] for r in conn.execute(f"SELECT id FROM events ORDER BY random() LIMIT {SEED_CONFLICTS}")]
    conn.executemany("INSERT INTO event_history (event_id, at, old_status, new_status, reason, article_id) "
                     "VALUES (?, ?, 'reported', 'reported', ?, NULL)",
                     [(e, runs[-1][0], "date conflict: Bench Wire dates it 2024-03; the event keeps 2024-04")
                      for e in events])
    conn.commit()
    conn.close()
    return len(rows) + len(events)


def pick_ids(db_path: Path) -> dict[str, int]:
    """The largest, a median and a small story; the busiest and a rare entity."""
    conn = sqlite3.connect(db_path)
    sizes = conn.execute(
        "SELECT story_id, count(*) FROM story_events GROUP BY story_id ORDER BY 2 DESC").fetchall()
    entities = conn.execute(
        "SELECT entity_id, count(*) FROM event_entities GROUP BY entity_id ORDER BY 2 DESC").fetchall()
    conn.close()
    month_ago = (dt.datetime.now(dt.UTC) - dt.timedelta(days=30)).strftime("%Y-%m-%d")
    return {"month_ago": month_ago, "big_story": sizes[0][0], "big_story_n": sizes[0][1],
            "median_story": sizes[len(sizes) // 2][0], "median_story_n": sizes[len(sizes) // 2][1],
            "small_story": sizes[-1][0], "small_story_n": sizes[-1][1],
            "hub_entity": entities[0][0], "rare_entity": entities[-1][0]}


def endpoints(ids: dict[str, int]) -> list[tuple[str, str]]:
    """(label, path) of every measured request."""
    return [
        ("baseline /-/versions.json", "/-/versions.json"),
        ("timeline, no filter", "/-/timeline"),
        ("timeline.json, no filter", "/-/timeline.json"),
        ("timeline, type=release", "/-/timeline?type=release"),
        ("timeline, from/to one quarter", "/-/timeline?from=2024-04&to=2024-06"),
        ("timeline, min_importance=90", "/-/timeline?min_importance=90"),
        (f"timeline, biggest story ({ids['big_story_n']} events)", f"/-/timeline?story={ids['big_story']}"),
        (f"timeline, small story ({ids['small_story_n']} events)", f"/-/timeline?story={ids['small_story']}"),
        ("timeline, busiest entity", f"/-/timeline?entity={ids['hub_entity']}"),
        ("timeline, rarest entity + type", f"/-/timeline?entity={ids['rare_entity']}&type=legal"),
        ("timeline, q=released", "/-/timeline?q=released"),
        ("timeline, q=lawsuit (rare)", "/-/timeline?q=restructuring+Oracle"),
        ("timeline, all filters", f"/-/timeline?story={ids['big_story']}&type=release&from=2023&to=2025&min_importance=50&q=model"),
        (f"story card page, biggest ({ids['big_story_n']} events)", f"/-/story/{ids['big_story']}"),
        (f"story card page, biggest, counts not cached ({ids['big_story_n']} events)",
         f"/-/story/{ids['big_story']}?uncached"),
        (f"story card page, median ({ids['median_story_n']} events)", f"/-/story/{ids['median_story']}"),
        (f"story card page, small ({ids['small_story_n']} events)", f"/-/story/{ids['small_story']}"),
        ("story card .json, biggest", f"/-/story/{ids['big_story']}.json"),
        ("story card .json, median", f"/-/story/{ids['median_story']}.json"),
        ("search q=released (events + articles)", "/-/search?q=released"),
        ("search q=enterprise customers", "/-/search?q=enterprise+customers"),
        ("entity page, busiest", f"/-/entity/{ids['hub_entity']}"),
        ("home /", "/"),
        ("changes, default window (last run)", "/-/changes"),
        ("changes, since 30 days", f"/-/changes?since={ids['month_ago']}"),
        ("changes.json, since 30 days", f"/-/changes.json?since={ids['month_ago']}"),
        ("changes.atom, since 30 days", f"/-/changes.atom?since={ids['month_ago']}"),
        ("watch", "/-/watch"),
        ("watch.json", "/-/watch.json"),
    ]


async def measure(db_path: Path, requests: int, only: str | None = None) -> list[tuple[str, float, float, int]]:
    """Median and p95 milliseconds of each endpoint over `requests` requests."""

    from datasette_plugins import story_queries
    from kb.cli.serving import build_datasette

    ds = build_datasette(db_path)
    await ds.invoke_startup()
    results = []
    for label, path in endpoints(pick_ids(db_path)):
        if only and only not in label and not label.startswith("baseline"):
            continue
        response = await ds.client.get(path)  # warm caches and check it works
        if response.status_code != 200:
            raise SystemExit(f"{path} answered {response.status_code}: {response.text[:300]}")
        times = []
        for _ in range(requests):
            if path.endswith("?uncached"):
                story_queries._stats_cache.clear()
            started = time.perf_counter()
            response = await ds.client.get(path)
            times.append((time.perf_counter() - started) * 1000)
        times.sort()
        p95 = times[max(0, int(round(0.95 * len(times))) - 1)]
        results.append((label, statistics.median(times), p95, len(response.content)))
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default=str(ROOT / "bench" / "out" / "bench1m.db"))
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--only", help="measure only the endpoints whose label holds this (e.g. 'story card')")
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    db_path = Path(args.db)
    if not db_path.exists():
        db_path.parent.mkdir(parents=True, exist_ok=True)
        print(f"generating {db_path} ({args.events} events, {args.articles} articles)...", flush=True)
        generate(db_path, events=args.events, articles=args.articles, stories=2000)
    started = time.perf_counter()
    open_db(db_path).conn.close()  # a base generated by older code gets the current schema first
    print(f"schema current ({time.perf_counter() - started:.1f} s)")
    seeded = seed_changes(db_path)
    if seeded:
        print(f"seeded {seeded} story changes and date conflicts ({SEED_RUNS} runs)")
    conn = sqlite3.connect(db_path)
    events, articles = (conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in ("events", "articles"))
    conn.close()
    print(f"database {db_path}: {events} events, {articles} articles; {args.requests} requests each, one core")
    results = asyncio.run(measure(db_path, args.requests, args.only))
    baseline = results[0][1]
    print(f"{'endpoint':58} {'p50 ms':>8} {'p95 ms':>8} {'x base':>7} {'KB':>6}")
    failed = []
    for label, p50, p95, size in results:
        print(f"{label:58} {p50:8.1f} {p95:8.1f} {p50 / baseline:7.1f} {size / 1024:6.0f}")
        if p95 > TARGET_P95_MS and not label.startswith(("entity", "home")) and "not cached" not in label:
            failed.append(label)
    print(f"target: p95 under {TARGET_P95_MS} ms for timeline, story and search pages: "
          + ("all met" if not failed else "MISSED by " + "; ".join(failed)))


if __name__ == "__main__":
    main()
