"""Generate a realistic knowledge base (sources, articles, entities, events, stories) for tests and benchmarks.

Usage: .venv/bin/python bench/generate_db.py OUT.db [--events N] [--articles N] [--stories N] [--seed N]
       [--story-skew S]

Rows go through kb.db.open_db into the real schema, so triggers (FTS) and constraints apply.
A handful of anchor events carry real dates from the tracked topic, and a few hostile rows
(script tags, onerror attributes, a javascript: URL) test escaping on every page.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import sys
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from kb.core.event_types import EVENT_TYPES  # noqa: E402
from kb.dates.spans import date_span  # noqa: E402
from kb.ledger.scoring import load_weights  # noqa: E402
from kb.store.db import open_db  # noqa: E402
from kb.store.story_totals import ACTIVITY_SQL, drop_story_totals_triggers  # noqa: E402

HOSTILE_TITLE = "<script>alert('title')</script> Microsoft ships a model"
HOSTILE_TEXT = "Microsoft said <img src=x onerror=alert(1)> it released MAI-Image-2 on Tuesday."
HOSTILE_URL = "javascript:alert(document.cookie)"
HOSTILE_ENTITY = "<svg onload=alert(1)>"
HOSTILE_STORY = "<b onmouseover=alert(1)>Hostile story</b>"

SOURCES = [
    ("Microsoft AI blog", "https://microsoft.ai/news/feed", 0.9, 1),
    ("OpenAI news", "https://openai.com/news/rss.xml", 0.9, 1),
    ("The Microsoft blog", "https://blogs.microsoft.com/feed/", 0.9, 1),
    ("CNBC tech", "https://www.cnbc.com/technology/rss", 0.8, 0),
    ("Reuters technology", "https://www.reuters.com/technology/rss", 0.85, 0),
    ("The Verge AI", "https://www.theverge.com/ai/rss", 0.75, 0),
    ("TechCrunch AI", "https://techcrunch.com/category/ai/feed/", 0.7, 0),
    ("SiliconANGLE", "https://siliconangle.com/feed/", 0.65, 0),
    ("Bloomberg tech", "https://www.bloomberg.com/technology/rss", 0.85, 0),
    ("Industry newsletter", "https://newsletter.example.org/feed", 0.4, 0),
]

ENTITIES = [
    ("Microsoft", "ORG", ["MSFT", "Microsoft Corp."]), ("OpenAI", "ORG", ["OpenAI Group PBC"]),
    ("Microsoft AI", "ORG", []), ("Azure", "PRODUCT", ["Microsoft Azure"]),
    ("Microsoft Foundry", "PRODUCT", ["Azure AI Foundry"]), ("Copilot", "PRODUCT", []),
    ("ChatGPT", "PRODUCT", []), ("GPT-5", "PRODUCT", []), ("MAI-Voice-1", "PRODUCT", []),
    ("MAI-1-preview", "PRODUCT", []), ("MAI-Image-1", "PRODUCT", []),
    ("MAI-Image-2", "PRODUCT", []), ("MAI-Image-2-Efficient", "PRODUCT", []),
    ("Amazon Web Services", "ORG", ["AWS"]), ("Amazon Bedrock", "PRODUCT", ["Bedrock"]),
    ("Google", "ORG", []), ("Anthropic", "ORG", []), ("Nvidia", "ORG", []),
    ("Oracle", "ORG", []), ("SoftBank", "ORG", []), ("Stargate", "PRODUCT", []),
    ("CoreWeave", "ORG", []), ("Inflection AI", "ORG", ["Inflection"]),
    ("FTC", "ORG", ["Federal Trade Commission"]),
    ("UK Competition and Markets Authority", "ORG", ["CMA"]),
    ("The New York Times", "ORG", ["NYT"]), ("Satya Nadella", "PERSON", ["Nadella"]),
    ("Sam Altman", "PERSON", ["Altman"]), ("Mustafa Suleyman", "PERSON", ["Suleyman"]),
    ("Denise Dresser", "PERSON", []), ("Elon Musk", "PERSON", ["Musk"]),
    ("Kevin Scott", "PERSON", []), ("Brad Smith", "PERSON", []),
]

# (date, precision, mod, type, status, importance, sentence, entity names, story index)
ANCHORS = [
    ("2019-07-22", "day", None, "investment", "confirmed", 0.9,
     "Microsoft invested $1 billion in OpenAI and Azure became its exclusive cloud provider.",
     ["Microsoft", "OpenAI", "Azure"], 0),
    ("2024-03-19", "day", None, "personnel", "confirmed", 0.8,
     "Microsoft hired Mustafa Suleyman to lead a new consumer unit called Microsoft AI.",
     ["Microsoft", "Mustafa Suleyman", "Microsoft AI", "Inflection AI"], 1),
    ("2024", "season", "MID", "competition", "reported", 0.7,
     "Microsoft listed OpenAI among its competitors in AI offerings and search advertising.",
     ["Microsoft", "OpenAI"], 2),
    ("2025-08-28", "day", None, "release", "confirmed", 0.85,
     "Microsoft AI released MAI-Voice-1 and MAI-1-preview, its first in-house models.",
     ["Microsoft AI", "MAI-Voice-1", "MAI-1-preview"], 1),
    ("2025-10-13", "day", None, "release", "confirmed", 0.75,
     "Microsoft announced MAI-Image-1, its first in-house text-to-image model.",
     ["Microsoft", "MAI-Image-1"], 1),
    ("2026-04", "month", "START", "release", "confirmed", 0.8,
     "Microsoft released MAI-Image-2, its flagship in-house image model.",
     ["Microsoft", "MAI-Image-2"], 1),
    ("2026-04-14", "day", None, "release", "confirmed", 0.9,
     "Microsoft released MAI-Image-2-Efficient in Microsoft Foundry at $19.50 per million output tokens.",
     ["Microsoft", "MAI-Image-2-Efficient", "Microsoft Foundry"], 1),
    ("2026-04", "month", "MID", "statement", "reported", 0.8,
     "An OpenAI memo from Denise Dresser said the Microsoft partnership limited its reach to enterprise customers.",
     ["OpenAI", "Denise Dresser", "Microsoft", "Amazon Bedrock"], 2),
]

STORY_TITLES = [
    "The Microsoft–OpenAI partnership", "Microsoft's in-house MAI models",
    "Strains in the Microsoft–OpenAI relationship", "OpenAI's compute beyond Azure",
    "Copyright lawsuits over AI training", "Regulators look at AI partnerships",
    "OpenAI's recapitalization", "AI pricing war", "Copilot everywhere",
    "Leadership changes at OpenAI", "AI data center spending", "Image model race",
]

TEMPLATES = {
    "release": "{a} released {p}, a new model available in {b}.",
    "investment": "{a} agreed to invest {money} in {b}.",
    "partnership": "{a} and {b} announced a partnership around {p}.",
    "competition": "{a} now competes directly with {b} on {p}.",
    "personnel": "{person} joined {a} to lead work on {p}.",
    "legal": "{b} sued {a} over the use of {p}.",
    "regulatory": "{b} opened a review of the deal between {a} and its partners.",
    "corporate": "{a} completed a restructuring that changes its ties with {b}.",
    "statement": "{person} said the relationship between {a} and {b} is changing.",
    "pricing": "{a} cut the price of {p} to {money} per million tokens.",
}
FILLER = ("Analysts said the move could matter for enterprise customers. "
          "The company did not give further details. "
          "People familiar with the matter described the talks as ongoing. ")


def month_precision_value(date: str, precision: str, mod: str | None) -> tuple[str, str]:
    """The (date value, sort_date) of a generated date at the given precision."""
    if precision == "day":
        return date, date
    if precision == "month":
        return date[:7], date[:7] + ("-15" if mod == "MID" else "-01")
    return date[:4], date[:4] + ("-07-01" if mod == "MID" else "-01-01")


def random_date(rng: random.Random, start_year: int = 2019, end_year: int = 2026) -> str:
    """A day between January of start_year and April 2026, weighted towards recent years."""
    year = min(end_year, start_year + int((end_year - start_year + 1) * rng.random() ** 0.6))
    month = rng.randint(1, 4 if year == 2026 else 12)
    return f"{year}-{month:02d}-{rng.randint(1, 28):02d}"


def insert_reference_rows(db) -> tuple[dict[str, int], list[int]]:
    """Sources and entities (with aliases); return entity ids by name and source ids."""
    db["sources"].insert_all(
        {"name": name, "url": url, "reliability": rel, "first_party": fp}
        for name, url, rel, fp in SOURCES
    )
    source_ids = [r[0] for r in db.execute("SELECT id FROM sources ORDER BY id")]
    for name, etype, aliases in [*ENTITIES, (HOSTILE_ENTITY, "ORG", ["<i>alias</i>"])]:
        entity_id = db["entities"].insert(
            {"name": name, "type": etype, "status": "known",
             "description": f"{name} ({etype.lower()}) as tracked by the knowledge base."}
        ).last_pk
        db["entity_aliases"].insert_all({"entity_id": entity_id, "alias": a} for a in aliases)
    entity_ids = {name: eid for eid, name in db.execute("SELECT id, name FROM entities")}
    return entity_ids, source_ids


def article_rows(rng: random.Random, count: int, source_ids: list[int]) -> Iterator[dict]:
    """Articles with plausible titles, text and publication dates."""
    names = [e[0] for e in ENTITIES]
    for n in range(1, count + 1):
        a, b = rng.sample(names, 2)
        published = random_date(rng)
        hostile = n == 2
        yield {
            "id": n,
            "url": HOSTILE_URL if hostile else f"https://news.example.com/{published[:4]}/story-{n}",
            "canonical_url": f"https://news.example.com/{published[:4]}/story-{n}",
            "source_id": source_ids[n % len(source_ids)],
            "title": HOSTILE_TITLE if hostile else f"{a} and {b}: what changed on {published}",
            "published_at": published + "T09:00:00Z",
            "fetched_at": published + "T10:00:00Z",
            "text": (HOSTILE_TEXT + " " if hostile else "")
            + f"{a} and {b} were in the news on {published}. " + FILLER,
            "lang": "en", "relevant": 1, "status": "ok",
            "topics": '["microsoft-openai"]',
        }


WEIGHTS = load_weights()


def _saturating(count: int, saturation: float) -> float:
    return round(min(1.0, math.log1p(count) / math.log1p(max(saturation, 1))), 4)


def event_components(rng: random.Random, weights: dict, *, etype: str, status: str, precision: str | None,
                     sources: int, mentions: int, importance: float, confidence: float) -> str:
    """score_components in the shape kb/ledger/scoring.py stores, with values from the weights'
    tables (the totals stay the generated ones), so pages can explain generated scores."""
    conf, imp = weights["confidence"], weights["importance"]
    confidence_parts = {
        "status": conf["status_score"].get(status, 0.6), "sources": _saturating(sources, conf["sources_saturation"]),
        "reliability": round(0.5 + 0.5 * rng.random(), 4), "first_party": float(rng.random() < 0.2),
        "date": conf["date_precision"].get(precision or "none", 0.2), "unhedged": 0.5 if status == "rumored" else 1.0,
        "attribution": rng.choice([1.0, 1.0, float(conf["unattributed"]), float(conf["anonymous"])]),
        "extraction": round(0.7 + 0.3 * rng.random(), 4)}
    importance_parts = {
        "type": imp["type"].get(etype, 0.5), "centrality": rng.choice([1.0, 1.0, 0.4, 0.2]),
        "mentions": _saturating(mentions, imp["mentions_saturation"]), "authority": round(0.4 + 0.5 * rng.random(), 4),
        "novelty": round(max(float(imp["novelty_floor"]), rng.random()), 4)}

    def block(parts: dict, table: dict, score: float, factors: dict) -> dict:
        return {"components": {k: {"value": v, "weight": table[k]} for k, v in parts.items()},
                "score": score, "status_factor": factors.get(status, 1.0)}

    return json.dumps({"confidence": block(confidence_parts, conf["weights"], confidence, conf["status_factor"]),
                       "importance": block(importance_parts, imp["weights"], importance, imp["status_factor"])},
                      sort_keys=True, separators=(",", ":"))


def story_components(rng: random.Random, weights: dict, importance: float, confidence: float) -> str:
    """A generated story's score_components in the shape kb/stories/refresh.py stores."""
    table = weights["story"]["importance_weights"]
    parts = {"lead": round(min(1.0, importance + 0.1 * rng.random()), 4), "top": round(importance, 4),
             "volume": round(rng.random(), 4)}
    return json.dumps({"importance": {"components": {k: {"value": v, "weight": table[k]} for k, v in parts.items()},
                                      "score": importance},
                       "confidence": {"components": {"importance_weighted_mean": confidence}, "score": confidence}},
                      sort_keys=True, separators=(",", ":"))


