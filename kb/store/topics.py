"""Decide which tracked topics an article belongs to, from keyword and entity rules."""

from __future__ import annotations

import json
import logging
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from kb.core.config import Topic, data_file, load_topics

log = logging.getLogger(__name__)


@dataclass
class TopicMatcher:
    """Compiled rules of one topic: one case-insensitive pattern over every phrase of every term."""

    topic: Topic
    pattern: re.Pattern
    term_of: dict[str, str]
    subjects: frozenset[str] = frozenset()

    def terms(self, text: str) -> list[str]:
        """The rule term of every match in `text`, in order (repeats kept)."""
        return [self.term_of.get(m.group(0).lower(), m.group(0).lower()) for m in self.pattern.finditer(text)]

    def score(self, text: str) -> tuple[int, list[str]]:
        """Number of distinct rule terms found in `text`, and which."""
        hits = set(self.terms(text))
        return len(hits), sorted(hits)

    def is_about_subject(self, title: str | None, text: str | None) -> bool:
        """Whether the headline names one of the topic's subjects and the body names it again at
        least `subject_mentions` times: the article is about it, however few other terms it has."""
        named = self.subjects.intersection(self.terms(title or ""))
        if not named:
            return False
        counts = Counter(self.terms(text or ""))
        return any(counts[term] >= self.topic.subject_mentions for term in named)

    def matches(self, title: str | None, text: str | None) -> bool:
        """Whether an article meets the topic's rule."""
        if self.score(f"{title or ''}\n{text or ''}")[0] >= self.topic.min_score:
            return True
        return self.is_about_subject(title, text)


def entity_aliases(gazetteer_path: Path | None = None) -> dict[str, list[str]]:
    """Canonical name -> aliases, read from the gazetteer if it exists."""
    path = gazetteer_path or data_file("gazetteer.jsonl")
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


def compile_topics(topics: list[Topic] | None = None,
                   gazetteer_path: Path | None = None) -> list[TopicMatcher]:
    """Matchers for every topic; entity rules match the entity's name or any alias."""
    topics = topics if topics is not None else load_topics()
    aliases = entity_aliases(gazetteer_path)
    matchers = []
    for topic in topics:
        term_of: dict[str, str] = {}
        for keyword in topic.keywords:
            term_of.setdefault(keyword.lower(), keyword.lower())
        for entity in [*topic.entities, *topic.subjects]:
            for name in [entity, *aliases.get(entity, [])]:
                term_of.setdefault(name.lower(), entity.lower())
        alternation = "|".join(re.escape(p) for p in sorted(term_of, key=len, reverse=True))
        # A name ends where no letter, digit or name-joining hyphen follows: "MAI-Image-2" is
        # not found inside "MAI-Image-20".
        pattern = re.compile(r"(?<![\w-])(?:" + alternation + r")(?![\w]|-\w)", re.IGNORECASE)
        subjects = frozenset(term_of.get(s.lower(), s.lower()) for s in topic.subjects)
        matchers.append(TopicMatcher(topic=topic, pattern=pattern, term_of=term_of, subjects=subjects))
    return matchers


def match_topics(matchers: list[TopicMatcher], title: str | None, text: str | None) -> list[str]:
    """Names of the topics whose rules the article meets."""
    return [m.topic.name for m in matchers if m.matches(title, text)]


def reevaluate_relevance(db, matchers: list[TopicMatcher] | None = None) -> list[int]:
    """Recompute `relevant` and `topics` of every stored article; return the ids whose relevance changed."""
    matchers = matchers if matchers is not None else compile_topics()
    changed: list[int] = []
    rows = db.execute("select id, title, text, topics from articles where status = 'ok'").fetchall()
    with db.conn:
        for article_id, title, text, old in rows:
            topics = json.dumps(match_topics(matchers, title, text))
            if topics != old:
                db.execute("update articles set topics = ?, relevant = ? where id = ?",
                           [topics, int(topics != "[]"), article_id])
                if (old == "[]") != (topics == "[]"):
                    changed.append(article_id)
    return changed
