"""Assemble the spaCy pipeline and analyze texts into entities, timexes and events."""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import logging
import re
from bisect import bisect_right
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import spacy
from spacy.language import Language
from spacy.tokens import Doc

# Importing a component's module registers its factory.
import kb.nlp.events.extractor  # noqa: F401 - kb_events
import kb.nlp.gazetteer  # noqa: F401 - kb_gazetteer, kb_quantities, kb_candidates
import kb.nlp.sentences  # noqa: F401 - kb_sentences
import kb.nlp.temporal.tagger  # noqa: F401 - kb_timex
from kb.core.config import NLP_SETTINGS, read_nlp_settings
from kb.core.errors import ConfigError
from kb.dates.timex import parse_iso_date
from kb.nlp.candidates import DEFAULT_CANDIDATES
from kb.nlp.events.clauses import DEFAULT_RULES
from kb.nlp.events.lexicon import DEFAULT_TRIGGERS
from kb.nlp.events.sentence_parts import AMOUNT_LABELS  # noqa: F401 - for kb.jobs.analyse
from kb.nlp.gazetteer import default_gazetteer_path
from kb.nlp.product_references import resolve_product_references
from kb.nlp.quantities import DEFAULT_QUANTITIES
from kb.nlp.temporal.rules import PATTERNS_PATH
from kb.nlp.temporal.vocab import VOCAB_PATH

log = logging.getLogger(__name__)

# Components added before a trained base's "ner", in contract order.
COMPONENTS = ("kb_timex", "kb_gazetteer", "kb_quantities", "kb_candidates")
SKIP_NOT_ENGLISH = "not_english"
WORDS = re.compile(r"[^\W\d_]+")


@dataclass(frozen=True)
class NLPSettings:
    """The settings of data/nlp.toml."""

    path: Path
    version: str
    base: str
    chunk_chars: int
    batch_size: int
    min_stopword_ratio: float
    min_words: int
    stopwords: frozenset[str]


def load_settings(path: str | Path | None = None) -> NLPSettings:
    """Read data/nlp.toml (or `path`)."""
    path = Path(path or NLP_SETTINGS)
    data = read_nlp_settings(path)
    language = data.get("language", {})
    try:
        return NLPSettings(
            path=path,
            version=str(data.get("version", "1")),
            base=str(data.get("base", "") or ""),
            chunk_chars=int(data.get("chunk_chars", 100_000)),
            batch_size=int(data.get("batch_size", 32)),
            min_stopword_ratio=float(language.get("min_stopword_ratio", 0.18)),
            min_words=int(language.get("min_words", 25)),
            stopwords=frozenset(w.lower() for w in language.get("stopwords", [])),
        )
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{path}: invalid setting: {exc}") from exc


def data_files(settings: NLPSettings) -> list[Path]:
    """Every data file the pipeline reads (the gazetteer may be overridden by $KB_GAZETTEER)."""
    return [
        settings.path, VOCAB_PATH, PATTERNS_PATH, default_gazetteer_path(), DEFAULT_QUANTITIES,
        DEFAULT_CANDIDATES, DEFAULT_TRIGGERS, DEFAULT_RULES,
    ]


def nlp_version(settings: NLPSettings | None = None) -> str:
    """The version string stored with each analysis: settings version + digest of the data files."""
    settings = settings or load_settings()
    digest = hashlib.sha1()
    for path in data_files(settings):
        if path.exists():
            digest.update(path.read_bytes())
    return f"{settings.version}+{digest.hexdigest()[:10]}"


def _base_pipeline(settings: NLPSettings) -> Language:
    """spacy.blank("en"), or the installed trained pipeline named in the settings."""
    if settings.base:
        if spacy.util.is_package(settings.base):
            return spacy.load(settings.base)
        log.warning("nlp base %r is not installed; using spacy.blank('en')", settings.base)
    return spacy.blank("en")


def build_nlp(config_path: str | Path | None = None) -> Language:
    """The analysis pipeline: sentences, timexes, gazetteer, quantities, candidates, events."""
    settings = load_settings(config_path)
    nlp = _base_pipeline(settings)
    before = {"before": "ner"} if "ner" in nlp.pipe_names else {}
    if not any(name in nlp.pipe_names for name in ("parser", "senter", "sentencizer")):
        nlp.add_pipe("kb_sentences", first=True, config={"settings_path": str(settings.path)})
    for factory in COMPONENTS:
        nlp.add_pipe(factory, **before)
    if not Doc.has_extension("published"):
        Doc.set_extension("published", default=None)
    nlp.add_pipe("kb_events")
    # Components load their data in initialize(); called directly because spaCy's own
    # nlp.initialize() validates settings and needs training examples we do not have.
    for _, component in nlp.pipeline:
        initialize = getattr(component, "initialize", None)
        if callable(initialize):
            initialize(lambda: [], nlp=nlp)
    return nlp


@functools.lru_cache(maxsize=2)
def shared_nlp(config_path: str | None = None) -> Language:
    """A pipeline built once per process and settings file."""
    return build_nlp(config_path)


def is_english(text: str, settings: NLPSettings) -> bool:
    """A cheap test: the share of common English function words among the first words."""
    words = WORDS.findall(text[:20_000].lower())
    if len(words) < settings.min_words:
        return True
    hits = sum(1 for w in words if w in settings.stopwords)
    return hits / len(words) >= settings.min_stopword_ratio