def event_row(rng: random.Random, event_id: int, article: tuple[int, str, int], names: list[str],
              anchor: tuple | None = None) -> tuple[dict, list[str]]:
    """One events row and the names of its entities."""
    article_id, published, source_id = article
    if anchor:
        date, precision, mod, etype, status, importance, sentence, ents, _ = anchor
        value, sort_date = (date, date) if precision == "day" else (
            date, (date + "-15") if len(date) == 7 else date + "-07-01")
    else:
        etype = rng.choice(EVENT_TYPES)
        precision = rng.choices(["day", "month", "year"], weights=[8, 3, 1])[0]
        mod = rng.choice([None, None, "MID", "START", "END"]) if precision != "day" else None
        value, sort_date = month_precision_value(published[:10], precision, mod)
        ents = rng.sample(names, rng.randint(2, 3))
        sentence = TEMPLATES[etype].format(
            a=ents[0], b=ents[1], p=ents[-1], person=rng.choice(names),
            money=f"${rng.randint(1, 90)} billion")
        status = rng.choices(["reported", "confirmed", "rumored", "denied"], weights=[6, 3, 1, 0.3])[0]
        importance = round(rng.random() ** 1.5, 3)
    confidence = round(0.3 + 0.7 * rng.random(), 3)
    mentions = rng.randint(1, 12)
    # Dates and first-known time as the claim ledger computes them from the event's report
    # (its span, the article's publication time): a new report joining a generated event
    # then changes only what a new report changes (mentions, status, scores).
    span = date_span(value, mod)
    if span is not None:
        precision, sort_date = span.precision, span.start.isoformat()
    row = {
        "id": event_id, "type": etype, "article_id": article_id, "date": value, "date_mod": mod,
        "date_text": value, "date_source": "explicit", "date_precision": precision,
        "sort_date": sort_date, "date_start": span.start.isoformat() if span else None,
        "date_end": span.end.isoformat() if span else None,
        "sentence": sentence, "start": 0, "end": len(sentence),
        "status": status, "summary": sentence, "mentions": mentions,
        "sources": min(mentions, rng.randint(1, 6)),
        "first_reported_at": published, "first_reported_by": source_id,
        "known_at": published, "importance": importance,
        "confidence": confidence, "formula_version": "gen-1",
        # Seeded by the three draws the components used to take, so every generated base keeps
        # the events it had.
        "score_components": event_components(
            random.Random(f"{rng.random()} {rng.random()} {rng.random()}"), WEIGHTS, etype=etype, status=status,
            precision=precision, sources=min(mentions, 6), mentions=mentions, importance=importance,
            confidence=confidence),
        "updated_at": published,
    }
    return row, ents


