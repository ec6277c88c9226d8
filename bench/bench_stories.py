"""Benchmark the claim ledger and story assignment (kb.jobs.integrate.integrate_articles) on its own.

    .venv/bin/python bench/bench_stories.py [--small 1000 --large 20000 --add 100 --repeat 5]
                                            [--story-skew 1.0] [--events-per-article 10] [--stories N]
                                            [--keep DIR]

1. A corpus of `--add` new articles (bench/synth.py, dated after the bases) goes through a
   real `kb ingest` into a scratch database, for its articles and event mentions.
2. Base knowledge bases of `--small` and `--large` articles (10 events each) come from
   bench/generate_db.py, which also fills the ledger's lookup tables (event keys, story
   entities) as the ledger would have. `--story-skew 0.5` gives story sizes
   as the ledger makes them (bench/generate_db.py: REALISTIC_STORY_SKEW); the default 1.0
   has far larger top stories. The ledger makes about 3 events per synthetic article
   (`--events-per-article 3`); the default 10 is the issue's 1,000,000 events per 100,000.
   Bases have `--stories` stories (default: one per 100 articles, at least 12); the ledger
   made 96 of 3,000 synthetic articles, most in the corpus's first month.
3. For each base, the new articles and their event mentions are copied in (entity ids
   mapped by name), then `integrate_articles` runs over them `--repeat` times, each time
   on a fresh copy. Figures are medians.

The same-run baselines: the ratio of the large to the small base (about 1 means adding
articles costs the same whatever the size of the base), and the NLP time of the same
articles (kb.nlp.pipeline.analyze_many) measured in this run.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.generate_db import STORY_SKEW  # noqa: E402
from bench.generate_db import generate as generate_db  # noqa: E402
from bench.synth import generate as generate_corpus  # noqa: E402
from kb.jobs.integrate import integrate_articles  # noqa: E402
from kb.store.db import open_db  # noqa: E402

KB = [sys.executable, "-c", "from kb.cli.main import cli; cli()"]
ARTICLE_COLUMNS = ("url", "canonical_url", "title", "published_at", "fetched_at", "text", "status", "lang",
                   "duplicate_of")
MENTION_COLUMNS = ("type", "date", "date_mod", "date_text", "date_source", "sentence", "sentence_index", "start",
                   "end", "hedged", "negated", "denial", "attributed_to", "confidence", "entities")


def scratch_corpus(tmp: Path, count: int) -> tuple[Path, float]:
    """Ingest a synthetic corpus into a scratch database; return it and the NLP seconds."""
    sources = generate_corpus(count, tmp / "corpus", seed=99, start=dt.date(2026, 5, 1))
    scratch = tmp / "scratch.db"
    proc = subprocess.run([*KB, "--db", str(scratch), "ingest", "--sources", str(sources)],
                          capture_output=True, text=True, cwd=ROOT)
    if proc.returncode not in (0, 1) or "Error:" in proc.stderr:
        raise SystemExit(f"kb ingest failed ({proc.returncode}): {proc.stderr[-2000:]}")
    return scratch, nlp_seconds(scratch)


def nlp_seconds(scratch: Path) -> float:
    """Time the NLP pipeline alone over the scratch corpus's articles."""
    from kb.nlp.pipeline import analyze_many

    db = open_db(scratch)
    items = [{"id": r[0], "text": r[1], "published": r[2]} for r in db.execute(
        "SELECT id, text, coalesce(published_at, fetched_at) FROM articles WHERE status = 'ok' ORDER BY id")]
    db.conn.close()
    list(analyze_many(items[:2]))  # load the pipeline first
    start = time.perf_counter()
    list(analyze_many(items))
    return time.perf_counter() - start


def copy_new_articles(scratch: Path, base: Path) -> list[int]:
    """Copy the scratch corpus's articles and event mentions into `base`, unintegrated."""
    src, db = open_db(scratch), open_db(base)
    entity_ids: dict[int, int] = {}
    for old_id, name, kind, status in src.execute("SELECT id, name, type, status FROM entities"):
        row = db.execute("SELECT id FROM entities WHERE name = ? AND type = ?", [name, kind]).fetchone()
        entity_ids[old_id] = row[0] if row else db["entities"].insert(
            {"name": name, "type": kind, "status": status}).last_pk
    source_ids: dict[int, int] = {}
    for old_id, name, url, reliability, first_party in src.execute(
            "SELECT id, name, url, reliability, first_party FROM sources"):
        row = db.execute("SELECT id FROM sources WHERE name = ?", [name]).fetchone()
        source_ids[old_id] = row[0] if row else db["sources"].insert(
            {"name": name, "url": url, "reliability": reliability, "first_party": first_party}).last_pk
    article_ids: dict[int, int] = {}
    columns = ", ".join(f'"{c}"' for c in ARTICLE_COLUMNS)
    for old_id, source_id, *values in src.execute(f"SELECT id, source_id, {columns} FROM articles ORDER BY id"):
        row = dict(zip(ARTICLE_COLUMNS, values, strict=True), source_id=source_ids.get(source_id))
        row["duplicate_of"] = article_ids.get(row["duplicate_of"])
        article_ids[old_id] = db["articles"].insert(row).last_pk
    columns = ", ".join(f'"{c}"' for c in MENTION_COLUMNS)
    rows = []
    for article_id, *values in src.execute(f"SELECT article_id, {columns} FROM event_mentions ORDER BY id"):
        row = dict(zip(MENTION_COLUMNS, values, strict=True), article_id=article_ids[article_id])
        entities = json.loads(row["entities"])
        for entity in entities:
            if isinstance(entity.get("entity_id"), int):
                entity["entity_id"] = entity_ids.get(entity["entity_id"])
        row["entities"] = json.dumps(entities)
        rows.append(row)
    db["event_mentions"].insert_all(rows)
    db.conn.commit()
    src.conn.close()
    db.conn.close()
    return sorted(article_ids.values())


