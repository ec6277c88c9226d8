"""What the analysis reads of an article: the body blocks of its stored text (ingest.blocks), and
its findings moved back onto the stored text, with the dateline cut from evidence sentences."""

from __future__ import annotations

from dataclasses import dataclass

import sqlite_utils

from ingest.blocks import BodyText, body_text
from kb.store.articles import read_blocks


@dataclass(frozen=True)
class ArticleBody:
    """An article's body for analysis and its datelines, as (start, end) in the stored text."""

    body: BodyText
    datelines: tuple[tuple[int, int], ...] = ()


def article_bodies(db: sqlite_utils.Database, texts: dict[int, str],
                   body_kinds: frozenset[str]) -> dict[int, ArticleBody]:
    """The body of each article (id -> stored text), its blocks of `body_kinds`: the whole text
    when it has no blocks."""
    blocks = read_blocks(db, list(texts))
    bodies = {}
    for article_id, text in texts.items():
        own = blocks.get(article_id, [])
        bodies[article_id] = ArticleBody(
            body_text(text or "", own, body_kinds),
            tuple((b.start, b.end) for b in own if b.kind == "dateline"))
    return bodies


def _cut_dateline(event: dict, datelines: tuple[tuple[int, int], ...]) -> None:
    """Start an event's evidence sentence after the dateline it opens with (in place)."""
    for start, end in datelines:
        if start <= event["start"] < end < event["end"]:
            rest = event["sentence"][end - event["start"]:]
            kept = rest.lstrip()
            event["start"] = event["end"] - len(kept)
            event["sentence"] = kept
            return


def on_article_text(result: dict, article: ArticleBody) -> dict:
    """An analysis result of the body with its offsets moved onto the stored text (in place)."""
    body = article.body
    if not body.same_offsets:
        for key in ("entities", "timexes", "events"):
            for item in result.get(key, ()):
                item["start"], item["end"] = (body.article_offset(item["start"]),
                                              body.article_offset(item["end"], end=True))
    if article.datelines:
        for event in result.get("events", ()):
            _cut_dateline(event, article.datelines)
    return result