# Story sizes follow Zipf's law with this exponent: the k-th largest story holds a share of
# events proportional to 1 / k**skew. The default 1.0 (kept for the recorded Datasette figures)
# is more skewed than what the claim ledger makes of a synthetic corpus (bench/synth.py + kb
# ingest, 3,000 articles: 96 stories, the largest 4% of the events, the ten largest 31%, a
# fitted slope of -0.53), which REALISTIC_STORY_SKEW matches; 1.0 gives 19% and 57% there.
STORY_SKEW = 1.0
REALISTIC_STORY_SKEW = 0.5


def generate(db_path: str | Path, *, events: int = 2000, articles: int = 400, stories: int = 12,
             seed: int = 1, mentions: bool = True, story_skew: float = STORY_SKEW) -> dict[str, int]:
    """Write a generated knowledge base to `db_path` (a new file); return row counts."""
    rng = random.Random(seed)
    db = open_db(db_path)
    db.execute("PRAGMA synchronous = OFF")
    drop_story_totals_triggers(db)  # bulk rows first; index_for_ledger fills the totals at the end
    entity_ids, source_ids = insert_reference_rows(db)
    db["articles"].insert_all(article_rows(rng, articles, source_ids), batch_size=2000)
    article_info = [tuple(r) for r in db.execute(
        "SELECT id, published_at, source_id FROM articles ORDER BY id")]
    story_count = max(stories, 3)
    for n in range(story_count):
        title = HOSTILE_STORY if n == story_count - 1 else (
            STORY_TITLES[n] if n < len(STORY_TITLES) else f"{STORY_TITLES[n % len(STORY_TITLES)]} ({n})")
        db["stories"].insert({
            "id": n + 1, "title": title,
            "overview": f"Events in the story \"{title}\", as reported and merged by the knowledge base.",
            "status": rng.choice(["developing", "developing", "ongoing", "dormant"]),
            "importance": (story_importance := round(rng.random(), 3)),
            "confidence": (story_confidence := round(0.4 + 0.6 * rng.random(), 3)),
            "score_components": story_components(random.Random(-n - 1), WEIGHTS, story_importance,
                                                 story_confidence),
        })
    names = [e[0] for e in ENTITIES] + [HOSTILE_ENTITY]
    outlets = set(load_weights()["matching"].get("outlet_entities", []))
    entity_rows: list[dict] = []
    story_rows: list[dict] = []
    # Story sizes are skewed: a few large stories, a long tail of small ones.
    story_weights = [1 / (n + 1) ** story_skew for n in range(story_count)]

    def all_events() -> Iterator[dict]:
        for event_id in range(1, events + 1):
            anchor = ANCHORS[event_id - 1] if event_id <= len(ANCHORS) else None
            article = article_info[(event_id * 7919) % len(article_info)] if not anchor \
                else article_info[event_id % len(article_info)]
            row, ents = event_row(rng, event_id, article, names, anchor)
            if event_id == len(ANCHORS) + 1:
                row["sentence"] = row["summary"] = HOSTILE_TEXT
                row["article_id"] = 2
                row["known_at"] = row["first_reported_at"] = row["updated_at"] = article_info[1][1]
                ents = [*ents[:1], HOSTILE_ENTITY]
            # News outlets are who reported, not what happened: the ledger leaves them out.
            for role_index, name in enumerate(n for n in dict.fromkeys(ents) if n not in outlets):
                entity_rows.append({"event_id": event_id, "entity_id": entity_ids[name],
                                    "role": "agent" if role_index == 0 else "participant"})
            story = anchor[8] + 1 if anchor else (
                rng.choices(range(1, story_count + 1), weights=story_weights)[0]
                if rng.random() < 0.85 else None)
            if story:
                story_rows.append({"story_id": story, "event_id": event_id,
                                   "added_at": row["known_at"]})
            yield row

    batch: list[dict] = []
    for row in all_events():
        batch.append(row)
        if len(batch) >= 5000:
            flush(db, batch, entity_rows, story_rows)
    flush(db, batch, entity_rows, story_rows)
    db.execute("""
        UPDATE stories SET
          mentions = (SELECT coalesce(sum(e.mentions), 0) FROM story_events se
                      JOIN events e ON e.id = se.event_id WHERE se.story_id = stories.id),
          first_seen = (SELECT min(e.sort_date) FROM story_events se
                        JOIN events e ON e.id = se.event_id WHERE se.story_id = stories.id),
          updated_at = (SELECT max(e.known_at) FROM story_events se
                        JOIN events e ON e.id = se.event_id WHERE se.story_id = stories.id)
    """)
    if mentions:
        insert_mentions(db, entity_ids)
        insert_event_reports(db)
    mark_analysed(db)
    index_for_ledger(db)
    db.execute(f"""UPDATE stories SET activity_date = ({ACTIVITY_SQL.format(story='stories.id')}),
                   events = coalesce((SELECT live_events FROM story_totals WHERE story_id = stories.id), 0)""")
    add_dedupe_keys(db, rng)
    db.conn.commit()
    db.execute("PRAGMA synchronous = NORMAL")
    counts = {t: db[t].count for t in ("articles", "events", "stories", "entities", "mentions")}
    db.execute("ANALYZE")
    db.conn.close()
    return counts


