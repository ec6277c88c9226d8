"""A score's components (the `score_components` JSON of events and stories) in plain words.

The components and their meaning are kb/ledger/scoring.py's (docs/ledger-and-scores.md); this
module only says them: "Status, 60% (30% of the score): how settled the event's status is".
"""

from __future__ import annotations

import json

from kb.core.formats import percent

# What each component measures, as a reader would put it.
MEANINGS = {
    "confidence": {
        "status": "how settled the event's status is (rumored, reported, confirmed, denied)",
        "sources": "how many independent sources support it",
        "reliability": "how reliable those sources are",
        "first_party": "whether the company itself said it",
        "date": "how exact its date is",
        "unhedged": "the share of sources that do not hedge",
        "attribution": "whether the claim is attributed to someone named",
        "extraction": "how sure the extractor was of the sentence",
        "importance_weighted_mean": "its events' confidence, the more important weighing more",
    },
    "importance": {
        "type": "how much this type of event matters",
        "centrality": "how central its entities are to what is tracked",
        "mentions": "how many independent articles reported it",
        "authority": "how authoritative its most reliable source is",
        "novelty": "how new it was when first reported",
        "lead": "its most important event",
        "top": "the mean of its three most important events",
        "volume": "how many independent articles reported its events",
    },
}
LABELS = {"first_party": "First party", "importance_weighted_mean": "Events' confidence"}


def label(name: str) -> str:
    return LABELS.get(name, name.replace("_", " ").capitalize())


def parse_components(value) -> dict | None:
    """The JSON of score_components as a dict, or None when it is not that JSON."""
    if isinstance(value, dict):
        return value
    if not isinstance(value, str) or not value.strip().startswith("{"):
        return None
    try:
        parsed = json.loads(value)
    except ValueError:
        return None
    return parsed if isinstance(parsed, dict) else None


def component_lines(score_name: str, block: dict) -> list[dict]:
    """One line per component: its label, value, weight and meaning, largest contribution first."""
    lines = []
    for name, part in (block.get("components") or {}).items():
        if isinstance(part, dict):
            value, weight = part.get("value"), part.get("weight")
        else:
            value, weight = part, None
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            continue
        lines.append({"name": name, "label": label(name), "value": percent(value),
                      "weight": percent(weight) if isinstance(weight, (int, float)) else None,
                      "contribution": value * (weight if isinstance(weight, (int, float)) else 1),
                      "meaning": MEANINGS.get(score_name, {}).get(name, "")})
    return sorted(lines, key=lambda line: -line["contribution"])


def explain_scores(value) -> list[dict]:
    """Each score (importance, confidence) with its total, its factor and its component lines."""
    parsed = parse_components(value)
    if not parsed:
        return []
    scores = []
    for score_name in ("importance", "confidence"):
        block = parsed.get(score_name)
        if not isinstance(block, dict):
            continue
        factor, total = block.get("status_factor"), block.get("score")
        scores.append({
            "name": score_name, "label": score_name.capitalize(),
            "score": percent(total) if isinstance(total, (int, float)) else "unknown",
            "factor": factor if isinstance(factor, (int, float)) and factor != 1 else None,
            "lines": component_lines(score_name, block),
        })
    return scores


def line_text(line: dict) -> str:
    """'Status 60% (weight 30%): how settled the event's status is'."""
    weight = f" (weight {line['weight']})" if line["weight"] else ""
    meaning = f": {line['meaning']}" if line["meaning"] else ""
    return f"{line['label']} {line['value']}{weight}{meaning}"


def explain_text(value) -> list[str]:
    """The explanation as sentences, one per score (for the event page's JSON and plain text)."""
    texts = []
    for score in explain_scores(value):
        factor = f", times {score['factor']:g} for its status" if score["factor"] else ""
        texts.append(f"{score['label']} {score['score']}{factor} = "
                     + "; ".join(line_text(line) for line in score["lines"]))
    return texts
