"""Benchmark the claim ledger's own CPU (kb.ledger.merge.Ledger.integrate) apart from story placement.

    .venv/bin/python bench/bench_ledger.py [--articles 1000 --repeat 3] [--against REV]

1. A synthetic corpus (bench/synth.py) is ingested with `kb ingest --no-analyze`, then
   analysed in this process with the claim ledger switched off, so a snapshot holds the
   articles and their event mentions, none merged yet.
2. Each trial copies the snapshot and merges the mentions the way `kb ingest` does (in
   publication order, in runs of kb.jobs.analyse.MERGE_EVERY articles), timing the ledger
   (Ledger.integrate) and story placement (place_events) apart. Figures are medians of `--repeat` trials.
   With enough articles (4 merges or more) the ledger's cost per article in the first and
   last quarter of the merges shows whether it grows with the base.
3. With `--against REV` the same trials also run the code of git revision REV (exported
   with `git archive` to a scratch directory), alternating with the working tree, and the
   ratio of the two ledger medians is printed, with whether both built the same ledger.

Trials run in child processes, so each imports only the tree it measures.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Tables the ledger writes; a digest of their sorted rows says whether two trees agree.
LEDGER_DUMP = {
    "events": "SELECT * FROM events ORDER BY id",
    "event_history": "SELECT event_id, at, old_status, new_status, reason, article_id FROM event_history "
                     "ORDER BY event_id, id",
    "event_entities": "SELECT event_id, entity_id, role FROM event_entities ORDER BY 1, 2, 3",
    "event_links": "SELECT article_id, mention_key, event_id, original_article_id, known_at FROM event_links "
                   "ORDER BY 1, 2",
    "event_keys": "SELECT entity_id, type, bucket, event_id FROM event_keys ORDER BY 4, 1, 2, 3",
    "event_mentions": "SELECT id, event_id FROM event_mentions ORDER BY id",
}
STORY_DUMP = "SELECT story_id, event_id FROM story_events ORDER BY 1, 2"



def ledger_digests(db) -> tuple:
    """SHA-256 digests of what the ledger built (LEDGER_DUMP) and of the story placement."""
    digest = hashlib.sha256()
    for name, sql in LEDGER_DUMP.items():
        digest.update(name.encode())
        for row in db.execute(sql):
            digest.update(repr(tuple(row)).encode())
    return digest, hashlib.sha256(repr(db.execute(STORY_DUMP).fetchall()).encode())

def make_snapshot(articles: int, tmp: Path) -> Path:
    """A database with the corpus's articles analysed but not merged into the ledger."""
    sys.path.insert(0, str(ROOT))
    import kb.jobs.analyse
    from bench.synth import generate
    from kb.store.db import open_db
    from kb.store.entities import sync_gazetteer

    sources = generate(articles, tmp / "corpus")
    snapshot = tmp / "snapshot.db"
    proc = subprocess.run([sys.executable, "-c", "from kb.cli.main import cli; cli()", "--db", str(snapshot),
                           "ingest", "--sources", str(sources), "--no-analyze"],
                          capture_output=True, text=True, cwd=ROOT)
    if proc.returncode not in (0, 1) or "Error:" in proc.stderr:
        raise SystemExit(f"kb ingest failed ({proc.returncode}): {proc.stderr[-2000:]}")
    db = open_db(snapshot)
    sync_gazetteer(db)
    kb.jobs.analyse._integrate = lambda db, article_ids, session=None: False  # analyse only; trials merge
    kb.jobs.analyse.analyze_articles(db, None, workers=1)
    db.conn.close()
    return snapshot