def time_integrate(prepared: Path, article_ids: list[int], work: Path, repeat: int) -> list[float]:
    """Seconds of integrate_articles over the new articles, each run on a fresh copy."""
    times = []
    for _ in range(repeat):
        for suffix in ("", "-wal", "-shm"):
            Path(f"{work}{suffix}").unlink(missing_ok=True)
        shutil.copy(prepared, work)
        db = open_db(work)
        start = time.perf_counter()
        integrate_articles(db, article_ids)
        times.append(time.perf_counter() - start)
        db.conn.close()
    return times


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--small", type=int, default=1_000)
    parser.add_argument("--large", type=int, default=20_000)
    parser.add_argument("--add", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--story-skew", type=float, default=STORY_SKEW, help="Zipf exponent of base story sizes")
    parser.add_argument("--events-per-article", type=int, default=10, help="events in the bases per article")
    parser.add_argument("--stories", type=int, help="stories in each base (default: articles / 100, at least 12)")
    parser.add_argument("--keep", type=Path, help="keep the generated bases in this directory (reused when present)")
    args = parser.parse_args(argv)
    print(f"cpus: {os.cpu_count()}  python: {sys.version.split()[0]}")
    with tempfile.TemporaryDirectory(prefix="kb-stories-") as tmp_name:
        tmp = Path(tmp_name)
        scratch, nlp = scratch_corpus(tmp, args.add)
        print(f"NLP of the {args.add} new articles: {nlp:.2f} s ({1000 * nlp / args.add:.1f} ms/article)")
        medians = {}
        for n in (args.small, args.large):
            suffix = "" if args.story_skew == STORY_SKEW else f"-skew{args.story_skew:g}"
            suffix += "" if args.events_per_article == 10 else f"-epa{args.events_per_article}"
            suffix += f"-s{args.stories}" if args.stories else ""
            events_n = n * args.events_per_article
            stories_n = args.stories or max(12, n // 100)
            base = (args.keep or tmp) / f"base{n}{suffix}.db"
            if not base.exists():
                base.parent.mkdir(parents=True, exist_ok=True)
                start = time.perf_counter()
                generate_db(base, events=events_n, articles=n, stories=stories_n, story_skew=args.story_skew)
                print(f"  base of {n} articles / {events_n} events generated in {time.perf_counter() - start:.0f} s")
            prepared = tmp / f"prepared{n}.db"
            shutil.copy(base, prepared)
            article_ids = copy_new_articles(scratch, prepared)
            times = time_integrate(prepared, article_ids, tmp / "work.db", args.repeat)
            medians[n] = statistics.median(times)
            db = open_db(tmp / "work.db")
            events = db.execute("SELECT count(*) FROM event_mentions WHERE article_id >= ?",
                                [article_ids[0]]).fetchone()[0]
            joined = db.execute(
                "SELECT count(DISTINCT se.story_id) FROM story_events se JOIN event_mentions em "
                "ON em.event_id = se.event_id WHERE em.article_id >= ? AND se.story_id <= ?",
                [article_ids[0], stories_n]).fetchone()[0]
            db.conn.close()
            print(f"integrate {len(article_ids)} articles ({events} event mentions) into a {n}-article base: "
                  f"median {medians[n]:.2f} s of {args.repeat} ({1000 * medians[n] / len(article_ids):.1f} ms/article; "
                  f"runs {', '.join(f'{t:.2f}' for t in times)}); base stories joined: {joined}")
        ratio = medians[args.large] / medians[args.small]
        print(f"cost ratio {args.large} vs {args.small} base: {ratio:.2f} (about 1 = incremental)")
        print(f"integrate / NLP time, {args.small} base: {medians[args.small] / nlp:.2f}; "
              f"{args.large} base: {medians[args.large] / nlp:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
