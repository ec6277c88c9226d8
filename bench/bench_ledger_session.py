"""Benchmark merging in small chunks with and without a LedgerSession (state kept between merges).

    .venv/bin/python bench/bench_ledger_session.py [--articles 1000 | --snapshot FILE]
        [--chunks 32,128,512,0] [--repeat 3] [--against REV] [--max-events N] [--max-reports N]

A snapshot of analysed but unmerged articles (bench/bench_ledger.py's make_snapshot, or
--snapshot) is merged with kb.jobs.integrate.integrate_articles in chunks of each size (0: all at
once), once with fresh state per merge ("fresh") and once with one LedgerSession for the
whole run ("session"); with --against REV also with the code of git revision REV. Each
trial runs in a child process and reports CPU seconds (time.process_time) for all merges,
the part of it spent in story placement, its peak RSS and digests of the ledger tables and story_events. Figures are medians of
--repeat interleaved trials; the digests say whether every variant built the same ledger.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run_trial(tree: Path, snapshot: Path, work: Path, chunk: int, mode: str, max_events: int,
              max_reports: int) -> dict:
    """Merge the snapshot's mentions in chunks with the code of `tree` (in this process)."""
    sys.path.insert(0, str(tree))
    import kb.jobs.integrate
    import kb.ledger.session
    from kb.store.db import open_db

    sys.path.insert(0, str(ROOT))
    from bench.bench_ledger import ledger_digests

    shutil.copyfile(snapshot, work)
    db = open_db(work)
    ids = [r[0] for r in db.execute("SELECT DISTINCT article_id FROM event_mentions ORDER BY article_id")]
    size = chunk or len(ids)
    placing = [0.0]  # CPU seconds in story placement, which the session does not change
    place_events = kb.jobs.integrate.place_events

    def timed_place_events(*args, **kwargs):
        started = time.process_time()
        try:
            return place_events(*args, **kwargs)
        finally:
            placing[0] += time.process_time() - started

    kb.jobs.integrate.place_events = timed_place_events
    session = kb.ledger.session.LedgerSession(max_events, max_reports) if mode == "session" else None
    started = time.process_time()
    for start in range(0, len(ids), size):
        if session is None:
            kb.jobs.integrate.integrate_articles(db, ids[start:start + size])
        else:
            kb.jobs.integrate.integrate_articles(db, ids[start:start + size], session=session)
    seconds = time.process_time() - started
    digest, stories = ledger_digests(db)
    events = db.execute("SELECT count(*) FROM events").fetchone()[0]
    db.conn.close()
    return {"seconds": seconds, "stories_seconds": placing[0], "digest": digest.hexdigest()[:16], "stories": stories.hexdigest()[:16],
            "events": events, "articles": len(ids), "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def trial_in_child(tree: Path, snapshot: Path, work: Path, chunk: int, mode: str, max_events: int,
                   max_reports: int) -> dict:
    proc = subprocess.run([sys.executable, __file__, "--trial", str(tree), str(snapshot), str(work), str(chunk),
                           mode, str(max_events), str(max_reports)], capture_output=True, text=True, cwd=tree)
    if proc.returncode != 0:
        raise SystemExit(f"trial failed in {tree}: {proc.stderr[-2000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=1000)
    parser.add_argument("--snapshot", type=Path, help="an analysed, unmerged snapshot (bench_ledger.py --keep-snapshot)")
    parser.add_argument("--chunks", default="32,128,512,0", help="merge sizes, comma-separated (0: all at once)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--against", help="a git revision to time as well (fresh state only)")
    parser.add_argument("--max-events", type=int, default=10_000, help="LedgerSession's max_events")
    parser.add_argument("--max-reports", type=int, default=50_000, help="LedgerSession's max_reports")
    parser.add_argument("--trial", nargs=7, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.trial:
        tree, snapshot, work, chunk, mode, max_events, max_reports = args.trial
        print(json.dumps(run_trial(Path(tree), Path(snapshot), Path(work), int(chunk), mode, int(max_events),
                                   int(max_reports))))
        return
    sys.path.insert(0, str(ROOT))
    from bench.bench_ledger import export_revision, make_snapshot

    with tempfile.TemporaryDirectory(prefix="kb-session-") as name:
        tmp = Path(name)
        snapshot = args.snapshot or make_snapshot(args.articles, tmp)
        variants = {"fresh": (ROOT, "fresh"), "session": (ROOT, "session")}
        if args.against:
            variants[args.against] = (export_revision(args.against, tmp / "against"), "fresh")
        chunks = [int(c) for c in args.chunks.split(",")]
        results: dict[tuple[int, str], list[dict]] = {}
        for i in range(args.repeat):
            for chunk in chunks:
                for label, (tree, mode) in variants.items():
                    results.setdefault((chunk, label), []).append(
                        trial_in_child(tree, snapshot, tmp / f"trial-{i}.db", chunk, mode, args.max_events,
                                       args.max_reports))
        first = next(iter(results.values()))[0]
        print(f"{first['articles']} articles; medians of {args.repeat} trials "
              f"(CPU seconds for all merges; peak RSS of the trial process)")
        for chunk in chunks:
            line = [f"chunk {chunk or 'all':>4}:"]
            for label in variants:
                runs = results[(chunk, label)]
                line.append(f"{label} {statistics.median(r['seconds'] for r in runs):.2f} s "
                            f"(ledger {statistics.median(r['seconds'] - r['stories_seconds'] for r in runs):.2f}, "
                            f"{max(r['rss_mb'] for r in runs):.0f} MB)")
            line.append(f"{results[(chunk, 'fresh')][0]['events']} events")
            fresh = statistics.median(r["seconds"] for r in results[(chunk, "fresh")])
            session = statistics.median(r["seconds"] for r in results[(chunk, "session")])
            line.append(f"session/fresh {session / fresh:.2f}")
            fresh = statistics.median(r["seconds"] - r["stories_seconds"] for r in results[(chunk, "fresh")])
            session = statistics.median(r["seconds"] - r["stories_seconds"] for r in results[(chunk, "session")])
            line.append(f"(ledger alone {session / fresh:.2f})")
            # Event ids and, at the margins, groupings depend on the chunk size: variants are
            # compared at the same chunk size.
            digests = {(r["digest"], r["stories"]) for label in variants for r in results[(chunk, label)]}
            line.append("same ledger and stories: " + ("yes" if len(digests) == 1 else f"NO {sorted(digests)}"))
            print("  ".join(line))


if __name__ == "__main__":
    main()
