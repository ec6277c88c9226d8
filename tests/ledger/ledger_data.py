"""Build ledger test data in a real database: sources, articles, entities and event mentions."""

from __future__ import annotations

import json
from collections.abc import Iterable

import sqlite_utils

PRODUCTS = {"MAI-Image-1", "MAI-Image-2", "MAI-Image-2-Efficient", "MAI-Voice-1", "MAI-1-preview",
            "Bing Image Creator", "Microsoft Foundry", "Amazon Bedrock", "GPT-5"}
PEOPLE = {"Denise Dresser", "Sam Altman", "Satya Nadella", "Mustafa Suleyman", "Robin Okafor", "Avery Lund"}


class Corpus:
    """Insert rows the way ingest and analysis would, with short helper calls."""

    def __init__(self, db: sqlite_utils.Database):
        self.db = db
        self._sources: dict[str, int] = {}
        self._entities: dict[str, int] = {}

    def source(self, name: str, reliability: float = 0.75, first_party: bool = False) -> int:
        if name not in self._sources:
            self._sources[name] = self.db["sources"].insert(
                {"name": name, "url": f"https://{name.lower().replace(' ', '')}.example/feed",
                 "reliability": reliability, "first_party": int(first_party)}).last_pk
        return self._sources[name]

    def entity(self, name: str) -> int:
        if name not in self._entities:
            kind = "PRODUCT" if name in PRODUCTS else "PERSON" if name in PEOPLE else "ORG"
            self._entities[name] = self.db["entities"].insert({"name": name, "type": kind}).last_pk
        return self._entities[name]

    def article(self, source: str, published: str, slug: str, duplicate_of: int | None = None,
                title: str | None = None) -> int:
        return self.db["articles"].insert({
            "url": f"https://{source.lower().replace(' ', '')}.example/{slug}",
            "canonical_url": f"https://{source.lower().replace(' ', '')}.example/{slug}",
            "source_id": self._sources[source], "title": title or slug.replace("-", " "),
            "published_at": published, "fetched_at": published, "status": "ok",
            "duplicate_of": duplicate_of, "text": "",
        }).last_pk

    def mention(self, article_id: int, type: str, sentence: str, entities: Iterable[str | tuple[str, str]],
                date: str | None = None, date_mod: str | None = None, hedged: bool = False,
                denial: bool = False, negated: bool = False, attributed_to: str | None = None,
                confidence: float = 0.8, start: int = 0, date_source: str | None = None) -> int:
        items = []
        for entity in entities:
            name, role = entity if isinstance(entity, tuple) else (entity, "participant")
            items.append({"entity_id": self.entity(name), "name": name, "label": "ORG", "role": role})
        return self.db["event_mentions"].insert({
            "article_id": article_id, "type": type, "date": date, "date_mod": date_mod,
            "date_text": date, "date_source": date_source or ("explicit" if date else "none"), "sentence": sentence,
            "sentence_index": 0, "start": start, "end": start + len(sentence), "hedged": int(hedged),
            "negated": int(negated), "denial": int(denial), "attributed_to": attributed_to,
            "confidence": confidence, "entities": json.dumps(items),
        }).last_pk

    def replace_mentions(self, article_id: int, rows: list[dict]) -> None:
        """What reprocessing does: delete an article's mentions, insert them again."""
        self.db.execute("DELETE FROM event_mentions WHERE article_id = ?", [article_id])
        for row in rows:
            row = {k: v for k, v in row.items() if k not in ("id", "event_id")}
            self.db["event_mentions"].insert(row)
        self.db.conn.commit()

    def mentions_of(self, article_id: int) -> list[dict]:
        return list(self.db.query("SELECT * FROM event_mentions WHERE article_id = ? ORDER BY id", [article_id]))


def event_of(db: sqlite_utils.Database, mention_id: int) -> dict:
    """The event a mention was merged into."""
    event_id = db.execute("SELECT event_id FROM event_mentions WHERE id = ?", [mention_id]).fetchone()[0]
    assert event_id is not None, f"mention {mention_id} is not attached to an event"
    return dict(next(db.query("SELECT * FROM events WHERE id = ?", [event_id])))


def story_of(db: sqlite_utils.Database, event_id: int) -> int:
    row = db.execute("SELECT story_id FROM story_events WHERE event_id = ?", [event_id]).fetchone()
    assert row is not None, f"event {event_id} is in no story"
    return row[0]