def insert_event_reports(db, chunk: int = 50_000) -> None:
    """One report (event mention) per event, in its lead article, linked to it as the claim
    ledger links reports, so that the ledger can recompute a generated event."""
    from collections import Counter

    from kb.ledger.reports import sentence_fingerprint

    ordinals: Counter = Counter()
    last = 0
    while True:
        events = db.execute(
            """SELECT e.id, e.article_id, e.type, e.date, e.date_mod, e.date_text, e.sentence, e.start, e."end",
                      e.confidence, a.published_at FROM events e JOIN articles a ON a.id = e.article_id
               WHERE e.id > ? ORDER BY e.id LIMIT ?""", [last, chunk]).fetchall()
        if not events:
            break
        entities: dict[int, list[dict]] = {}
        for event_id, entity_id, role, name, kind in db.execute(
                """SELECT ee.event_id, ee.entity_id, ee.role, en.name, en.type FROM event_entities ee
                   JOIN entities en ON en.id = ee.entity_id WHERE ee.event_id BETWEEN ? AND ?
                   ORDER BY ee.event_id, ee.role, ee.entity_id""", [events[0][0], events[-1][0]]):
            entities.setdefault(event_id, []).append(
                {"entity_id": entity_id, "name": name, "label": kind, "role": role})
        mentions, links = [], []
        for event_id, article_id, etype, date, mod, text, sentence, start, end, confidence, published in events:
            mentions.append((article_id, event_id, etype, date, mod, text, "explicit", sentence, 0, start, end,
                             confidence, json.dumps(entities.get(event_id, []))))
            base = f"{etype}:{sentence_fingerprint(sentence)}"
            ordinals[(article_id, base)] += 1
            links.append((article_id, f"{base}:{ordinals[(article_id, base)] - 1}", event_id, article_id, published))
        db.conn.executemany(
            """INSERT INTO event_mentions (article_id, event_id, type, date, date_mod, date_text, date_source,
                   sentence, sentence_index, start, "end", confidence, entities)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""", mentions)
        db.conn.executemany(
            "INSERT OR IGNORE INTO event_links (article_id, mention_key, event_id, original_article_id, known_at) "
            "VALUES (?, ?, ?, ?, ?)", links)
        last = events[-1][0]


