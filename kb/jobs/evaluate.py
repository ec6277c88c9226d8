"""Score the pipeline against gold annotations: entities, timexes, events and timeline dates."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from ingest.blocks import body_text
from kb.core.config import data_file, read_toml
from kb.jobs.article_body import ArticleBody, on_article_text
from kb.jobs.extraction import block_rules
from kb.jobs.fact_eval import DEFAULT_FACTS, evaluate_facts
from kb.jobs.gold import AMOUNT_LABELS, GoldDoc, load_gold
from kb.jobs.temporal_eval import GoldDoc as TimexDoc
from kb.jobs.temporal_eval import evaluate_timexes, load_gold_dir
from kb.nlp.pipeline import analyze_many
from kb.nlp.temporal.tagger import Timex

DEFAULT_FLOORS = data_file("gold/floors.toml")
TIMEBANK_DIR = data_file("gold/timebank")
# Labels left out of entity scoring on both sides: the gold does not annotate them.
UNSCORED_LABELS = frozenset({"QUANTITY", "CARDINAL", "ORDINAL", "DATE", "TIME"})


def prf(correct: int, predicted: int, gold: int) -> dict[str, float]:
    """Precision, recall and F1 in percent, rounded to two decimals."""
    precision = correct / predicted if predicted else 0.0
    recall = correct / gold if gold else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": round(100 * precision, 2), "recall": round(100 * recall, 2),
            "f1": round(100 * f1, 2), "gold": gold, "predicted": predicted, "correct": correct}


def overlap(a_start: int, a_end: int, b_start: int, b_end: int) -> int:
    return max(0, min(a_end, b_end) - max(a_start, b_start))


def match_spans(gold: list[dict], predicted: list[dict], same: Any) -> list[tuple[dict, dict]]:
    """One-to-one pairs of overlapping items for which same(g, p) holds, largest overlap first."""
    candidates = sorted(
        ((overlap(g["start"], g["end"], p["start"], p["end"]), gi, pi)
         for gi, g in enumerate(gold) for pi, p in enumerate(predicted)
         if same(g, p) and overlap(g["start"], g["end"], p["start"], p["end"]) > 0),
        key=lambda c: (-c[0], c[1], c[2]),
    )
    used_g: set[int] = set()
    used_p: set[int] = set()
    pairs = []
    for _, gi, pi in candidates:
        if gi not in used_g and pi not in used_p:
            used_g.add(gi)
            used_p.add(pi)
            pairs.append((gold[gi], predicted[pi]))
    return pairs


def score_entities(docs: list[tuple[GoldDoc, dict]]) -> dict[str, dict]:
    """Strict (exact span and label), lenient (overlap, same label) and linked (+ canonical name)."""
    n_gold = n_pred = strict = lenient = linked = 0
    for doc, result in docs:
        gold = [e for e in doc.entities if e["label"] not in UNSCORED_LABELS]
        pred = [e for e in result["entities"] if e["label"] not in UNSCORED_LABELS]
        n_gold += len(gold)
        n_pred += len(pred)
        strict += len({(e["start"], e["end"], e["label"]) for e in gold}
                      & {(e["start"], e["end"], e["label"]) for e in pred})
        pairs = match_spans(gold, pred, lambda g, p: g["label"] == p["label"])
        lenient += len(pairs)
        linked += sum(
            1 for g, p in pairs
            if g["label"] in AMOUNT_LABELS or g["canonical"] == (p["entity"] or p["text"])
        )
    return {"strict": prf(strict, n_pred, n_gold), "lenient": prf(lenient, n_pred, n_gold),
            "linked": prf(linked, n_pred, n_gold)}


def score_events(docs: list[tuple[GoldDoc, dict]]) -> dict[str, dict]:
    """Events (same type, overlapping sentence) and timeline dates (+ the same date value)."""
    n_gold = n_pred = correct = 0
    dated_gold = dated_pred = dated_correct = 0
    by_type: dict[str, list[int]] = {}
    for doc, result in docs:
        gold, pred = doc.events, result["events"]
        n_gold += len(gold)
        n_pred += len(pred)
        pairs = match_spans(gold, pred, lambda g, p: g["type"] == p["type"])
        correct += len(pairs)
        dated_gold += sum(1 for g in gold if g["date"])
        dated_pred += sum(1 for p in pred if p["date"])
        dated_correct += sum(1 for g, p in pairs if g["date"] and g["date"] == p["date"])
        for g in gold:
            by_type.setdefault(g["type"], [0, 0, 0])[0] += 1
        for p in pred:
            by_type.setdefault(p["type"], [0, 0, 0])[1] += 1
        for g, _ in pairs:
            by_type[g["type"]][2] += 1
    return {
        "events": prf(correct, n_pred, n_gold),
        "timeline_dates": prf(dated_correct, dated_pred, dated_gold),
        "by_type": {t: prf(c, p, g) for t, (g, p, c) in sorted(by_type.items())},
    }


def score_sample_timexes(docs: list[tuple[GoldDoc, dict]]) -> dict[str, Any]:
    """Timex extent and value scores on the sample gold (TempEval-3 style, via kb.jobs.temporal_eval)."""
    timex_docs, predicted = [], {}
    for doc, result in docs:
        published = dt.date.fromisoformat(doc.published) if doc.published else None
        gold = [Timex(t["start"], t["end"], t["text"], t["type"], t["value"], t["mod"]) for t in doc.timexes]
        timex_docs.append(TimexDoc(doc.name, "sample", doc.text, published, gold))
        predicted[doc.text] = [Timex(t["start"], t["end"], t["text"], t["type"], t["value"], t["mod"])
                               for t in result["timexes"]]
    return evaluate_timexes(timex_docs, tagger=lambda text, published: predicted[text])["all"]


def score_timebank(directory: Path = TIMEBANK_DIR) -> dict[str, Any] | None:
    """The temporal helper's TimeML gold scores per split, or None without gold files."""
    if not any(directory.glob("*.tml")):
        return None
    return evaluate_timexes(load_gold_dir(directory))


