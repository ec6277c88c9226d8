"""Score the event rules on short gold passages (data/gold/passages.toml): facts, not sentences.

Each passage lists the events it states as facts (type, agent, date, recap); plans, generic
statements, conditionals, questions, opinion, background and captions list none. A predicted
event matches a gold event of its passage when the type is the same, the gold agent (or one of
a list) is among its agents, its date lies within the gold date ("none": undated) and the recap
flags agree. Precision is over the predicted events, recall over the gold ones."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kb.core.config import data_file, read_toml
from kb.core.errors import ConfigError
from kb.core.event_types import EVENT_TYPES
from kb.dates.spans import date_span
from kb.jobs.evaluate import prf
from kb.nlp.pipeline import analyze_many

DEFAULT_PASSAGES = data_file("gold/passages.toml")
SPLITS = ("dev", "test")


@dataclass
class Passage:
    """One gold passage: its text, publication date and expected events."""

    id: str
    split: str
    published: dt.date
    text: str
    events: list[dict] = field(default_factory=list)


def load_passages(path: str | Path | None = None) -> list[Passage]:
    """The gold passages (ConfigError on a bad file)."""
    path = Path(path or DEFAULT_PASSAGES)
    passages = []
    for index, item in enumerate(read_toml(path).get("passages", []), start=1):
        try:
            split = item.get("split", "dev")
            if split not in SPLITS:
                raise ValueError(f"split {split!r} is not one of {SPLITS}")
            events = list(item.get("events", []))
            for event in events:
                if event["type"] not in EVENT_TYPES:
                    raise ValueError(f"unknown event type {event['type']!r}")
            passages.append(Passage(str(item["id"]), split, dt.date.fromisoformat(item["published"]),
                                    str(item["text"]), events))
        except (KeyError, TypeError, ValueError) as exc:
            raise ConfigError(f"{path}: passage {index}: {exc}") from exc
    if not passages:
        raise ConfigError(f"{path}: no [[passages]]")
    return passages


def agents(event: dict) -> set[str]:
    """The names a predicted event gives the agent role."""
    return {name for name, role in event.get("roles", {}).items() if role == "agent"}


def same_date(gold: str | None, predicted: str | None) -> bool:
    """Whether a predicted date agrees with the gold one (within its span; "none": undated)."""
    if gold is None:
        return True
    if gold == "none":
        return predicted is None
    outer, inner = date_span(gold), date_span(predicted)
    return outer is not None and inner is not None and outer.start <= inner.start and inner.end <= outer.end


def matches(gold: dict, predicted: dict) -> bool:
    """Whether a predicted event is the gold event."""
    if gold["type"] != predicted["type"]:
        return False
    wanted = gold.get("agent")
    if wanted is not None:
        names = {wanted} if isinstance(wanted, str) else set(wanted)
        if not names & agents(predicted):
            return False
    if bool(gold.get("recap", False)) != bool(predicted.get("recap", False)):
        return False
    return same_date(gold.get("date"), predicted.get("date"))


def pair_events(gold: list[dict], predicted: list[dict]) -> list[tuple[int, int]]:
    """One-to-one (gold, predicted) index pairs, in gold order, each gold taking the first free match."""
    used: set[int] = set()
    pairs = []
    for gi, g in enumerate(gold):
        for pi, p in enumerate(predicted):
            if pi not in used and matches(g, p):
                used.add(pi)
                pairs.append((gi, pi))
                break
    return pairs


def describe(event: dict) -> str:
    """A short line for an event, gold or predicted."""
    agent = event.get("agent") if "agent" in event else ",".join(sorted(agents(event))) or None
    recap = " recap" if event.get("recap") else ""
    return f"{event['type']} agent={agent} date={event.get('date')}{recap}"


def score_passages(path: str | Path | None = None) -> dict[str, Any]:
    """Precision, recall and F1 per split and over all passages, with the misses of each passage."""
    passages = load_passages(path)
    results = analyze_many({"text": p.text, "published": p.published} for p in passages)
    counts = {split: [0, 0, 0] for split in ("all", *SPLITS)}  # correct, predicted, gold
    errors = []
    for passage, result in zip(passages, results, strict=True):
        predicted = result["events"]
        pairs = pair_events(passage.events, predicted)
        for split in ("all", passage.split):
            counts[split][0] += len(pairs)
            counts[split][1] += len(predicted)
            counts[split][2] += len(passage.events)
        matched_g = {g for g, _ in pairs}
        matched_p = {p for _, p in pairs}
        missed = [describe(e) for i, e in enumerate(passage.events) if i not in matched_g]
        extra = [describe(e) for i, e in enumerate(predicted) if i not in matched_p]
        if missed or extra:
            errors.append({"id": passage.id, "split": passage.split, "missed": missed, "extra": extra})
    report: dict[str, Any] = {split: prf(*counts[split]) for split in counts}
    report["passages"] = len(passages)
    report["errors"] = errors
    return report