def add_dedupe_keys(db, rng: random.Random) -> None:
    """Give each article the content hash and LSH band keys ingest would have stored, so
    that duplicate lookups in a generated base search indexes of a real base's size and
    shape (generated texts are near copies of each other, so band keys are random)."""
    from ingest.fingerprints import BANDS, content_hash

    db.conn.executemany("UPDATE articles SET content_hash = ? WHERE id = ?",
                        [(content_hash(text), article_id) for article_id, text in
                         db.execute("SELECT id, text FROM articles").fetchall()])
    ids = [row[0] for row in db.execute("SELECT id FROM articles ORDER BY id")]
    for start in range(0, len(ids), 10_000):
        db.conn.executemany("INSERT INTO article_bands (article_id, band, key) VALUES (?, ?, ?)",
                            [(article_id, band, rng.getrandbits(63)) for article_id in ids[start:start + 10_000]
                             for band in range(BANDS)])


def mark_analysed(db) -> None:
    """Record the articles as analysed by the current NLP version, as in a real knowledge base
    (otherwise the next `kb ingest` would analyse the whole generated base)."""
    from kb.nlp.pipeline import load_settings, nlp_version

    db.execute("UPDATE articles SET processed_at = fetched_at, nlp_version = ?", [nlp_version(load_settings())])


