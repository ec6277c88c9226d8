"""Optional model-written prose for a story card (`kb stories write`).

The model is given only the card's facts and their numbered sources and must cite them as
[n]; every sentence of its answer without a valid citation is dropped, and citations become
"(Outlet, Apr 14)". The result is cached in `story_prose` per story version (a hash of exactly
what the model was given) and model, and the card shows it, marked as model-written, while the
story's facts stay the same. This module never calls a model: `kb stories write` (kb/cli)
passes one in, so nothing here needs the llm library.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from typing import Any

import sqlite_utils

from kb.core.time import utcnow

SUMMARY_SENTENCES = 3
OVERVIEW_SENTENCES = 6
MAX_FACTS = 24
_CITE = re.compile(r"\s*\[(\d+)\]")
_SPLIT = re.compile(r"(?<=[.!?])[\"”’)]?\s+|\n+")
_LIST_MARK = re.compile(r"^\s*(?:[-*•]|\d+[.)])\s+")

INSTRUCTIONS = {
    "summary": (
        "Write two or three sentences summarising this story for an analyst: the latest development, "
        "how the story got here, and why it matters to the companies involved."
    ),
    "overview": (
        "Write one paragraph of four to six sentences describing the latest development of this story "
        "in fluent prose."
    ),
}
RULES = (
    "Use only the facts listed below. End every sentence with the number of the source it comes from "
    "in square brackets, like [n]. Do not add anything the facts do not say."
)
CLOSING = "Answer with the prose only, without a heading or a list."


def prose_material(card: dict[str, Any]) -> dict[str, Any]:
    """What the model is given: the card's facts, each with the number of its source."""
    sources: list[dict[str, Any]] = []
    index: dict[int, int] = {}
    facts: list[dict[str, Any]] = []

    def number(cite: dict[str, Any]) -> int:
        if cite["article_id"] not in index:
            sources.append(
                {
                    "source": cite["source"],
                    "date": cite["date"],
                    "title": cite["title"],
                    "url": cite["url"],
                    "label": cite["label"],
                    "article_id": cite["article_id"],
                }
            )
            index[cite["article_id"]] = len(sources)
        return index[cite["article_id"]]

    def add(text: str, cites: list[dict[str, Any]], date: str | None = None) -> None:
        if text and cites and len(facts) < MAX_FACTS:
            facts.append({"text": " ".join(text.split()), "date": date, "source": number(cites[0])})

    for fact in card["key_facts"]:
        add(fact["text"], fact["sources"], fact["date"])
    for sheet in card["fact_sheets"]:
        for name, value in sheet["fields"].items():
            for item in value if isinstance(value, list) else [value]:
                if item and item.get("sources") and isinstance(item.get("value"), str):
                    add(f"{sheet['name']} {name.replace('_', ' ')}: {item['value']}", item["sources"])
    for item in card["strategic_context"] + card["legal_watch"]:
        add(item["text"], item["sources"], item.get("date"))
    for item in card["competitive_implications"]:
        add(f"For {item['party']}: {item['text']}", item["sources"])
    return {"story": card["title"], "facts": facts, "sources": sources}


def story_version(material: dict[str, Any]) -> str:
    """A short hash of what the model is given: the prose is rewritten only when it changes."""
    blob = json.dumps(material, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:16]


def build_prompt(material: dict[str, Any], part: str) -> str:
    lines = [INSTRUCTIONS[part], RULES, "", f"Story: {material['story']}", "", "Facts:"]
    lines += [
        f"- {f['text'].rstrip('.…!? ')} [{f['source']}]."
        for f in material["facts"]
    ]
    lines += ["", "Sources:"]
    lines += [
        f"[{i}] {s['source']}, {s['date'] or 'undated'}: {s['title']}"
        for i, s in enumerate(material["sources"], 1)
    ]
    lines += ["", CLOSING]
    return "\n".join(lines)


def keep_cited(answer: str, sources: list[dict[str, Any]], limit: int) -> tuple[str, int]:
    """The answer's sentences that cite a listed source, citations written "(Outlet, Apr 14)";
    with the number of sentences dropped for citing nothing (or a source not listed)."""
    text = answer.replace("\\n", "\n")  # an answer quoted as JSON keeps its line breaks
    kept: list[str] = []
    dropped = 0
    for piece in _SPLIT.split(text):
        sentence = _LIST_MARK.sub("", piece).strip()
        if not sentence:
            continue
        numbers = [int(n) for n in _CITE.findall(sentence)]
        if not numbers or any(not 1 <= n <= len(sources) for n in numbers) or sentence.startswith("["):
            dropped += 1
            continue
        if len(kept) == limit:
            continue
        label = sources[numbers[0] - 1]["label"]
        body = _CITE.sub("", sentence).rstrip(" .") + "."
        kept.append(f"{body[:-1]} {label}.")
    return " ".join(kept), dropped


def write_prose(
    db: sqlite_utils.Database,
    card: dict[str, Any],
    model_id: str,
    ask: Callable[[str], str],
    force: bool = False,
) -> dict[str, Any]:
    """The story's model-written summary and overview: from the cache when this version was
    written by this model, else asked of `ask` (prompt -> answer) and stored. The caller commits."""
    material = prose_material(card)
    version = story_version(material)
    if not force:
        cached = db.execute(
            "SELECT summary, overview, dropped, written_at FROM story_prose "
            "WHERE story_id = ? AND version = ? AND model = ?",
            [card["id"], version, model_id],
        ).fetchone()
        if cached:
            return {
                "model": model_id,
                "version": version,
                "summary": cached[0],
                "overview": cached[1],
                "dropped": cached[2],
                "written_at": cached[3],
                "cached": True,
            }
    summary, dropped_summary = keep_cited(
        ask(build_prompt(material, "summary")), material["sources"], SUMMARY_SENTENCES
    )
    overview, dropped_overview = keep_cited(
        ask(build_prompt(material, "overview")), material["sources"], OVERVIEW_SENTENCES
    )
    now = utcnow()
    db.execute(
        "INSERT OR REPLACE INTO story_prose (story_id, version, model, summary, overview, dropped, "
        "written_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        [card["id"], version, model_id, summary, overview, dropped_summary + dropped_overview, now],
    )
    return {
        "model": model_id,
        "version": version,
        "summary": summary,
        "overview": overview,
        "dropped": dropped_summary + dropped_overview,
        "written_at": now,
        "cached": False,
    }


def cached_prose(db: sqlite_utils.Database, card: dict[str, Any]) -> dict[str, Any] | None:
    """The model-written prose of the card's current version, if `kb stories write` wrote it."""
    version = story_version(prose_material(card))
    row = db.execute(
        "SELECT model, summary, overview, written_at FROM story_prose WHERE story_id = ? "
        "AND version = ? ORDER BY written_at DESC LIMIT 1",
        [card["id"], version],
    ).fetchone()
    if row is None:
        return None
    return {
        "model": row[0],
        "version": version,
        "summary": row[1],
        "overview": row[2],
        "written_at": row[3],
        "model_written": True,
    }
