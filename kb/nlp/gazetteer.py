"""The gazetteer: canonical entities from data/gazetteer.jsonl and the `kb_gazetteer` spaCy component.

Aliases match case-sensitively on characters, longest first. A name ends where the next
character is not a letter or digit; a hyphen followed by a capital letter or a digit continues
the name ("MAI-Image-2" does not match inside "MAI-Image-2-Efficient"), unless a known name
follows ("Microsoft-OpenAI"); a hyphen followed by a lowercase word is a compound
("OpenAI-backed"). A trailing possessive 's / ’s is left out of the span. Straight and curly
apostrophes, plain and non-breaking spaces and hyphens are interchangeable.
"""

from __future__ import annotations

import functools
import json
import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from spacy.language import Language
from spacy.tokens import Doc

from kb.core.config import data_file
from kb.core.errors import ConfigError
from kb.nlp.doc_text import doc_text
from kb.nlp.ent_spans import add_ents, char_span
from kb.nlp.regex_trie import trie_regex

# Importing this module registers all three entity components.
from kb.nlp import candidates as _candidates  # noqa: F401  isort: skip
from kb.nlp import quantities as _quantities  # noqa: F401  isort: skip

ENTITY_TYPES = ("ORG", "PERSON", "PRODUCT", "GPE", "LOC", "NORP", "FAC", "LAW", "EVENT", "WORK_OF_ART")
GAZETTEER_FILE = "gazetteer.jsonl"

# Characters that are written several ways in news text; the first one is canonical.
_VARIANTS = {"'": "'’", " ": " \u00a0", "-": "-\u2011"}
_NORMALIZE = str.maketrans({"’": "'", "\u00a0": " ", "\u2011": "-"})


def normalize_form(form: str) -> str:
    """A surface form with curly apostrophes, non-breaking spaces and hyphens made plain."""
    return form.translate(_NORMALIZE)


def default_gazetteer_path() -> Path:
    """gazetteer.jsonl of the data directory (kb.core.config.data_file), unless the
    $KB_GAZETTEER override names another file."""
    return Path(os.environ.get("KB_GAZETTEER") or data_file(GAZETTEER_FILE))


@dataclass
class GazetteerEntry:
    """One canonical entity: its name, type, aliases and how central it is to the topic."""

    name: str
    type: str
    aliases: list[str] = field(default_factory=list)
    wikidata: str | None = None
    description: str = ""
    topic_weight: float = 0.1
    shared_aliases: list[str] = field(default_factory=list)
    short_forms: list[str] = field(default_factory=list)

    @property
    def surface_forms(self) -> list[str]:
        """The canonical name followed by its aliases, without repeats."""
        return list(dict.fromkeys([self.name, *self.aliases]))

    def to_json(self) -> str:
        """The entry as one JSON line (without the newline)."""
        obj = {
            "name": self.name,
            "type": self.type,
            "aliases": self.aliases,
            "wikidata": self.wikidata,
            "description": self.description,
            "topic_weight": self.topic_weight,
        }
        if self.shared_aliases:
            obj["shared_aliases"] = self.shared_aliases
        if self.short_forms:
            obj["short_forms"] = self.short_forms
        return json.dumps(obj, ensure_ascii=False)


def parse_entry(obj: object, where: str) -> GazetteerEntry:
    """Validate one decoded JSON object; `where` names the file and line in errors."""
    if not isinstance(obj, dict):
        raise ConfigError(f"{where}: expected a JSON object")
    name = obj.get("name")
    if not isinstance(name, str) or not name.strip():
        raise ConfigError(f"{where}: 'name' must be a non-empty string")
    etype = obj.get("type")
    if etype not in ENTITY_TYPES:
        raise ConfigError(f"{where}: 'type' of {name!r} must be one of {', '.join(ENTITY_TYPES)}")
    aliases = obj.get("aliases", [])
    shared = obj.get("shared_aliases", [])
    short = obj.get("short_forms", [])
    for key, value in (("aliases", aliases), ("shared_aliases", shared), ("short_forms", short)):
        if not isinstance(value, list) or not all(isinstance(a, str) and a.strip() for a in value):
            raise ConfigError(f"{where}: {key!r} of {name!r} must be a list of non-empty strings")
    weight = obj.get("topic_weight", 0.1)
    if not isinstance(weight, int | float) or not 0 <= weight <= 1:
        raise ConfigError(f"{where}: 'topic_weight' of {name!r} must be a number from 0 to 1")
    wikidata = obj.get("wikidata")
    if wikidata is not None and not (isinstance(wikidata, str) and re.fullmatch(r"Q\d+", wikidata)):
        raise ConfigError(f"{where}: 'wikidata' of {name!r} must be null or like \"Q2283\"")
    unknown = set(obj) - {"name", "type", "aliases", "wikidata", "description", "topic_weight",
                          "shared_aliases", "short_forms"}
    if unknown:
        raise ConfigError(f"{where}: unknown keys {sorted(unknown)} for {name!r}")
    return GazetteerEntry(
        name=name, type=etype, aliases=list(aliases), wikidata=wikidata,
        description=str(obj.get("description") or ""), topic_weight=float(weight),
        shared_aliases=list(shared), short_forms=list(short),
    )


