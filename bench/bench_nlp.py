"""Benchmark the whole NLP pipeline: tokens/second of `analyze_many` (sentences, timexes,
gazetteer, quantities, candidates, events, result dicts) vs the blank spaCy tokenizer alone,
on one core, over the sample corpus texts; median of 5 runs. Target: > 50,000 tokens/s.

Usage: .venv/bin/python bench/bench_nlp.py [--tokens 150000] [--runs 5] [--cpu]
--cpu times with the process's CPU time rather than the wall clock, so that other programs
on a shared machine do not move the figure.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import time
from pathlib import Path

import spacy

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kb.nlp.pipeline import analyze_many, build_nlp  # noqa: E402

SAMPLE_SRC = ROOT / "data" / "sample" / "src"
TARGET = 50_000


def corpus_items() -> list[dict]:
    """Bodies and publication dates of the sample corpus articles (front matter removed)."""
    items = []
    for path in sorted(SAMPLE_SRC.glob("*/*.md")):
        raw = path.read_text(encoding="utf-8")
        front, _, body = raw.partition("+++")[2].partition("+++")
        published = re.search(r'published\s*=\s*"([^"]+)"', front)
        items.append({"text": body.strip(), "published": published.group(1) if published else None})
    if not items:
        sys.exit(f"no sample corpus under {SAMPLE_SRC}")
    return items


def median_rate(run, tokens: int, runs: int, clock=time.perf_counter) -> float:
    times = []
    for _ in range(runs):
        start = clock()
        run()
        times.append(clock() - start)
    return tokens / statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tokens", type=int, default=150_000, help="Tokens per run (about).")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--cpu", action="store_true", help="time with CPU time, not the wall clock")
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})  # one core

    base = corpus_items()
    blank = spacy.blank("en")
    per_pass = sum(len(blank.make_doc(item["text"])) for item in base)
    items = base * max(1, args.tokens // per_pass)
    tokens = per_pass * (len(items) // len(base))
    nlp = build_nlp()
    list(analyze_many(base, nlp=nlp))  # warm up: lexicon, gazetteer and regexes compiled

    clock = time.process_time if args.cpu else time.perf_counter
    tokenizer_rate = median_rate(lambda: [blank.make_doc(i["text"]) for i in items], tokens, args.runs, clock)
    pipeline_rate = median_rate(lambda: list(analyze_many(items, nlp=nlp)), tokens, args.runs, clock)
    component_times = {name: 0.0 for name, _ in nlp.pipeline}
    docs = []
    for item in base:
        doc = nlp.make_doc(item["text"])
        doc._.published = None
        docs.append(doc)
    for name, component in nlp.pipeline:
        start = time.perf_counter()
        for doc in docs:
            component(doc)
        component_times[name] += time.perf_counter() - start

    print(f"corpus: {len(base)} articles, {per_pass:,} tokens per pass; {tokens:,} tokens per run; "
          f"median of {args.runs} runs on one core, {'CPU' if args.cpu else 'wall-clock'} time")
    print(f"blank tokenizer alone : {tokenizer_rate:12,.0f} tokens/s")
    print(f"whole pipeline        : {pipeline_rate:12,.0f} tokens/s  "
          f"(ratio to tokenizer {pipeline_rate / tokenizer_rate:.2f}; target > {TARGET:,}: "
          f"{'met' if pipeline_rate > TARGET else 'NOT met'})")
    total = sum(component_times.values())
    print("share of component time (one pass): " + ", ".join(
        f"{name} {100 * t / total:.0f}%" for name, t in component_times.items()))


if __name__ == "__main__":
    main()