def mai_and_partnership_corpus(db: sqlite_utils.Database) -> dict[str, int]:
    """A small corpus like the sample: MAI releases, partnership strain, a rumor and its denial.

    Returns the mention ids by name.
    """
    c = Corpus(db)
    c.source("Cloudline Daily", 0.8)
    c.source("Northbeam Review", 0.75)
    c.source("Signal Stack", 0.55)
    c.source("Newsroom Wire", 0.9, first_party=True)
    m: dict[str, int] = {}
    a = c.article("Newsroom Wire", "2025-08-28T09:00:00-07:00", "mai-voice-1")
    m["voice_wire"] = c.mention(a, "release", "Microsoft AI today released MAI-Voice-1 and MAI-1-preview, its first in-house models.",
                                [("Microsoft AI", "agent"), ("MAI-Voice-1", "product"), ("MAI-1-preview", "product")], "2025-08-28")
    a = c.article("Cloudline Daily", "2025-08-29T07:00:00Z", "mai-voice-1-first-models")
    m["voice_cloud"] = c.mention(a, "release", "Microsoft AI released MAI-Voice-1 and MAI-1-preview on Thursday.",
                                 [("Microsoft AI", "agent"), ("MAI-Voice-1", "product"), ("MAI-1-preview", "product")], "2025-08-28")
    a = c.article("Newsroom Wire", "2025-10-13T09:00:00-07:00", "mai-image-1")
    m["image1_wire"] = c.mention(a, "release", "Microsoft AI today announced MAI-Image-1, its first in-house text-to-image model.",
                                 [("Microsoft AI", "agent"), ("MAI-Image-1", "product")], "2025-10-13")
    a = c.article("Signal Stack", "2025-10-14T10:00:00Z", "mai-image-1-arrives")
    m["image1_signal"] = c.mention(a, "release", "Microsoft AI launched MAI-Image-1 on Monday.",
                                   [("Microsoft AI", "agent"), ("MAI-Image-1", "product")], "2025-10-13")
    a = c.article("Cloudline Daily", "2025-10-28T12:00:00Z", "openai-recapitalization")
    m["recap"] = c.mention(a, "corporate", "OpenAI completed its recapitalization, and Microsoft holds a stake of about 27% in OpenAI Group PBC.",
                           [("OpenAI", "agent"), ("Microsoft", "partner")], "2025-10-28")
    a = c.article("Northbeam Review", "2025-11-04T12:00:00Z", "openai-aws-deal")
    m["aws"] = c.mention(a, "partnership", "OpenAI signed a seven-year, $38 billion deal with Amazon Web Services on Monday, widening its distance from Microsoft.",
                         [("OpenAI", "agent"), ("Amazon Web Services", "partner"), ("Microsoft", "participant")], "2025-11-03")
    a = c.article("Cloudline Daily", "2026-02-27T12:00:00Z", "openai-models-on-bedrock")
    m["bedrock"] = c.mention(a, "partnership", "OpenAI and Amazon announced a partnership that brings OpenAI models to Amazon Bedrock, a further step away from Microsoft.",
                             [("OpenAI", "agent"), ("Amazon", "partner"), ("Amazon Bedrock", "product"), ("Microsoft", "participant")], "2026-02", "LATE")
    a = c.article("Newsroom Wire", "2026-04-02T09:00:00-07:00", "mai-image-2")
    m["image2_wire"] = c.mention(a, "release", "Microsoft AI today released MAI-Image-2, its flagship image model.",
                                 [("Microsoft AI", "agent"), ("MAI-Image-2", "product")], "2026-04-02")
    a = c.article("Signal Stack", "2026-04-09T18:00:00Z", "bing-default-rumor")
    m["rumor"] = c.mention(a, "release", "Microsoft could make MAI-Image-2 the default model in Bing Image Creator before the end of April, according to people familiar with the plan.",
                           [("Microsoft", "agent"), ("MAI-Image-2", "product"), ("Bing Image Creator", "product")],
                           "2026-04", "END", hedged=True, attributed_to="people familiar with the plan")
    a = c.article("Newsroom Wire", "2026-04-14T09:00:00-07:00", "mai-image-2-efficient")
    m["efficient_wire"] = c.mention(a, "release", "Microsoft AI today launched MAI-Image-2-Efficient, priced at $19.50 per million output tokens.",
                                    [("Microsoft AI", "agent"), ("MAI-Image-2-Efficient", "product"), ("Microsoft Foundry", "product")], "2026-04-14")
    cloud = c.article("Cloudline Daily", "2026-04-14T15:00:00Z", "mai-image-2-efficient-launch")
    m["efficient_cloud"] = c.mention(cloud, "release", "Microsoft launched MAI-Image-2-Efficient on Tuesday in Microsoft Foundry.",
                                     [("Microsoft", "agent"), ("MAI-Image-2-Efficient", "product"), ("Microsoft Foundry", "product")], "2026-04-14")
    copy = c.article("Signal Stack", "2026-04-15T08:00:00Z", "mai-image-2-efficient-copy", duplicate_of=cloud)
    m["efficient_copy"] = c.mention(copy, "release", "Microsoft launched MAI-Image-2-Efficient on Tuesday in Microsoft Foundry.",
                                    [("Microsoft", "agent"), ("MAI-Image-2-Efficient", "product"), ("Microsoft Foundry", "product")], "2026-04-14")
    a = c.article("Northbeam Review", "2026-04-16T12:00:00Z", "mai-image-2-efficient-analysis")
    m["efficient_north"] = c.mention(a, "release", "MAI-Image-2-Efficient, which Microsoft AI released this week, is cheaper than MAI-Image-2.",
                                     [("Microsoft AI", "agent"), ("MAI-Image-2-Efficient", "product"), ("MAI-Image-2", "product")], "2026-04-14")
    a = c.article("Signal Stack", "2026-04-17T12:00:00Z", "dresser-memo")
    m["memo"] = c.mention(a, "statement", "OpenAI's chief revenue officer Denise Dresser wrote that the Microsoft partnership limited OpenAI's reach with enterprise customers, CNBC reported.",
                          [("OpenAI", "agent"), ("Denise Dresser", "agent"), ("Microsoft", "partner"), ("CNBC", "participant")],
                          "2026-04", "MID", attributed_to="CNBC")
    a = c.article("Newsroom Wire", "2026-04-20T15:30:00-07:00", "bing-statement")
    m["denial"] = c.mention(a, "statement", "Microsoft has no plans to make MAI-Image-2 the default model in Bing Image Creator this month, a Microsoft spokesperson said.",
                            [("Microsoft", "agent"), ("MAI-Image-2", "product"), ("Bing Image Creator", "product")],
                            "2026-04", denial=True, attributed_to="a Microsoft spokesperson")
    db.conn.commit()
    return m
