"""Importance and confidence of events and stories: explainable, recomputable scores."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlite_utils

from kb.core.config import data_file, load_topics, read_toml
from kb.core.errors import ConfigError
from kb.core.event_types import EVENT_TYPES
from kb.core.time import parse_timestamp
from kb.dates.spans import date_span
from kb.ledger.reports import Report

DEFAULT_WEIGHTS = data_file("weights.toml")
STATUSES = ("rumored", "reported", "confirmed", "denied", "superseded")
DIGITS = 4  # scores and components are rounded so recomputation is byte-for-byte stable

# Keys each weighted sum needs; a weights file missing one is an error, not a silent zero.
CONFIDENCE_COMPONENTS = ("status", "sources", "reliability", "first_party", "date", "unhedged",
                         "attribution", "extraction")
IMPORTANCE_COMPONENTS = ("type", "centrality", "mentions", "authority", "novelty")
STORY_COMPONENTS = ("lead", "top", "volume")


def load_weights(path: str | Path | None = None) -> dict[str, Any]:
    """Read and check data/weights.toml (or `path`); raise ConfigError naming what is wrong."""
    path = Path(path or DEFAULT_WEIGHTS)
    weights = read_toml(path)

    def table(*keys: str) -> dict[str, Any]:
        node: Any = weights
        for key in keys:
            if not isinstance(node, dict) or not isinstance(node.get(key), dict):
                raise ConfigError(f"{path}: missing table [{'.'.join(keys)}]")
            node = node[key]
        return node

    def numbers(where: tuple[str, ...], names: tuple[str, ...]) -> None:
        node = table(*where)
        for name in names:
            value = node.get(name)
            if not isinstance(value, int | float) or isinstance(value, bool) or value < 0:
                raise ConfigError(f"{path}: [{'.'.join(where)}] {name} must be a number >= 0")

    if not isinstance(weights.get("formula_version"), str):
        raise ConfigError(f"{path}: formula_version must be a string")
    numbers(("confidence", "weights"), CONFIDENCE_COMPONENTS)
    numbers(("importance", "weights"), IMPORTANCE_COMPONENTS)
    numbers(("confidence", "status_score"), STATUSES)
    numbers(("confidence", "status_factor"), STATUSES)
    numbers(("importance", "status_factor"), STATUSES)
    numbers(("importance", "type"), EVENT_TYPES)
    numbers(("story", "importance_weights"), STORY_COMPONENTS)
    numbers(("stories", "weights"), ("entities", "family", "section", "time", "text"))
    numbers(("stories", "status"), ("developing_days", "dormant_days"))
    for section in ("status", "matching", "supersede", "stories"):
        table(section)
    return weights


@dataclass
class SourceEvidence:
    """The best report of one independent source about an event."""

    reliability: float
    first_party: bool
    hedged: bool
    attribution: str  # named, anonymous or none
    extraction: float


@dataclass
class EventFacts:
    """Everything the event scores depend on, gathered from the ledger."""

    type: str
    status: str
    supporting: list[SourceEvidence]
    mentions: int
    authority: float
    date_precision: str | None
    date_mod: str | None
    centralities: list[float]
    novelty_gap_days: int | None


@dataclass
class Score:
    """A score with the components it was computed from."""

    value: float
    components: dict[str, Any] = field(default_factory=dict)


def _round(value: float) -> float:
    return round(min(max(value, 0.0), 1.0), DIGITS)


def _saturating(count: int, saturation: float) -> float:
    """0 for none, 1 at `saturation` and above, logarithmic in between."""
    if count <= 0:
        return 0.0
    return min(1.0, math.log1p(count) / math.log1p(max(saturation, 1)))


def _weighted(components: dict[str, float], weights: dict[str, float]) -> tuple[float, dict]:
    """Sum of weight * component, and the explanation of every term."""
    explained = {}
    total = 0.0
    for name in sorted(components):
        value = _round(components[name])
        weight = float(weights[name])
        total += weight * value
        explained[name] = {"value": value, "weight": weight}
    return total, explained


def score_event_confidence(facts: EventFacts, weights: dict[str, Any]) -> Score:
    """How sure the knowledge base is that the event happened as stated (0..1)."""
    conf = weights["confidence"]
    supporting = facts.supporting
    unhedged = [s for s in supporting if not s.hedged]
    disbelief = 1.0
    for source in supporting:
        disbelief *= 1.0 - source.reliability * (0.5 if source.hedged else 1.0)
    attribution_values = {"named": 1.0, "anonymous": float(conf["anonymous"]),
                          "none": float(conf["unattributed"])}
    precision = facts.date_precision or "none"
    date_score = float(conf["date_precision"].get(precision, conf["date_precision"]["none"]))
    if (facts.date_mod or "").upper() == "APPROX":
        date_score *= float(conf["date_precision"].get("approx_factor", 1.0))
    components = {
        "status": float(conf["status_score"][facts.status]),
        "sources": _saturating(len(supporting), float(conf["sources_saturation"])),
        "reliability": 1.0 - disbelief,
        "first_party": 1.0 if any(s.first_party for s in unhedged) else 0.0,
        "date": date_score,
        "unhedged": len(unhedged) / len(supporting) if supporting else 0.0,
        "attribution": max((attribution_values[s.attribution] for s in supporting), default=0.0),
        "extraction": max((s.extraction for s in supporting), default=0.0),
    }
    total, explained = _weighted(components, conf["weights"])
    factor = float(conf["status_factor"][facts.status])
    return Score(_round(total * factor), {"components": explained, "status_factor": factor})


def score_event_importance(facts: EventFacts, weights: dict[str, Any]) -> Score:
    """How much the event matters to an analyst of the tracked topic (0..1)."""
    imp = weights["importance"]
    top = sorted(facts.centralities, reverse=True)[:2]
    if facts.novelty_gap_days is None:
        novelty = float(imp["novelty_undated"])
    else:
        half_life = max(float(imp["novelty_half_life_days"]), 1.0)
        novelty = max(0.5 ** (max(facts.novelty_gap_days, 0) / half_life), float(imp["novelty_floor"]))
    components = {
        "type": float(imp["type"][facts.type]),
        "centrality": sum(top) / len(top) if top else 0.0,
        "mentions": _saturating(facts.mentions, float(imp["mentions_saturation"])),
        "authority": facts.authority,
        "novelty": novelty,
    }
    total, explained = _weighted(components, imp["weights"])
    factor = float(imp["status_factor"][facts.status])
    return Score(_round(total * factor), {"components": explained, "status_factor": factor})


def score_event(facts: EventFacts, weights: dict[str, Any]) -> tuple[Score, Score]:
    """(importance, confidence) of one event."""
    return score_event_importance(facts, weights), score_event_confidence(facts, weights)


@dataclass
class StoryTotals:
    """The sums a story's scores need from its counted events (superseded ones left out unless
    all are), read from the running totals SQLite keeps (kb/store/story_totals.py)."""

    top_importances: list[float]  # the `top_n` highest, highest first
    count: int
    weight_sum: float  # sum of max(importance, 0.01)
    weighted_confidence: float  # sum of max(importance, 0.01) * confidence


def score_story_totals(totals: StoryTotals, mentions: int, weights: dict[str, Any]) -> tuple[Score, Score]:
    """(importance, confidence) of a story from its event totals and independent mentions."""
    story = weights["story"]
    ranked = totals.top_importances[:max(int(story["top_n"]), 1)]
    components = {
        "lead": ranked[0] if ranked else 0.0,
        "top": sum(ranked) / len(ranked) if ranked else 0.0,
        "volume": _saturating(mentions, float(story["mentions_saturation"])),
    }
    total, explained = _weighted(components, story["importance_weights"])
    importance = Score(_round(total), {"components": explained})
    mean = totals.weighted_confidence / totals.weight_sum if totals.count and totals.weight_sum else 0.0
    confidence = Score(_round(mean), {"components": {"importance_weighted_mean": _round(mean)},
                                      "events": totals.count})
    return importance, confidence


def components_json(importance: Score, confidence: Score) -> str:
    """The stored explanation of a pair of scores (stable key order)."""
    payload = {
        "importance": {"score": importance.value, **importance.components},
        "confidence": {"score": confidence.value, **confidence.components},
    }
    return json.dumps(payload, sort_keys=True, separators=(",", ":"))


class ScoringContext:
    """Weights, topic entities and entity centralities, loaded once per run."""

    def __init__(self, db: sqlite_utils.Database, weights: dict[str, Any] | None = None):
        self.db = db
        self.weights = weights if weights is not None else load_weights()
        self.topic_entities = {name.lower() for topic in load_topics() for name in topic.entities}
        self._centrality: dict[int, float] = {}
        anonymous = self.weights["status"].get("anonymous_attribution", [])
        self.anonymous_cues = tuple(cue.lower() for cue in anonymous)

    @property
    def formula_version(self) -> str:
        return self.weights["formula_version"]

    def centrality(self, entity_id: int) -> float:
        """How central an entity is to the tracked topics (0..1)."""
        if entity_id not in self._centrality:
            row = self.db.execute("SELECT name, status, centrality FROM entities WHERE id = ?",
                                  [entity_id]).fetchone()
            imp = self.weights["importance"]
            if row is None:
                value = 0.0
            elif row[2] and row[2] > 0:
                value = min(float(row[2]), 1.0)
            elif row[0].lower() in self.topic_entities:
                value = float(imp["topic_entity"])
            elif row[1] == "candidate":
                value = float(imp["candidate_entity"])
            else:
                value = float(imp["known_entity"])
            self._centrality[entity_id] = value
        return self._centrality[entity_id]

    def attribution_kind(self, report: Report) -> str:
        """named, anonymous or none, for a report's attribution."""
        if report.source.first_party:
            return "named"
        text = (report.attributed_to or "").strip().lower()
        if not text:
            return "none"
        return "anonymous" if any(cue in text for cue in self.anonymous_cues) else "named"


def facts_of(ctx: ScoringContext, event: dict[str, Any], supporting: list[SourceEvidence], mentions: int,
             authority: float, entity_ids: list[int]) -> EventFacts:
    """The scoring inputs of one event from its row, its sources' best evidence (sorted by
    source key), its independent mentions, its sources' highest authority and its entities."""
    gap = None
    span = date_span(event.get("date"), event.get("date_mod"))
    known = parse_timestamp(event.get("known_at"))
    if span is not None and known is not None:
        gap = (known.date() - span.end).days
    return EventFacts(
        type=event["type"],
        status=event["status"],
        supporting=supporting,
        mentions=mentions,
        authority=authority,
        date_precision=span.precision if span else None,
        date_mod=event.get("date_mod"),
        centralities=[ctx.centrality(i) for i in sorted(set(entity_ids))],
        novelty_gap_days=gap,
    )