def _split_long(text: str, start: int, end: int, limit: int) -> list[tuple[int, int]]:
    """Cut text[start:end] into pieces of at most `limit` characters at line, sentence or word ends."""
    pieces = []
    while end - start > limit:
        cut = -1
        for sep in ("\n", ". ", " "):
            pos = text.rfind(sep, start + limit // 2, start + limit)
            if pos != -1:
                cut = pos + len(sep)
                break
        if cut == -1:
            cut = start + limit
        pieces.append((start, cut))
        start = cut
    pieces.append((start, end))
    return pieces


def chunk_text(text: str, limit: int) -> list[tuple[int, int]]:
    """(start, end) chunks of at most `limit` characters, cut on paragraph boundaries."""
    if len(text) <= limit:
        return [(0, len(text))]
    bounds = [0] + [m.end() for m in re.finditer(r"\n\s*\n", text)] + [len(text)]
    pieces: list[tuple[int, int]] = []
    for start, end in zip(bounds, bounds[1:], strict=False):
        if end - start > limit:
            pieces.extend(_split_long(text, start, end, limit))
        elif end > start:
            pieces.append((start, end))
    chunks = []
    start, end = pieces[0]
    for piece_start, piece_end in pieces[1:]:
        if piece_end - start <= limit:
            end = piece_end
        else:
            chunks.append((start, end))
            start, end = piece_start, piece_end
    chunks.append((start, end))
    return chunks


def _as_date(published: Any) -> dt.date | None:
    if published is None or published == "":
        return None
    if isinstance(published, dt.datetime):
        return published.date()
    if isinstance(published, dt.date):
        return published
    return parse_iso_date(str(published))


def doc_result(doc: Doc, offset: int = 0, sentence_offset: int = 0) -> tuple[dict, int]:
    """The `kb extract` JSON of one doc, shifted by a chunk offset; also its sentence count."""
    if doc.has_annotation("SENT_START"):
        starts = [s.start_char for s in doc.sents]
    else:
        starts = [0]

    def sentence_of(char: int) -> int:
        return sentence_offset + max(bisect_right(starts, char) - 1, 0)

    entities = [
        {
            "text": e.text,
            "start": e.start_char + offset,
            "end": e.end_char + offset,
            "label": e.label_,
            "entity": e.kb_id_ or None,
            "sentence_index": sentence_of(e.start_char),
        }
        for e in doc.ents
    ]
    timexes = [
        {
            "text": t.text,
            "start": t.start + offset,
            "end": t.end + offset,
            "type": t.type,
            "value": t.value,
            "mod": t.mod,
            "sentence_index": sentence_of(t.start),
        }
        for t in (doc._.timexes or [] if Doc.has_extension("timexes") else [])
    ]
    shifted: dict[str, list[dict]] = {"events": [], "context": []}
    for key, items in (("events", doc._.events), ("context", doc._.event_context)):
        for item in items or []:
            item = dict(item)
            item["start"] += offset
            item["end"] += offset
            item["sentence_index"] += sentence_offset
            shifted[key].append(item)
    return {"entities": entities, "timexes": timexes, **shifted}, len(starts)


def empty_result(skipped: str | None = None) -> dict:
    """A result with no findings (and the reason when the text was skipped)."""
    result: dict[str, Any] = {"entities": [], "timexes": [], "events": [], "context": []}
    if skipped:
        result["skipped"] = skipped
    return result


def analyze_many(
    items: Iterable[dict],
    *,
    batch_size: int | None = None,
    nlp: Language | None = None,
    settings: NLPSettings | None = None,
) -> Iterator[dict]:
    """Analyze {"text", "published", ...} items in order; each result keeps the item's "id"."""
    settings = settings or load_settings()
    nlp = nlp or shared_nlp()
    batch_size = batch_size or settings.batch_size

    def docs() -> Iterator[tuple[Doc, tuple[int, int, int, dict]]]:
        for item in items:
            text = item.get("text") or ""
            published = _as_date(item.get("published"))
            skipped = None
            if text.strip() and not is_english(text, settings):
                skipped = SKIP_NOT_ENGLISH
            chunks = [] if skipped or not text.strip() else chunk_text(text, settings.chunk_chars)
            if not chunks:
                yield nlp.make_doc(""), (0, 0, 1, {**item, "_skipped": skipped, "_empty": True})
                continue
            for number, (start, end) in enumerate(chunks):
                doc = nlp.make_doc(text[start:end])
                doc._.published = published
                yield doc, (start, number, len(chunks), item)

    pending: dict | None = None
    sentences = 0
    for doc, (offset, number, total, item) in nlp.pipe(docs(), as_tuples=True, batch_size=batch_size):
        if item.get("_empty"):
            result = empty_result(item.get("_skipped"))
        else:
            part, count = doc_result(doc, offset, sentences if number else 0)
            if number == 0:
                pending, sentences = part, count
            else:
                for key in ("entities", "timexes", "events", "context"):
                    pending[key].extend(part[key])
                sentences += count
            if number < total - 1:
                continue
            result, pending = resolve_product_references(pending), None
        if "id" in item:
            result = {"id": item["id"], **result}
        yield result


def analyze(text: str, published: Any = None, *, nlp: Language | None = None) -> dict:
    """The `kb extract` JSON of one text: entities, timexes and events with character offsets."""
    return next(analyze_many([{"text": text, "published": published}], nlp=nlp))