def evaluate(gold_dir: str | Path | None = None, *, timebank_dir: Path | None = TIMEBANK_DIR,
             facts_path: Path | None = DEFAULT_FACTS) -> dict:
    """All measures on the sample gold (and the TimeML gold when present; with `facts_path`, the
    fact-level scores of the sample base, kb.jobs.fact_eval)."""
    gold = load_gold(gold_dir)
    # As `kb ingest` reads an article: its body blocks only, findings moved back onto the text.
    body_kinds = block_rules().body_kinds
    bodies = [ArticleBody(body_text(d.text, d.blocks, body_kinds),
                          tuple((b.start, b.end) for b in d.blocks if b.kind == "dateline")) for d in gold]
    results = analyze_many({"text": b.body.text, "published": d.published}
                           for d, b in zip(gold, bodies, strict=True))
    docs = [(d, on_article_text(r, b)) for d, r, b in zip(gold, results, bodies, strict=True)]
    report: dict[str, Any] = {"documents": len(docs), "entities": score_entities(docs),
                              "timexes": score_sample_timexes(docs)}
    report.update(score_events(docs))
    report["events_by_split"] = {
        split: {k: v for k, v in score_events([d for d in docs if d[0].split == split]).items()
                if k != "by_type"}
        for split in sorted({d.split for d in gold})
    }
    if timebank_dir is not None:
        report["timebank"] = score_timebank(timebank_dir)
    if facts_path is not None:
        report["facts"] = evaluate_facts(facts_path)
    return report


def flat_scores(report: dict) -> dict[str, float]:
    """The F1 figures that floors apply to, by name."""
    scores = {
        "entities_strict_f1": report["entities"]["strict"]["f1"],
        "entities_lenient_f1": report["entities"]["lenient"]["f1"],
        "entities_linked_f1": report["entities"]["linked"]["f1"],
        "timex_relaxed_f1": report["timexes"]["relaxed_f1"],
        "timex_value_f1": report["timexes"]["value_f1"],
        "events_f1": report["events"]["f1"],
        "timeline_date_f1": report["timeline_dates"]["f1"],
    }
    passages = report.get("passages")  # kb.jobs.passage_eval, added by `kb eval`
    if passages:
        for split in ("dev", "test"):
            scores[f"passages_{split}_f1"] = passages[split]["f1"]
    timebank = report.get("timebank")
    if timebank:
        for split, figures in timebank.items():
            scores[f"timebank_{split}_value_f1"] = figures["value_f1"]
    facts = report.get("facts")
    if facts:
        scores["fact_recall"] = facts["recall"]
        scores["fact_fragmentation"] = facts["fragmentation"]
        scores["fact_max_events"] = facts["max_events_per_fact"]
        for n, figures in facts["precision"].items():
            scores[f"fact_precision_{n}"] = figures["precision"]
    return scores


def check_floors(report: dict, floors_path: str | Path | None = None) -> list[str]:
    """Messages for every figure below its floor (or above its ceiling) in data/gold/floors.toml."""
    limits = read_toml(floors_path or DEFAULT_FLOORS)
    scores = flat_scores(report)
    failures = []
    for table, worse, word in (("floors", float.__lt__, "below its floor"),
                               ("ceilings", float.__gt__, "above its ceiling")):
        for name, limit in sorted(limits.get(table, {}).items()):
            if name not in scores:
                failures.append(f"{name}: no such figure ({table[:-1]} {limit})")
            elif worse(float(scores[name]), float(limit)):
                failures.append(f"{name} = {scores[name]:.2f} is {word} {limit}")
    return failures
