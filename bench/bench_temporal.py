"""Benchmark the TIMEX3 tagger: quality on the gold files and throughput of tag_timexes.

Run: .venv/bin/python bench/bench_temporal.py [--repeat 20] [--errors dev] [--timeml DIR] [--cpu]
Prints strict/relaxed extent, type, mod and value scores per split (dev = tuning, test = held
out), then the median tokens per second over 5 runs of tag_timexes on the gold texts repeated,
next to a baseline measured in the same run (one regex pass that only splits tokens).
--timeml DIR scores and times a folder of TimeML files instead (TimeBank, AQUAINT, TempEval-3:
news nobody on the team wrote; per subfolder). --cpu times with the process's CPU time rather
than the wall clock, so that other programs on a shared machine do not move the figure.
"""

from __future__ import annotations

import argparse
import re
import statistics
import time

from kb.jobs.temporal_eval import evaluate_timexes, load_gold_dir, load_timeml_corpus, timex_errors
from kb.nlp.temporal.tagger import tag_timexes

TOKEN_RE = re.compile(r"\w+|[^\w\s]")


def throughput(
    texts: list[str], published: list, runs: int = 5, clock=time.perf_counter
) -> tuple[float, float]:
    """Median tokens/s of tag_timexes and of the tokenising baseline over `runs` runs."""
    tokens = sum(len(TOKEN_RE.findall(text)) for text in texts)
    tagger_times, baseline_times = [], []
    for _ in range(runs):
        started = clock()
        for text in texts:
            TOKEN_RE.findall(text)
        baseline_times.append(clock() - started)
        started = clock()
        for text, date in zip(texts, published, strict=True):
            tag_timexes(text, date)
        tagger_times.append(clock() - started)
    return tokens / statistics.median(tagger_times), tokens / statistics.median(baseline_times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20, help="times the gold texts are repeated")
    parser.add_argument("--errors", choices=["dev", "test", "all"], help="also list the errors of a split")
    parser.add_argument("--timeml", metavar="DIR", help="a folder of TimeML .tml files to use instead")
    parser.add_argument("--cpu", action="store_true", help="time with CPU time, not the wall clock")
    args = parser.parse_args()

    docs = load_timeml_corpus(args.timeml) if args.timeml else load_gold_dir()
    scores = evaluate_timexes(docs)
    columns = ("documents", "gold", "predicted", "strict_f1", "relaxed_f1", "type_accuracy",
               "mod_accuracy", "value_precision", "value_recall", "value_f1")
    print("split  " + "  ".join(f"{c:>15}" for c in columns))
    for split, result in scores.items():
        print(f"{split:<6} " + "  ".join(f"{result[c]:>15}" for c in columns))

    texts = [doc.text for doc in docs] * args.repeat
    published = [doc.published for doc in docs] * args.repeat
    clock = time.process_time if args.cpu else time.perf_counter
    tagger_rate, baseline_rate = throughput(texts, published, clock=clock)
    print(f"\ntag_timexes: {tagger_rate:,.0f} tokens/s (median of 5 runs, {len(texts)} texts, "
          f"{'CPU' if args.cpu else 'wall-clock'} time)")
    print(f"tokenise-only baseline: {baseline_rate:,.0f} tokens/s; "
          f"tagger costs {baseline_rate / tagger_rate:.1f}x the baseline")

    if args.errors:
        print()
        for doc in docs:
            if args.errors == "all" or args.errors == doc.split or args.timeml:
                for line in timex_errors(doc):
                    print(line)


if __name__ == "__main__":
    main()
