"""Decide which tracked topics an article belongs to, from keyword and entity rules."""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from pathlib import Path

from kb.config import DATA_DIR, Topic, load_topics

log = logging.getLogger(__name__)


@dataclass
class TopicMatcher:
    """Compiled rules of one topic: each term is a case-insensitive whole-word pattern."""

    topic: Topic
    terms: dict[str, re.Pattern]

    def score(self, text: str) -> tuple[int, list[str]]:
        """Number of distinct rule terms found in `text`, and which."""
        hits = [name for name, pattern in self.terms.items() if pattern.search(text)]
        return len(hits), hits


def term_pattern(term: str) -> re.Pattern:
    # A name ends where no letter, digit or name-joining hyphen follows: "MAI-Image-2" is
    # not found inside "MAI-Image-20".
    return re.compile(r"(?<![\w-])" + re.escape(term) + r"(?![\w]|-\w)", re.IGNORECASE)


def entity_aliases(gazetteer_path: Path | None = None) -> dict[str, list[str]]:
    """Canonical name -> aliases, read from the gazetteer if it exists."""
    path = gazetteer_path or DATA_DIR / "gazetteer.jsonl"
    aliases: dict[str, list[str]] = {}
    if not path.exists():
        return aliases
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            try:
                record = json.loads(line)
            except ValueError:
                continue
            if isinstance(record, dict) and isinstance(record.get("name"), str):
                aliases[record["name"]] = [a for a in record.get("aliases", []) if isinstance(a, str)]
    return aliases


def compile_topics(topics: list[Topic] | None = None, gazetteer_path: Path | None = None) -> list[TopicMatcher]:
    """Matchers for every topic; entity rules match the entity's name or any alias."""
    topics = topics if topics is not None else load_topics()
    aliases = entity_aliases(gazetteer_path)
    matchers = []
    for topic in topics:
        terms: dict[str, re.Pattern] = {}
        for keyword in topic.keywords:
            terms[keyword.lower()] = term_pattern(keyword)
        for entity in topic.entities:
            names = [entity, *aliases.get(entity, [])]
            alternation = "|".join(re.escape(n) for n in sorted(set(names), key=len, reverse=True))
            terms.setdefault(entity.lower(), re.compile(r"(?<![\w-])(?:" + alternation + r")(?![\w]|-\w)", re.IGNORECASE))
        matchers.append(TopicMatcher(topic=topic, terms=terms))
    return matchers


def match_topics(matchers: list[TopicMatcher], title: str | None, text: str | None) -> list[str]:
    """Names of the topics whose rules the article meets."""
    body = f"{title or ''}\n{text or ''}"
    return [m.topic.name for m in matchers if m.score(body)[0] >= m.topic.min_score]
