"""Ingest benchmark: pages/s, overhead over trafilatura-only extraction, cost of a no-op rerun.

    .venv/bin/python bench/bench_ingest.py [--articles 2000] [--repeat 3] [--workers 1]

Prints, from one run of this script on the same synthetic pages (bench/synth.py):
  - trafilatura-only: the same extraction call `kb ingest` makes, over every page file;
  - full ingest (`kb ingest --no-analyze`): feeds, links, fetch (file), extraction,
    canonical URLs, dedupe fingerprints, topic rules and SQLite writes, on a fresh database;
  - the ratio of the two (target <= 1.3) and a second run with nothing new (target < 5%).
Figures are medians of --repeat runs.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import trafilatura  # noqa: E402

from bench.synth import generate  # noqa: E402
from kb.jobs.ingest_run import IngestOptions, run_ingest  # noqa: E402


def extraction_only(pages: list[Path]) -> float:
    start = time.perf_counter()
    for page in pages:
        trafilatura.bare_extraction(page.read_bytes(), url=page.as_uri(), fast=True, include_comments=False,
                                    include_tables=False, with_metadata=True,
                                    date_extraction_params={"original_date": True, "extensive_search": False})
    return time.perf_counter() - start


def full_ingest(sources: Path, db_path: Path, workers: int, force: bool = False) -> tuple[float, str]:
    start = time.perf_counter()
    stats = run_ingest(db_path, sources, IngestOptions(workers=workers, analyze=False, force=force))
    return time.perf_counter() - start, stats.summary()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--page-kb", type=int, default=80,
                        help="page furniture per page in KB (real news pages carry 50-300 KB; 0 = light sample templates)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="kb-bench-ingest-") as tmp:
        tmp_path = Path(tmp)
        sources = generate(args.articles, tmp_path / "corpus", page_kb=args.page_kb)
        pages = sorted((tmp_path / "corpus").rglob("*.html"))
        extraction_only(pages[:50])  # warm imports and caches
        baseline, full, rerun = [], [], []
        for i in range(args.repeat):
            baseline.append(extraction_only(pages))
            db_path = tmp_path / f"run{i}.db"
            seconds, summary = full_ingest(sources, db_path, args.workers)
            full.append(seconds)
            again, summary2 = full_ingest(sources, db_path, args.workers, force=True)
            rerun.append(again)
        base, total, second = (statistics.median(x) for x in (baseline, full, rerun))
        weight = statistics.median(p.stat().st_size for p in pages) / 1024
        print(f"pages: {len(pages)} (median {weight:.0f} KB)  workers: {args.workers}  repeats: {args.repeat} (medians)")
        print(f"trafilatura only : {base:7.2f} s  {len(pages) / base:8.1f} pages/s")
        print(f"full ingest      : {total:7.2f} s  {len(pages) / total:8.1f} pages/s   [{summary}]")
        print(f"ratio full/extraction: {total / base:.2f}  (target <= 1.3)")
        print(f"no-op rerun      : {second:7.2f} s  = {100 * second / total:.1f}% of the first run (target < 5%)")
        print(f"                   [{summary2}]")
    return 0


if __name__ == "__main__":
    sys.exit(main())
