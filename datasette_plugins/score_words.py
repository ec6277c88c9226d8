"""A score's components (the `score_components` JSON of events and stories) in plain words.

The components and their meaning are kb/ledger/scoring.py's (docs/ledger-and-scores.md); this
module only says them: "Status, 60% (30% of the score): how settled the event's status is".
"""

from __future__ import annotations

import json
import math
from functools import lru_cache

from kb.core.formats import percent
from kb.ledger.scoring import load_weights

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


# ---------------------------------------------------------------------------------------
# The short explanation each score opens on a page: "Confidence 88%: confirmed; stated by the
# company itself; 3 independent sources; exact date". The stored components say how much; the
# weights file's tables (status scores, date precisions, saturations) turn them back into words.

TIGHT = 0.005  # a stored component within this of a table value is that value


@lru_cache(maxsize=1)
def default_weights() -> dict:
    """data/weights.toml, read once (the tables that turn component values back into words)."""
    return load_weights()


def nearest(value: float, table: dict, order: tuple[str, ...] | None = None) -> str | None:
    """The key of `table` whose number is `value` (None when none is)."""
    for key in order or tuple(table):
        number = table.get(key)
        if isinstance(number, (int, float)) and abs(float(number) - value) <= TIGHT:
            return key
    return None


def count_of(value: float, saturation: float) -> str:
    """The count a saturating component stands for: log1p(n) / log1p(saturation), inverted."""
    if value >= 1 - TIGHT:
        return f"{saturation:g} or more"
    return str(round(math.expm1(value * math.log1p(max(saturation, 1)))))


def plural(count: str, word: str) -> str:
    return f"{count} {word}" if count == "1" else f"{count} {word}s"


def _value(part) -> float | None:
    value = part.get("value") if isinstance(part, dict) else part
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def confidence_reasons(parts: dict, weights: dict) -> list[str]:
    """An event's confidence components in words, most telling first."""
    conf, reasons = weights["confidence"], []
    status = _value(parts.get("status"))
    if status is not None:
        reasons.append(nearest(status, conf["status_score"], ("confirmed", "reported", "rumored", "denied"))
                       or f"status {percent(status)}")
    if _value(parts.get("first_party")) == 1:
        reasons.append("stated by the company itself")
    sources = _value(parts.get("sources"))
    if sources is not None:
        reasons.append(plural(count_of(sources, float(conf["sources_saturation"])), "independent source"))
    reliability = _value(parts.get("reliability"))
    if reliability is not None and reliability < 0.5:
        reasons.append(f"sources of low reliability ({percent(reliability)})")
    date = _value(parts.get("date"))
    if date is not None:
        table = conf["date_precision"]
        precision = nearest(date, table, DATE_ORDER) or nearest(
            date / float(table.get("approx_factor", 0.9)), table, DATE_ORDER)
        reasons.append(DATE_WORDS.get(precision or "", f"date {percent(date)} exact"))
    unhedged = _value(parts.get("unhedged"))
    if unhedged is not None and unhedged < 1 - TIGHT:
        reasons.append(f"{percent(1 - unhedged)} of sources hedge")
    attribution = _value(parts.get("attribution"))
    if attribution is not None and abs(attribution - float(conf["anonymous"])) <= TIGHT:
        reasons.append("unnamed sources")
    elif attribution is not None and abs(attribution - float(conf["unattributed"])) <= TIGHT:
        reasons.append("no one named as the source")
    return reasons


DATE_ORDER = ("day", "week", "month", "quarter", "season", "half", "year", "decade", "none", "century")
DATE_WORDS = {"day": "exact date", "week": "date to the week", "month": "month only", "season": "season only",
              "quarter": "quarter only", "half": "half-year only", "year": "year only",
              "decade": "decade only", "century": "century only", "none": "date unknown"}


def importance_reasons(parts: dict, weights: dict, event_type: str | None = None) -> list[str]:
    """An event's importance components in words."""
    imp, reasons = weights["importance"], []
    kind = _value(parts.get("type"))
    if kind is not None:
        reasons.append(f"{event_type or 'its type'} (type weight {percent(kind)})")
    centrality = _value(parts.get("centrality"))
    if centrality is not None:
        central = centrality >= float(imp["topic_entity"]) - TIGHT
        reasons.append("about a tracked company or product" if central
                       else f"entities {percent(centrality)} central to what is tracked")
    mentions = _value(parts.get("mentions"))
    if mentions is not None:
        reasons.append("reported by " + plural(count_of(mentions, float(imp["mentions_saturation"])),
                                               "independent article"))
    authority = _value(parts.get("authority"))
    if authority is not None:
        reasons.append(f"best source's authority {percent(authority)}")
    novelty = _value(parts.get("novelty"))
    if novelty is not None:
        if abs(novelty - float(imp["novelty_undated"])) <= TIGHT:
            pass  # undated: nothing to say about how fresh it was
        elif novelty >= 0.9:
            reasons.append("reported as it happened")
        elif novelty <= float(imp["novelty_floor"]) + TIGHT:
            reasons.append("reported long after it happened (background)")
        else:
            reasons.append(f"reported some time after it happened (novelty {percent(novelty)})")
    return reasons


def story_reasons(score_name: str, parts: dict, weights: dict) -> list[str]:
    """A story's importance or confidence components in words."""
    if score_name == "confidence":
        return ["its events' confidence, the more important weighing more"]
    reasons = []
    lead, top, volume = (_value(parts.get(k)) for k in ("lead", "top", "volume"))
    if lead is not None:
        reasons.append(f"its most important event {percent(lead)}")
    if top is not None:
        reasons.append(f"its top {weights['story']['top_n']} events {percent(top)} on average")
    if volume is not None:
        articles = count_of(volume, float(weights["story"]["mentions_saturation"]))
        reasons.append("reported by " + plural(articles, "independent article"))
    return reasons


def score_summaries(value, event_type: str | None = None, weights: dict | None = None) -> list[dict]:
    """Each score as one short sentence from its stored components:
    [{"name": "confidence", "score": "88%", "text": "Confidence 88%: confirmed; ...; exact date"}]."""
    parsed = parse_components(value)
    if not parsed:
        return []
    weights = weights or default_weights()
    names = {name for n in ("importance", "confidence") if isinstance(parsed.get(n), dict)
             for name in (parsed[n].get("components") or {})}
    story = bool(names & {"lead", "importance_weighted_mean"})
    summaries = []
    for score_name in ("importance", "confidence"):
        block = parsed.get(score_name)
        if not isinstance(block, dict) or not isinstance(block.get("score"), (int, float)):
            continue
        parts = block.get("components") or {}
        try:
            if story:
                reasons = story_reasons(score_name, parts, weights)
            elif score_name == "confidence":
                reasons = confidence_reasons(parts, weights)
            else:
                reasons = importance_reasons(parts, weights, event_type)
        except (KeyError, TypeError, ValueError):  # a weights file without these tables: numbers only
            reasons = [line_text(line) for line in component_lines(score_name, block)]
        factor = block.get("status_factor")
        if isinstance(factor, (int, float)) and factor != 1:
            reasons.append(f"times {factor:g} for its status")
        score = percent(block["score"])
        summaries.append({"name": score_name, "score": score,
                          "text": f"{score_name.capitalize()} {score}: " + "; ".join(reasons)})
    return summaries
