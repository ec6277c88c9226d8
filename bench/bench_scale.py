"""Scale benchmarks on one machine: workers, linear cost, peak memory, incremental stories.

    .venv/bin/python bench/bench_scale.py workers [--articles 2000 --repeat 3 --event-share 0.15]
    .venv/bin/python bench/bench_scale.py linear [--small 10000 --large 100000] [--analyze]
    .venv/bin/python bench/bench_scale.py incremental [--small 1000 --large 100000 --add 100]
    .venv/bin/python bench/bench_scale.py grown [--small 1000 --large 100000 --add 100 --keep DIR]

`linear --analyze --keep DIR` keeps the bases it grew, and `grown --keep DIR` reuses them:
`grown` adds articles to bases made by `kb ingest` itself, `incremental` to generated ones.

Every figure comes from the real `kb ingest` in a subprocess on corpora made by
bench/synth.py (and, for `incremental`, base databases made by bench/generate_db.py).
Peak memory is the child's maximum resident set size.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.synth import EVENT_SHARE, generate  # noqa: E402

KB = [sys.executable, "-c", "from kb.cli.main import cli; cli()"]


def kb_ingest(db: Path, sources: Path, *args: str) -> tuple[float, float]:
    """Run `kb ingest`; return (seconds, peak RSS of the child in MB)."""
    start = time.perf_counter()
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    proc = subprocess.run([*KB, "-v", "--db", str(db), "ingest", "--sources", str(sources), *args],
                          capture_output=True, text=True, cwd=ROOT)
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    if proc.returncode not in (0, 1) or "Error:" in proc.stderr:
        raise SystemExit(f"kb ingest failed ({proc.returncode}): {proc.stderr[-2000:]}")
    summary = [line for line in proc.stderr.splitlines() if line.startswith("run ")]
    print(f"    {summary[-1] if summary else proc.stderr[-300:]}")
    for line in proc.stderr.splitlines():  # stage times and CPU split, from `kb -v`
        if "CPU:" in line:
            print(f"      {line.split(': ', 1)[1]}")
    return seconds, max(peak, before) / 1024


def bench_workers(args) -> None:
    with tempfile.TemporaryDirectory(prefix="kb-scale-") as tmp:
        sources = generate(args.articles, Path(tmp) / "corpus", event_share=args.event_share)
        times: dict[int, list[float]] = {1: [], 2: []}
        ratios = []
        for i in range(args.repeat):  # interleaved, so a load change hits both alike
            for workers in (1, 2):
                print(f"  run {i + 1}, workers={workers}")
                seconds, _ = kb_ingest(Path(tmp) / f"w{workers}-{i}.db", sources, "--workers", str(workers))
                times[workers].append(seconds)
            ratios.append(times[1][-1] / times[2][-1])
        for workers in (1, 2):
            median = statistics.median(times[workers])
            print(f"workers={workers}: {median:.1f} s, {args.articles / median:.1f} articles/s (median of {args.repeat})")
        print(f"speed-up with 2 workers: {statistics.median(ratios):.2f}x median of the runs' ratios "
              f"({', '.join(f'{r:.2f}' for r in ratios)}) (target >= 1.6x)")


def bench_linear(args) -> None:
    extra = [] if args.analyze else ["--no-analyze"]
    per_article = {}
    with tempfile.TemporaryDirectory(prefix="kb-scale-") as tmp:
        for n in (args.small, args.large):
            corpus = Path(tmp) / f"c{n}"
            t0 = time.perf_counter()
            sources = generate(n, corpus)
            print(f"  generated {n} articles in {time.perf_counter() - t0:.0f} s")
            db = Path(tmp) / f"l{n}.db"
            seconds, peak = kb_ingest(db, sources, "--workers", str(args.workers), *extra)
            per_article[n] = seconds / n
            print(f"{n:>7} articles: {seconds:8.1f} s  {1000 * per_article[n]:6.2f} ms/article  peak RSS {peak:6.0f} MB")
            subprocess.run(["rm", "-rf", str(corpus)], check=False)
            if args.keep and args.analyze:  # a base grown by kb itself, for `grown`
                args.keep.mkdir(parents=True, exist_ok=True)
                shutil.move(db, args.keep / f"base{n}.db")
    print(f"per-article time ratio {args.large}/{args.small}: {per_article[args.large] / per_article[args.small]:.2f} (target <= 1.2)")


def bench_incremental(args) -> None:
    from bench.generate_db import generate as generate_db

    with tempfile.TemporaryDirectory(prefix="kb-scale-") as tmp:
        sources = generate(args.add, Path(tmp) / "new", seed=99, start=__import__("datetime").date(2026, 5, 1))
        timings = {}
        for n in (args.small, args.large):
            db = Path(tmp) / f"base{n}.db"
            t0 = time.perf_counter()
            generate_db(db, events=n * 10, articles=n, stories=max(12, n // 100))
            print(f"  base of {n} articles / {n * 10} events generated in {time.perf_counter() - t0:.0f} s")
            os.sync()  # or the run's first fsync would pay for writing the new base to disk
            seconds, _ = kb_ingest(db, sources)
            timings[n] = seconds
            print(f"adding {args.add} articles to a {n}-article base: {seconds:.1f} s")
        print(f"cost ratio {args.large} vs {args.small} base: {timings[args.large] / timings[args.small]:.2f} (about 1 = incremental)")


def bench_grown(args) -> None:
    """Adding articles to bases that `kb ingest` itself grew from synthetic corpora (the
    linear benchmark's, kept with --keep, or built here), each with news continuing the day
    after its last article: the realistic version of `incremental`."""
    import datetime as dt

    timings = {}
    args.keep.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="kb-scale-") as tmp:
        for n in (args.small, args.large):
            kept = args.keep / f"base{n}.db"
            if not kept.exists():
                t0 = time.perf_counter()
                kb_ingest(kept, generate(n, Path(tmp) / f"c{n}"))
                subprocess.run(["rm", "-rf", str(Path(tmp) / f"c{n}")], check=False)
                print(f"  base of {n} articles grown by kb ingest in {time.perf_counter() - t0:.0f} s")
            conn = sqlite3.connect(kept)
            last = conn.execute("SELECT max(substr(published_at, 1, 10)) FROM articles").fetchone()[0]
            counts = conn.execute("SELECT (SELECT count(*) FROM events), (SELECT count(*) FROM stories)").fetchone()
            conn.close()
            start = dt.date.fromisoformat(last) + dt.timedelta(days=1)
            sources = generate(args.add, Path(tmp) / f"new{n}", seed=99, start=start)
            trials = []
            for trial in range(args.repeat):
                db = Path(tmp) / f"base{n}-{trial}.db"
                shutil.copy(kept, db)
                os.sync()  # or the run's first fsync would pay for writing the copy to disk
                seconds, _ = kb_ingest(db, sources)
                trials.append(seconds)
                db.unlink()
            timings[n] = statistics.median(trials)
            print(f"adding {args.add} articles (from {start}) to a {n}-article base ({counts[0]} events, "
                  f"{counts[1]} stories): {timings[n]:.2f} s (median of {args.repeat})")
    print(f"cost ratio {args.large} vs {args.small} base: {timings[args.large] / timings[args.small]:.2f} "
          "(about 1 = incremental)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="what", required=True)
    w = sub.add_parser("workers")
    w.add_argument("--articles", type=int, default=2000)
    w.add_argument("--repeat", type=int, default=3)
    w.add_argument("--event-share", type=float, default=EVENT_SHARE,
                   help="share of event-bearing sentences (bench/synth.py; 1.0 = the dense corpus)")
    li = sub.add_parser("linear")
    li.add_argument("--small", type=int, default=10_000)
    li.add_argument("--large", type=int, default=100_000)
    li.add_argument("--workers", type=int, default=1)
    li.add_argument("--analyze", action="store_true", help="include NLP, ledger and stories")
    li.add_argument("--keep", type=Path, help="keep the analysed databases here (as base{N}.db) for `grown`")
    inc = sub.add_parser("incremental")
    inc.add_argument("--small", type=int, default=1_000)
    inc.add_argument("--large", type=int, default=100_000)
    inc.add_argument("--add", type=int, default=100)
    gr = sub.add_parser("grown")
    gr.add_argument("--small", type=int, default=1_000)
    gr.add_argument("--large", type=int, default=100_000)
    gr.add_argument("--add", type=int, default=100)
    gr.add_argument("--repeat", type=int, default=3)
    gr.add_argument("--keep", type=Path, default=ROOT / "bench" / "out" / "grown",
                    help="where bases grown by kb ingest are kept and reused (base{N}.db)")
    args = parser.parse_args(argv)
    print(f"cpus: {os.cpu_count()}  python: {sys.version.split()[0]}")
    {"workers": bench_workers, "linear": bench_linear, "incremental": bench_incremental,
     "grown": bench_grown}[args.what](args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
