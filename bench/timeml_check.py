"""Development check of the TIMEX3 tagger on public TimeML news: extent and value F1 per corpus.

Run: .venv/bin/python bench/timeml_check.py DIR [--halves AQUAINT] [--errors CORPUS]

DIR holds one folder of .tml files per corpus (for example TimeBank/, AQUAINT/ and the
TempEval-3 silver training data, from TBAQ-cleaned and TE3-Silver-data); a file's corpus is
the folder it lies in. Prints, per corpus and over all of them, strict and relaxed extent
P/R/F1 and value P/R/F1 as TempEval-3 counts them (value: a relaxed match with the same value).

--halves NAME splits corpus NAME into two fixed halves by sorted file name: NAME-dev (files
2, 4, 6...) for looking at errors, NAME-test (files 1, 3, 5...) held out. --errors CORPUS lists
every missed, spurious and misvalued timex of one corpus (or half).

The TempEval-3 platinum test set is held out for judging the tagger: a path naming it is refused.
The corpora stay outside the repository; nothing here is committed.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kb.core.errors import KBError  # noqa: E402
from kb.jobs.temporal_eval import (  # noqa: E402
    GoldDoc,
    evaluate_timexes,
    load_timeml_corpus,
    timex_errors,
)

HELD_OUT_NAMES = ("platinum", "te3-platinum")


def split_halves(docs: list[GoldDoc], corpus: str) -> list[GoldDoc]:
    """The documents with corpus `corpus` split into `corpus`-dev and `corpus`-test halves."""
    mine = sorted((doc for doc in docs if doc.split == corpus), key=lambda doc: doc.name)
    if not mine:
        raise SystemExit(f"--halves: no corpus named {corpus!r}")
    for index, doc in enumerate(mine):
        doc.split = f"{corpus}-{'dev' if index % 2 else 'test'}"
    return docs


def report(scores: dict[str, dict]) -> list[str]:
    """One line per corpus: documents, gold, predicted, extent and value P/R/F1."""
    head = (f"{'corpus':<16}{'docs':>5}{'gold':>7}{'pred':>7}   {'strict P/R/F1':>20}   "
            f"{'relaxed P/R/F1':>20}   {'value P/R/F1':>20}")
    lines = [head]
    for corpus, s in scores.items():
        cells = [f"{s[f'{m}_precision']:6.2f} {s[f'{m}_recall']:6.2f} {s[f'{m}_f1']:6.2f}"
                 for m in ("strict", "relaxed", "value")]
        lines.append(f"{corpus:<16}{s['documents']:>5}{s['gold']:>7}{s['predicted']:>7}   "
                     + "   ".join(cells))
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("directory", help="a folder with one folder of .tml files per corpus")
    parser.add_argument("--halves", metavar="CORPUS", help="split a corpus into fixed dev and test halves")
    parser.add_argument("--errors", metavar="CORPUS", help="list the errors of one corpus (or half)")
    args = parser.parse_args(argv)
    if any(name in str(Path(args.directory).resolve()).lower() for name in HELD_OUT_NAMES):
        print("error: the TempEval-3 platinum test set is held out; develop on TimeBank, AQUAINT "
              "and the TempEval-3 training data", file=sys.stderr)
        return 2
    try:
        docs = load_timeml_corpus(args.directory)
    except KBError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.halves:
        docs = split_halves(docs, args.halves)
    print("\n".join(report(evaluate_timexes(docs))))
    if args.errors:
        print()
        for doc in docs:
            if doc.split == args.errors:
                print("\n".join(timex_errors(doc)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