def parse_gazetteer_lines(lines: Iterable[str], source: str) -> list[GazetteerEntry]:
    """Parse JSONL text; blank lines and lines starting with # are skipped."""
    entries: list[GazetteerEntry] = []
    for number, line in enumerate(lines, start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        where = f"{source} line {number}"
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ConfigError(f"{where}: invalid JSON: {exc.msg} (column {exc.colno})") from exc
        entries.append(parse_entry(obj, where))
    check_gazetteer(entries, source)
    return entries


def load_gazetteer(path: str | Path | None = None) -> list[GazetteerEntry]:
    """Read and validate a gazetteer file (default: data/gazetteer.jsonl)."""
    path = Path(path) if path else default_gazetteer_path()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise ConfigError(f"{path}: gazetteer file not found") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read gazetteer: {exc}") from exc
    return parse_gazetteer_lines(text.splitlines(), str(path))


def check_gazetteer(entries: list[GazetteerEntry], source: str) -> None:
    """Names are unique; an alias belongs to one entity unless every owner lists it as shared."""
    names: set[str] = set()
    owners: dict[str, list[GazetteerEntry]] = {}
    for entry in entries:
        if entry.name in names:
            raise ConfigError(f"{source}: duplicate entity name {entry.name!r}")
        names.add(entry.name)
        for form in entry.surface_forms:
            owners.setdefault(normalize_form(form), []).append(entry)
    for form, group in owners.items():
        if len(group) > 1 and not all(form in [normalize_form(a) for a in e.shared_aliases] for e in group):
            listed = ", ".join(repr(e.name) for e in group)
            raise ConfigError(
                f"{source}: alias {form!r} belongs to {listed}; "
                "list it under 'shared_aliases' of each to allow that"
            )


def _expand_variants(form: str) -> set[str]:
    """The alias with each apostrophe, space and hyphen in all its written forms."""
    forms = {""}
    for ch in form:
        options = _VARIANTS.get(ch, ch)
        forms = {f + o for f in forms for o in options}
    return forms


def _trie_regex(forms: Iterable[str]) -> str:
    """A regex alternation shaped like a character trie; greedy, so the longest form wins."""
    trie: dict = {}
    for form in forms:
        node = trie
        for ch in form:
            node = node.setdefault(re.escape(ch), {})
        node[""] = {}
    return trie_regex(trie)


@functools.lru_cache(maxsize=256)
def _short_form_pattern(forms: tuple[str, ...]) -> re.Pattern:
    """Whole-word matches of a few short forms (possessive 's left out)."""
    variants = {v for form in forms for v in _expand_variants(form)}
    return re.compile(r"(?<!\w)(?:" + _trie_regex(variants) + r")(?=['’]s(?!\w)|(?![\w\-\u2011]))")


class AliasMatcher:
    """Finds gazetteer names in text: (start, end, entry) character ranges, longest first."""

    def __init__(self, entries: list[GazetteerEntry]):
        self.entries = entries
        self._by_form: dict[str, GazetteerEntry] = {}
        for entry in sorted(entries, key=lambda e: -e.topic_weight):
            for form in entry.surface_forms:
                self._by_form.setdefault(normalize_form(form), entry)
        forms = {v for form in self._by_form for v in _expand_variants(form)}
        if not forms:
            self._pattern = None
            return
        names = _trie_regex(forms)
        # After a name: a possessive, or a non-word character, where a hyphen continues the
        # name if a capital or digit follows, unless that is another known name.
        end = (
            r"(?=['’]s(?!\w)|(?!\w)(?![-\u2011][A-Z0-9])|[-\u2011](?:" + names + r")(?![\w]))"
        )
        self._pattern = re.compile(r"(?<!\w)(?:" + names + ")" + end)
        self._short_forms = {entry.name: self._short_forms_of(entry) for entry in entries}

    def _short_forms_of(self, entry: GazetteerEntry) -> list[str]:
        """Forms that stand for the entry once it has been named in the same text: its listed
        short forms and, for a person, the surname, unless they are names in their own right."""
        forms = list(entry.short_forms)
        words = entry.name.split()
        if entry.type == "PERSON" and len(words) >= 2 and words[-1][:1].isupper():
            forms.append(words[-1])
        return [f for f in dict.fromkeys(forms) if normalize_form(f) not in self._by_form]

    def find_short_forms(self, text: str, mentions: list[tuple[int, GazetteerEntry]]
                         ) -> Iterator[tuple[int, int, GazetteerEntry]]:
        """Short forms of entities named in the text, each resolved to the entity named most
        recently before it ("The New York Times ... the Times")."""
        owners: dict[str, list[tuple[int, GazetteerEntry]]] = {}
        for start, entry in mentions:
            for form in self._short_forms.get(entry.name, ()):
                owners.setdefault(normalize_form(form), []).append((start, entry))
        if not owners:
            return
        for match in _short_form_pattern(tuple(sorted(owners))).finditer(text):
            before = [(s, e) for s, e in owners[normalize_form(match.group())] if s < match.start()]
            if before:
                yield match.start(), match.end(), max(before, key=lambda item: item[0])[1]

    def find(self, text: str) -> Iterator[tuple[int, int, GazetteerEntry]]:
        """Yield non-overlapping matches in text order."""
        if self._pattern is None:
            return
        for match in self._pattern.finditer(text):
            entry = self._by_form.get(normalize_form(match.group()))
            if entry is not None:
                yield match.start(), match.end(), entry

    def resolve(self, name: str) -> GazetteerEntry | None:
        """The entry a surface form stands for, if any."""
        return self._by_form.get(normalize_form(name))


@Language.factory(
    "kb_gazetteer",
    default_config={"path": None, "overwrite_ents": False},
)
def make_gazetteer(nlp: Language, name: str, *, path: str | None, overwrite_ents: bool) -> GazetteerComponent:
    """Factory for the `kb_gazetteer` component."""
    return GazetteerComponent(nlp, name, path=path, overwrite_ents=overwrite_ents)


class GazetteerComponent:
    """Puts known entities in doc.ents with label = type and kb_id = canonical name."""

    def __init__(self, nlp: Language, name: str = "kb_gazetteer", *, path: str | None = None,
                 overwrite_ents: bool = False):
        self.nlp = nlp
        self.name = name
        self.path = path
        self.overwrite_ents = overwrite_ents
        self.matcher: AliasMatcher | None = None

    def initialize(self, get_examples=None, *, nlp: Language | None = None,
                   path: str | Path | None = None) -> None:
        """Load the gazetteer file (the `path` argument, the config path, or the default)."""
        self.set_entries(load_gazetteer(path or self.path))

    def set_entries(self, entries: list[GazetteerEntry]) -> None:
        """Replace the entries the component matches."""
        self.matcher = AliasMatcher(entries)

    @property
    def entries(self) -> list[GazetteerEntry]:
        """The loaded entries (loading the default file on first use)."""
        return self._ensure_matcher().entries

    def _ensure_matcher(self) -> AliasMatcher:
        if self.matcher is None:
            self.initialize()
        assert self.matcher is not None
        return self.matcher

    def __call__(self, doc: Doc) -> Doc:
        matcher = self._ensure_matcher()
        spans = []
        mentions = []
        text = doc_text(doc)
        for start, end, entry in matcher.find(text):
            span = char_span(doc, start, end, entry.type, entry.name)
            if span is not None:
                spans.append(span)
                mentions.append((start, entry))
        for start, end, entry in matcher.find_short_forms(text, mentions):
            span = char_span(doc, start, end, entry.type, entry.name)
            if span is not None:
                spans.append(span)  # add_ents drops any that overlap a full name
        add_ents(doc, spans, overwrite=self.overwrite_ents)
        return doc
