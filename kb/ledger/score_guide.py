"""How scores are computed, in plain words with the numbers of data/weights.toml.

One text for two readers: docs/gen_docs.py writes it to docs/scores.md, and the /-/scores page
shows it, so neither can drift from the weights the scores were computed with. The formulas
themselves are in kb/ledger/scoring.py; each section here names the components in the order
the weights file gives them.
"""

from __future__ import annotations

from typing import Any


def pct(value: Any) -> str:
    """0.85 as '85%' (a weight or a component value as a reader says it)."""
    return f"{round(float(value) * 100):d}%"


def listing(table: dict[str, Any], words: dict[str, str] | None = None) -> str:
    """'rumored 25%, reported 60%, confirmed 100%' from a table of values."""
    words = words or {}
    return ", ".join(f"{words.get(k, k)} {pct(v)}" for k, v in table.items()
                     if isinstance(v, (int, float)) and not isinstance(v, bool))


DATE_NAMES = {"day": "an exact day", "week": "a week", "month": "a month", "season": "a season",
              "quarter": "a quarter", "half": "a half-year", "year": "a year", "decade": "a decade",
              "century": "a century", "none": "no date"}


def confidence_items(w: dict[str, Any]) -> dict[str, str]:
    conf = w["confidence"]
    dates = {k: v for k, v in conf["date_precision"].items() if k != "approx_factor"}
    approx = float(conf["date_precision"].get("approx_factor", 1))
    return {
        "status": f"the event's status: {listing(conf['status_score'])}.",
        "sources": ("how many independent sources support it (an outlet and its syndicated copies count "
                    f"once); it grows with each one and is full at {conf['sources_saturation']}."),
        "reliability": ("how reliable those sources are together: 1 − the product of (1 − reliability) "
                        "over the independent sources, a hedged report counting half."),
        "first_party": "100% when the company itself said it (its newsroom, blog or a filing), else 0.",
        "date": (f"how exact the date is: {listing(dates, DATE_NAMES)}; an approximate date "
                 f"(\"about\", \"around\") is multiplied by {approx:g}."),
        "unhedged": "the share of independent sources whose report does not hedge (\"may\", \"reportedly\").",
        "attribution": (f"a named source 100%, no one named {pct(conf['unattributed'])}, unnamed sources "
                        f"(\"people familiar with\") {pct(conf['anonymous'])}."),
        "extraction": "how sure the extractor was of the sentence it read the event from.",
    }


def importance_items(w: dict[str, Any]) -> dict[str, str]:
    imp = w["importance"]
    return {
        "type": f"how much this type of event matters: {listing(imp['type'])}.",
        "centrality": (f"how central its entities are to the tracked topics: a company or product named in "
                       f"data/topics.toml {pct(imp['topic_entity'])}, another known entity "
                       f"{pct(imp['known_entity'])}, a name not yet in the gazetteer "
                       f"{pct(imp['candidate_entity'])} (the mean of its two most central entities)."),
        "mentions": (f"how many independent articles reported it; it grows with each one and is full at "
                     f"{imp['mentions_saturation']}."),
        "authority": (f"the reliability of its most authoritative source (the company itself counts "
                      f"{pct(imp['first_party_authority'])})."),
        "novelty": (f"news, not background: 100% when first reported soon after it happened, halving for "
                    f"every {imp['novelty_half_life_days']} days of delay, never below "
                    f"{pct(imp['novelty_floor'])}; an undated event gets {pct(imp['novelty_undated'])}."),
    }


def story_items(w: dict[str, Any]) -> dict[str, str]:
    story = w["story"]
    return {
        "lead": "the importance of its most important event.",
        "top": f"the mean importance of its {story['top_n']} most important events.",
        "volume": (f"how many independent articles reported its events; it grows with each one and is full "
                   f"at {story['mentions_saturation']}."),
    }


def weighted(items: dict[str, str], weights: dict[str, Any]) -> list[dict[str, str]]:
    """The items in the weights' order, each with its weight."""
    return [{"name": name, "weight": pct(weights[name]), "text": items.get(name, "")} for name in weights]


def score_guide(w: dict[str, Any]) -> list[dict[str, Any]]:
    """The sections of the guide: a title, paragraphs, and weighted components."""
    conf, imp, status = w["confidence"], w["importance"], w["stories"]["status"]
    return [
        {"title": "Confidence: how sure we are that it happened as stated",
         "paragraphs": [
             "Each component is a number from 0 to 1. Confidence adds them up, each times its weight "
             f"(the weights add up to {pct(sum(conf['weights'].values()))}), then multiplies the sum by a "
             "factor for the event's status: "
             f"{listing(conf['status_factor'])}. A denial does more than lower one component."],
         "components": weighted(confidence_items(w), conf["weights"])},
        {"title": "Importance: how much it matters to what is tracked",
         "paragraphs": [
             "The same kind of weighted sum, multiplied by a factor for the event's status: "
             f"{listing(imp['status_factor'])}. A repeat of a known fact adds a mention to its event, "
             "not a new event."],
         "components": weighted(importance_items(w), imp["weights"])},
        {"title": "Stories",
         "paragraphs": [
             "A story's importance is a weighted sum of three parts; its confidence is the mean of its "
             "events' confidence, the more important events weighing more. Superseded events are left "
             "out of both."],
         "components": weighted(story_items(w), w["story"]["importance_weights"])},
        {"title": "Developing, ongoing, dormant",
         "paragraphs": [
             f"A story is developing when its latest fact is at most {status['developing_days']} days old, "
             f"ongoing up to {status['dormant_days']} days, and dormant after that. The latest fact is the "
             "most recent date of its events (an undated event counts from its first report, and a date "
             "later than the first report, a plan, counts from the report). \"Now\" is the newest "
             "article's publication time, not the clock, so the same base always gives the same "
             "statuses."],
         "components": []},
        {"title": "Where to see it",
         "paragraphs": [
             "Every score on a page opens a short explanation built from its stored components "
             "(\"Confidence 88%: confirmed; stated by the company itself; 3 independent sources; exact "
             "date\"). The event page lists every component with its value and weight. Scores store "
             "their components and weights (score_components) with the formula version "
             f"({w['formula_version']}), so a score can always be explained; change a weight in "
             "data/weights.toml and run `kb rescore` to recompute them all."],
         "components": []},
    ]


def score_guide_markdown(w: dict[str, Any]) -> str:
    """The guide as a Markdown page (docs/scores.md)."""
    lines = ["# How scores are computed", "",
             "<!-- Generated by docs/gen_docs.py from data/weights.toml (kb/ledger/score_guide.py): "
             "do not edit; run `make docs`. -->", "",
             "The same text is served at `/-/scores`. The numbers below are those of "
             "`data/weights.toml`.", ""]
    for section in score_guide(w):
        lines += [f"## {section['title']}", ""]
        for paragraph in section["paragraphs"]:
            lines += [paragraph, ""]
        if section["components"]:
            lines += ["| component | weight | what it measures |", "|---|---|---|"]
            lines += [f"| `{c['name']}` | {c['weight']} | {c['text']} |" for c in section["components"]]
            lines.append("")
    return "\n".join(lines)