def index_for_ledger(db) -> None:
    """The lookup tables the claim ledger and story assignment keep current as they go (story
    totals, event keys, story entities, first mentions), so that adding articles to a generated base finds
    its events and stories by index as it would in a real one."""
    from kb.ledger.merge import rebuild_event_keys
    from kb.ledger.scoring import load_weights
    from kb.store.story_totals import rebuild_story_totals
    from kb.stories.story_index import rebuild_story_index
    from kb.stories.text import rebuild_first_mentions

    weights = load_weights()
    rebuild_story_totals(db)
    rebuild_event_keys(db, weights)
    rebuild_story_index(db, weights)
    rebuild_first_mentions(db)
    mark_overviews_current(db, weights)


def mark_overviews_current(db, weights: dict) -> None:
    """Let each generated title and overview stand for the ones the ledger would have written
    from the story's text events (as a real base's are): a refresh rewrites them when those
    change."""
    from kb.stories.refresh import (
        entity_edit_count,
        main_section,
        overview_key,
        text_event_ids,
        text_events_of,
        text_key,
    )

    limit = int(weights["stories"].get("text_events", 200))
    rows = []
    for (story_id,) in db.execute("SELECT id FROM stories ORDER BY id").fetchall():
        ids = text_event_ids(db, story_id, limit)
        rows.append([overview_key(text_events_of(db, ids), weights),
                     text_key(ids, main_section(db, story_id, weights), weights, entity_edit_count(db)), story_id])
    db.conn.executemany("UPDATE stories SET overview_key = ?, text_key = ? WHERE id = ?", rows)


