"""The headline as the article's own lead sentence: one more report of the event its lead (first
body) sentence states, never an event of its own (docs/extraction.md, "The headline")."""

from __future__ import annotations

from kb.jobs.article_body import ArticleBody
from kb.nlp.pipeline import analyze_many
from kb.nlp.product_references import headline_products, resolve_product_references

# The sentence index a headline report is stored with: before the body's first sentence (0).
HEADLINE_SENTENCE = -1
SENTENCE_END = (".", "!", "?", '"', "”", "'", "’", ":")


def as_sentence(title: str) -> str:
    """A headline as the sentence it stands for: headlines drop the final period, which the
    event rules read as the end of a statement."""
    title = " ".join(title.split())
    return title if not title or title.endswith(SENTENCE_END) else f"{title}."


def _names(event: dict) -> set[str]:
    return set(event.get("entities") or ())


def lead_starts(article: ArticleBody) -> tuple[int, ...]:
    """Where the lead may start in the analysed body: its first sentence, and the sentence a
    dateline opens (pages often put a deck or standfirst before the dateline's paragraph)."""
    body, starts = article.body, [0]
    for start, _ in article.datelines:
        for body_start, article_start, next_start in zip(
                body.body_starts, body.article_starts, (*body.body_starts[1:], None), strict=True):
            offset = body_start + start - article_start
            if start >= article_start and (next_start is None or offset < next_start):
                starts.append(offset)
                break
    return tuple(sorted(set(starts)))


def lead_events(body: dict, starts: tuple[int, ...] = (0,)) -> list[dict]:
    """The events of the lead: of the sentences holding one of the `starts`, in order."""
    return [e for e in body.get("events") or () if any(e["start"] <= at < e["end"] for at in starts)]


def _joins(said: dict, lead: dict) -> bool:
    """Whether a headline's event states the lead's: the same type, polarity and denial, and at
    least one participant in common."""
    return (said.get("type") == lead.get("type")
            and bool(said.get("negated")) == bool(lead.get("negated"))
            and bool(said.get("denial")) == bool(lead.get("denial"))
            and bool(_names(said) & _names(lead)))


def headline_reports(title: str | None, headline: dict | None, body: dict,
                     starts: tuple[int, ...] = (0,)) -> list[dict]:
    """The headline's reports of the lead's events, as event dicts of the analysis result.

    `headline` is the analysis result of the title alone, `body` that of the body (offsets and
    sentence indexes of the body). A headline event joins the lead event of its type sharing
    the most participants with it: the report takes the lead's date, hedging, attribution and
    recap flag (a headline seldom dates what it says), its participants are the lead's plus the
    headline's own, and its sentence is the headline. A headline event no lead event matches,
    or a headline whose lead states no event, makes nothing. At most one report per lead event.
    """
    if not title or not headline or not headline.get("events"):
        return []
    leads = lead_events(body, starts)
    known = {e["entity"] for e in headline.get("entities", ()) if e.get("entity")}
    reports: list[dict] = []
    joined: set[int] = set()
    for said in headline["events"]:
        ranked = sorted(((len(_names(said) & _names(lead)), -i, i) for i, lead in enumerate(leads)
                         if i not in joined and _joins(said, lead)), reverse=True)
        if not ranked:
            continue
        index = ranked[0][2]
        joined.add(index)
        lead = leads[index]
        # Unknown names from a headline are left out: a headline in title case capitalises every
        # word ("Musk Sues OpenAI for Breach of Founding Contract" names no "Breach of ...").
        entities = list(lead["entities"]) + [n for n in said["entities"]
                                             if n not in lead["entities"] and n in known]
        roles = {name: role for name, role in {**said.get("roles", {}), **lead.get("roles", {})}.items()
                 if name in entities}
        reports.append({
            **lead, "entities": entities, "roles": roles, "sentence": title,
            "sentence_index": HEADLINE_SENTENCE, "start": 0, "end": 0,
            "lead_sentence": lead["sentence_index"],
        })
    return reports


def headline_labels(headline: dict, body: dict, reports: list[dict]) -> list[dict]:
    """The entity mentions of the lead sentence and the headline, moved to the headline's
    sentence index: what labels a headline report's participants when it is stored (not stored
    as mentions themselves: the headline is not in the article's text)."""
    lead = {r["lead_sentence"] for r in reports}
    found = [e for e in body.get("entities", ()) if e.get("sentence_index") in lead]
    found += headline.get("entities", ())
    return [{**e, "sentence_index": HEADLINE_SENTENCE} for e in found]


def with_headlines(items: list[dict], results: list[dict], batch_size: int) -> list[dict]:
    """The results with the headline's reports of each lead's events ("headline_events", and
    "headline_entities" to label their participants); headline_reports says which."""
    titled = [(item, result) for item, result in zip(items, results, strict=True)
              if item.get("headline") and result.get("events") and "error" not in result]
    if not titled:
        return results
    said = analyze_many(({"text": as_sentence(item["headline"]), "published": item.get("published")}
                         for item, _ in titled), batch_size=batch_size)
    for (item, result), headline in zip(titled, said, strict=True):
        # "The new model costs ..." with no model named before it: the headline may name it.
        resolve_product_references(result, headline_products=headline_products(headline))
        reports = headline_reports(item["headline"], headline, result, item.get("lead_starts", (0,)))
        if reports:
            result["headline_events"] = reports
            result["headline_entities"] = headline_labels(headline, result, reports)
    return results
