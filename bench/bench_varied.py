"""Ingest a large corpus of varied real-world page shapes (bench/varied_corpus.py) with the real `kb`.

    .venv/bin/python bench/bench_varied.py [--pages 2000] [--workers 2] [--no-analyze] [--db PATH]

Serves the corpus on a loopback port, runs `kb ingest` on it in a subprocess into a fresh
database and prints the run's status and exit code, pages per second (entries planned by the
feeds over the run's wall time), the rows by status, the failed pages by status and shape, and
where the publication dates came from. tests/system/test_varied_pages.py runs the same corpus at 300
pages; this is for manual runs at a size a cron run meets.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.varied_corpus import build_corpus  # noqa: E402
from tests.loopback import LoopbackServer  # noqa: E402


def kb_command() -> list[str]:
    script = Path(sys.executable).with_name("kb")
    return [str(script)] if script.exists() else [sys.executable, "-c", "from kb.cli.main import cli; cli()"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pages", type=int, default=2000)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--no-analyze", action="store_true", help="store only (no NLP, ledger or stories)")
    parser.add_argument("--db", type=Path, default=None, help="database to write (default: a temporary file)")
    parser.add_argument("--composition", action="store_true", help="also print the corpus's shapes, charsets, dates")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="kb-bench-varied-") as tmp, LoopbackServer() as server:
        started = time.perf_counter()
        corpus = build_corpus(args.pages, server.base_url, seed=args.seed)
        corpus.install(server.routes)
        sources = corpus.write_sources(Path(tmp) / "sources.toml")
        print(f"corpus: {len(corpus.pages)} resources, {len(corpus.feeds)} feeds, {len(corpus.planned())} planned "
              f"entries, built in {time.perf_counter() - started:.1f}s")
        if args.composition:
            for name, counts in corpus.counts().items():
                print(f"  {name}: {dict(counts.most_common())}")
        db_path = args.db or Path(tmp) / "kb.db"
        for stale in (db_path, Path(f"{db_path}-wal"), Path(f"{db_path}-shm")):
            stale.unlink(missing_ok=True)
        command = [*kb_command(), "--db", str(db_path), "ingest", "--workers", str(args.workers),
                   "--sources", str(sources), *(["--no-analyze"] if args.no_analyze else [])]
        started = time.perf_counter()
        result = subprocess.run(command, capture_output=True, text=True, env={**os.environ, "KB_DEBUG": ""})
        seconds = time.perf_counter() - started
        report(corpus, db_path, result, seconds, args)
    return 0 if result.returncode in (0, 1) and "Traceback" not in result.stderr else 1


def report(corpus, db_path: Path, result: subprocess.CompletedProcess, seconds: float, args) -> None:
    lines = result.stderr.strip().splitlines()
    print(f"kb ingest --workers {args.workers}{' --no-analyze' if args.no_analyze else ''}: exit {result.returncode}, "
          f"{seconds:.1f}s, {len(corpus.planned()) / seconds:.1f} pages/s")
    print(f"  {lines[-1] if lines else '(no output)'}")
    for problem in ("Traceback", "unexpected"):
        if problem in result.stderr:
            print(f"  !! stderr mentions {problem!r}:")
            print("\n".join("     " + line for line in lines[-15:]))
    if not db_path.exists():
        return
    conn = sqlite3.connect(db_path)
    try:
        runs = conn.execute("select status from ingest_runs").fetchall()
        print(f"  run status: {', '.join(s for (s,) in runs)}")
        print(f"  rows by status: {dict(conn.execute('select status, count(*) from articles group by 1'))}")
        shapes = {path: page.shape for path, page in corpus.pages.items()}
        failed: Counter = Counter()
        for url, status in conn.execute("select url, status from articles where status != 'ok'"):
            failed[(status, shapes.get(urlsplit(url).path, "feed entry"))] += 1
        print("  failed pages by status (and shape):")
        for (status, shape), count in sorted(failed.items()):
            print(f"    {status:16} {shape:20} {count}")
        print(f"  published from: {dict(conn.execute('select published_source, count(*) from articles group by 1'))}")
        if not args.no_analyze:
            analysis = dict(conn.execute("select coalesce(analysis_status, 'none'), count(*) from articles "
                                         "where status = 'ok' and duplicate_of is null group by 1"))
            events = conn.execute("select count(*) from events").fetchone()[0]
            print(f"  analysis of stored originals: {analysis}; events: {events}")
    finally:
        conn.close()


if __name__ == "__main__":
    sys.exit(main())