def flush(db, batch: list[dict], entity_rows: list[dict], story_rows: list[dict]) -> None:
    """Insert a batch of events with their entity and story links, then clear the buffers."""
    db["events"].insert_all(batch, batch_size=1000)
    db["event_entities"].insert_all(entity_rows, batch_size=2000)
    db["story_events"].insert_all(story_rows, batch_size=2000)
    batch.clear()
    entity_rows.clear()
    story_rows.clear()


def insert_mentions(db, entity_ids: dict[str, int]) -> None:
    """Entity mentions and DATE timexes found by plain string search in each article's text."""
    rows, timexes = [], []
    for article_id, text in db.execute("SELECT id, text FROM articles"):
        for name, entity_id in entity_ids.items():
            at = text.find(name)
            if at >= 0:
                rows.append({"article_id": article_id, "entity_id": entity_id, "label": "ORG",
                             "start": at, "end": at + len(name), "text": name})
        marker = " in the news on "
        at = text.find(marker)
        if at >= 0:
            start = at + len(marker)
            timexes.append({"article_id": article_id, "start": start, "end": start + 10,
                            "text": text[start:start + 10], "type": "DATE",
                            "value": text[start:start + 10]})
    db["mentions"].insert_all(rows, batch_size=5000)
    db["timexes"].insert_all(timexes, batch_size=5000)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out")
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--articles", type=int, default=400)
    parser.add_argument("--stories", type=int, default=12)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--story-skew", type=float, default=STORY_SKEW,
                        help=f"Zipf exponent of story sizes (default {STORY_SKEW}; {REALISTIC_STORY_SKEW} is as the ledger makes).")
    parser.add_argument("--no-mentions", action="store_true", help="Skip mentions and timexes.")
    args = parser.parse_args()
    out = Path(args.out)
    if out.exists():
        sys.exit(f"{out} exists: remove it first")
    started = time.perf_counter()
    counts = generate(out, events=args.events, articles=args.articles, stories=args.stories,
                      seed=args.seed, mentions=not args.no_mentions, story_skew=args.story_skew)
    print(f"wrote {out} in {time.perf_counter() - started:.1f}s: {counts}")


if __name__ == "__main__":
    main()
