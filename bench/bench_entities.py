"""Benchmark the entity components: tokens/second of the blank tokenizer alone vs tokenizer +
kb_gazetteer + kb_quantities + kb_candidates, on one core, median of 5 runs.

Usage: .venv/bin/python bench/bench_entities.py [--tokens 200000] [--runs 5]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import spacy

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import kb.nlp.gazetteer  # noqa: E402,F401  (registers the components)

SAMPLE_SRC = ROOT / "data" / "sample" / "src"

# Used when the sample corpus is absent: short news-style sentences about the tracked topic.
FALLBACK_SENTENCES = [
    "Microsoft released MAI-Image-2-Efficient on Tuesday, priced at $19.50 per million output tokens.",
    "The model is live in Microsoft Foundry and the MAI Playground with no waitlist.",
    "OpenAI's new chief revenue officer, Denise Dresser, wrote that the Microsoft deal limited its reach.",
    "Microsoft holds about 27% of OpenAI Group PBC, a stake valued at about $135 billion.",
    "MAI-1-preview was trained on roughly 15,000 Nvidia H100 GPUs, Mustafa Suleyman said.",
    "OpenAI signed a seven-year, $38 billion agreement with Amazon Web Services in November.",
    "Analysts at Halden Group said price alone may not move customers away from GPT-image-1.",
    "Satya Nadella said Sam Altman and Greg Brockman would join a new advanced AI research team.",
]


def corpus_texts() -> list[str]:
    """Bodies of the sample corpus articles (front matter removed), or the fallback text."""
    texts = []
    for path in sorted(SAMPLE_SRC.glob("*/*.md")):
        parts = path.read_text(encoding="utf-8").split("+++", 2)
        texts.append(parts[2] if len(parts) == 3 else parts[0])
    return texts or [" ".join(FALLBACK_SENTENCES)]


def build_docs_text(nlp, target_tokens: int) -> list[str]:
    """Repeat the corpus until it holds about `target_tokens` tokens."""
    base = corpus_texts()
    per_round = sum(len(nlp.make_doc(t)) for t in base)
    rounds = max(1, target_tokens // max(per_round, 1))
    return base * rounds


def time_pipeline(nlp, texts: list[str], runs: int) -> tuple[float, int]:
    """Median seconds over `runs` passes and the token count of one pass."""
    times = []
    tokens = 0
    for _ in range(runs):
        started = time.perf_counter()
        tokens = sum(len(doc) for doc in nlp.pipe(texts))
        times.append(time.perf_counter() - started)
    return statistics.median(times), tokens


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tokens", type=int, default=200_000, help="tokens per run (approximate)")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    tokenizer_only = spacy.blank("en")
    with_components = spacy.blank("en")
    for name in ("kb_gazetteer", "kb_quantities", "kb_candidates"):
        with_components.add_pipe(name)
    texts = build_docs_text(tokenizer_only, args.tokens)
    with_components(texts[0])  # load data files outside the timing

    rows = [("tokenizer only", tokenizer_only)]
    for upto in (1, 2, 3):
        nlp = spacy.blank("en")
        for name in with_components.pipe_names[:upto]:
            nlp.add_pipe(name)
        nlp(texts[0])
        rows.append(("tokenizer + " + " + ".join(nlp.pipe_names), nlp))

    baseline = None
    print(f"texts: {len(texts)}, runs: {args.runs} (median), one process")
    for label, nlp in rows:
        seconds, tokens = time_pipeline(nlp, texts, args.runs)
        rate = tokens / seconds
        baseline = baseline or rate
        print(f"{label:<62} {tokens:>8} tokens  {rate:>10,.0f} tokens/s  ratio {rate / baseline:.2f}")
    components_only = None
    if len(rows) > 1:
        # Cost of the components alone, from the full pipeline and the baseline rates.
        seconds_full, tokens = time_pipeline(rows[-1][1], texts, args.runs)
        seconds_base, _ = time_pipeline(tokenizer_only, texts, args.runs)
        components_only = tokens / max(seconds_full - seconds_base, 1e-9)
        print(f"{'three components alone (full minus tokenizer)':<62} {tokens:>8} tokens  "
              f"{components_only:>10,.0f} tokens/s")


if __name__ == "__main__":
    main()