def run_trial(tree: Path, snapshot: Path, work: Path) -> dict:
    """Merge the snapshot's mentions with the code of `tree` (in this process)."""
    sys.path.insert(0, str(tree))
    from kb.jobs.analyse import MERGE_EVERY
    from kb.ledger.merge import Ledger, ledger_linked_events
    from kb.ledger.scoring import ScoringContext
    from kb.ledger.session import cyclic_gc_paused
    from kb.store.db import open_db
    from kb.stories.placement import place_events, stories_by_event

    shutil.copyfile(snapshot, work)
    db = open_db(work)
    # In the order kb ingest merges them (kb.jobs.merge_order.ANALYSIS_ORDER), not by id: ids follow
    # the order fetches finished in, and merging in that order gave other events (1,755 against 1,564
    # in one merge, at 1,000 articles) because later articles were merged before earlier ones.
    ids = [r[0] for r in db.execute(
        "SELECT id FROM articles WHERE id IN (SELECT article_id FROM event_mentions) "
        "ORDER BY datetime(published_at) IS NULL, datetime(published_at), canonical_url, id")]
    ledger_seconds = stories_seconds = 0.0
    batches = []  # (articles, ledger seconds) of each merge
    for start in range(0, len(ids), MERGE_EVERY):
        part = ids[start:start + MERGE_EVERY]
        # The body of kb.jobs.integrate.integrate_articles, with its two stages timed apart.
        t0 = time.process_time()
        ctx = ScoringContext(db)
        with db.conn, cyclic_gc_paused():
            ledger = Ledger(db, ctx)
            before = stories_by_event(db, ledger_linked_events(db, part))
            touched = ledger.integrate(part)
            changed = sorted(ledger.story_changes)
            stale = {before[e] for e in changed if e in before} | set(stories_by_event(db, changed).values())
            t1 = time.process_time()
            place_events(db, ctx, touched, extra_story_ids=set(before.values()), stale_story_ids=stale,
                         story_before=ledger.story_before)
            t2 = time.process_time()
        ledger_seconds += t1 - t0
        stories_seconds += t2 - t1
        batches.append((len(part), t1 - t0))
    digest, stories = ledger_digests(db)
    events = db.execute("SELECT count(*) FROM events").fetchone()[0]
    mentions = db.execute("SELECT count(*) FROM event_mentions").fetchone()[0]
    db.conn.close()
    return {"ledger": ledger_seconds, "stories": stories_seconds, "batches": batches, "articles": len(ids),
            "events": events,
            "mentions": mentions, "digest": digest.hexdigest()[:16], "story_digest": stories.hexdigest()[:16]}


def trial_in_child(tree: Path, snapshot: Path, work: Path) -> dict:
    proc = subprocess.run([sys.executable, __file__, "--trial", str(tree), str(snapshot), str(work)],
                          capture_output=True, text=True, cwd=tree)
    if proc.returncode != 0:
        raise SystemExit(f"trial failed in {tree}: {proc.stderr[-2000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def export_revision(rev: str, dest: Path) -> Path:
    """The files of a git revision, in a scratch directory."""
    dest.mkdir(parents=True)
    archive = subprocess.run(["git", "archive", rev], cwd=ROOT, capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(dest)], input=archive, check=True)
    return dest


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--against", help="a git revision to compare with, in the same run")
    parser.add_argument("--snapshot", type=Path, help="reuse an analysed snapshot made by an earlier run")
    parser.add_argument("--keep-snapshot", type=Path, help="save the analysed snapshot here")
    parser.add_argument("--trial", nargs=3, type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.trial:
        print(json.dumps(run_trial(*args.trial)))
        return
    with tempfile.TemporaryDirectory(prefix="kb-ledger-") as name:
        tmp = Path(name)
        snapshot = args.snapshot or make_snapshot(args.articles, tmp)
        if args.keep_snapshot:
            shutil.copyfile(snapshot, args.keep_snapshot)
        trees = {"working tree": ROOT}
        if args.against:
            trees[args.against] = export_revision(args.against, tmp / "against")
        results: dict[str, list[dict]] = {label: [] for label in trees}
        for i in range(args.repeat):
            for label, tree in trees.items():
                results[label].append(trial_in_child(tree, snapshot, tmp / f"trial-{i}.db"))
        medians = {}
        for label, runs in results.items():
            ledger = statistics.median(r["ledger"] for r in runs)
            stories = statistics.median(r["stories"] for r in runs)
            first = runs[0]
            medians[label] = ledger
            print(f"{label}: ledger {ledger:.2f} s CPU ({1000 * ledger / first['articles']:.2f} ms/article), "
                  f"story placement {stories:.2f} s; {first['articles']} articles, {first['mentions']} mentions, "
                  f"{first['events']} events; ledger digest {first['digest']}, stories {first['story_digest']} "
                  f"(medians of {len(runs)})")
        for label, runs in results.items():
            batches = [min(run["batches"][i][1] for run in runs) / runs[0]["batches"][i][0]
                       for i in range(len(runs[0]["batches"]))]
            if len(batches) >= 4:
                quarter = len(batches) // 4
                early, late = statistics.median(batches[:quarter]), statistics.median(batches[-quarter:])
                print(f"{label}: ledger ms/article as the base grows (fastest of the trials per merge): first quarter "
                      f"of merges {1000 * early:.2f}, last quarter {1000 * late:.2f}, ratio {late / early:.2f}")
        if args.against:
            ours, theirs = results["working tree"][0], results[args.against][0]
            same = {key: "yes" if ours[key] == theirs[key] else "NO" for key in ("digest", "story_digest")}
            print(f"ledger CPU, working tree / {args.against}: {medians['working tree'] / medians[args.against]:.2f}; "
                  f"same ledger: {same['digest']}, same stories: {same['story_digest']}")


if __name__ == "__main__":
    main()
