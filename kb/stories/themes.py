"""Storyline keys: which line of coverage an event belongs to, from its type, its entities and
the relations between them (data/storylines.toml, data/relations.toml).

A key is a function of the event alone (its type, sentence and named entities), so the
storylines made from keys do not depend on the order events arrive in. Keys read as
"theme|party[|more]": "maker|Microsoft AI", "deal|OpenAI|compute", "pair|Microsoft|OpenAI",
"case|Musk v. OpenAI", "claim|copyright", "review|Microsoft", "org|OpenAI" (its people and
corporate moves).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from kb.core.config import data_file, read_toml
from kb.core.errors import ConfigError
from kb.core.relations import Relations, default_relations
from kb.stories.profiles import family_of

STORYLINES_PATH = data_file("storylines.toml")
KEY_KINDS = ("legal", "review", "maker", "pair", "employer", "deal", "party")
SUBJECT_ROLES = ("agent", "partner", "product", "object")


@dataclass(frozen=True)
class Theme:
    name: str
    key: str
    types: frozenset[str]


@dataclass(frozen=True)
class PairLine:
    """One line of a partnership pair's coverage ([[pair_lines]]): the events whose sentence has
    one of `words` (none: the rest of the pair's deals), or, with `deal`, in which a partner of
    that [deal_fields] line acts (they join that party's line of deals)."""

    name: str
    words: tuple[str, ...] = ()
    deal: str = ""
    title: str = ""
    since: str = ""  # the era of the line: events dated from this day (ISO) ...
    until: str = ""  # ... up to this day; an undated event is of no era's line
    parties: frozenset[str] = frozenset()  # the one pair the line is of (an era is one pair's)

    def says(self, sentence: str) -> bool:
        text = sentence.lower()
        return any(w in text for w in self.words)

    def holds(self, date: str) -> bool:
        """Whether an event of this day is of the line's era."""
        if not (self.since or self.until):
            return True
        day = date[:10]
        return bool(day) and (not self.since or day >= self.since) and (not self.until or day <= self.until)


@dataclass(frozen=True)
class StorylineRules:
    """data/storylines.toml, read."""

    themes: tuple[Theme, ...]
    min_articles: int = 2
    link_articles: int = 2
    link_share: float = 0.5
    drift_gap_days: int = 0
    claims: dict[str, tuple[str, ...]] = field(default_factory=dict)
    deal_fields: dict[str, tuple[str, ...]] = field(default_factory=dict)
    titles: dict[str, str] = field(default_factory=dict)
    type_phrases: dict[str, str] = field(default_factory=dict)
    pair_lines: tuple[PairLine, ...] = ()

    def pair_line(self, name: str) -> PairLine | None:
        """The line of this name (the first with a title, when several eras share it)."""
        lines = [line for line in self.pair_lines if line.name == name]
        return next((line for line in lines if line.title), lines[0] if lines else None)

    def theme(self, key: str) -> Theme | None:
        kind = key.split("|", 1)[0]
        if kind == "pair" and key.count("|") >= 3 and any(t.key == "pair" for t in self.themes):
            return next(t for t in self.themes if t.key == "pair")
        kind = {"pair": "deal", "org": "employer", "case": "legal", "claim": "legal"}.get(kind, kind)
        return next((t for t in self.themes if t.key == kind), None)

    def rank(self, key: str) -> int:
        """Priority of a key's theme (lower first), for choosing between keys."""
        theme = self.theme(key)
        return self.themes.index(theme) if theme else len(self.themes)


def parse_rules(data: dict[str, Any], source: str) -> StorylineRules:
    themes = []
    for n, item in enumerate(data.get("themes", [])):
        if not isinstance(item, dict) or item.get("key") not in KEY_KINDS:
            raise ConfigError(f"{source}: themes[{n}]: key must be one of {', '.join(KEY_KINDS)}")
        themes.append(Theme(str(item.get("name", item["key"])), item["key"],
                            frozenset(item.get("types", []))))
    linking = data.get("linking", {})
    return StorylineRules(
        themes=tuple(themes),
        min_articles=int(data.get("min_articles", 2)),
        link_articles=int(linking.get("min_articles", 2)),
        link_share=float(linking.get("min_share", 0.5)),
        drift_gap_days=int(data.get("drift", {}).get("min_gap_days", 0)),
        claims={k: tuple(v) for k, v in data.get("claims", {}).items()},
        deal_fields={k: tuple(v) for k, v in data.get("deal_fields", {}).items()},
        titles=dict(data.get("titles", {})),
        type_phrases=dict(data.get("type_phrases", {})),
        pair_lines=tuple(PairLine(str(item["name"]), tuple(w.lower() for w in item.get("words", [])),
                                  str(item.get("deal", "")), str(item.get("title", "")),
                                  str(item.get("since", "")), str(item.get("until", "")),
                                  frozenset(item.get("parties", [])))
                         for item in data.get("pair_lines", [])),
    )


def load_rules(path: str | Path | None = None) -> StorylineRules:
    path = Path(path) if path else STORYLINES_PATH
    if not path.exists():
        raise ConfigError(f"{path}: the storyline rules are missing")
    return parse_rules(read_toml(path), str(path))


@lru_cache(maxsize=1)
def default_rules() -> StorylineRules:
    return load_rules()


@dataclass
class EventFacts:
    """What a storyline key reads of an event."""

    id: int
    type: str
    sentence: str
    article_id: int | None
    entities: list[tuple[str, str, str]]  # (name, entity type, role)
    recap: bool = False  # reported only as background (event_mentions.recap)
    date: str = ""  # the day of the fact (events.sort_date), for the era of a pair line

    def names(self, kinds: Iterable[str] = ("ORG", "PERSON", "PRODUCT")) -> dict[str, set[str]]:
        """Entity name -> roles, for entities of these types."""
        wanted = set(kinds)
        out: dict[str, set[str]] = {}
        for name, kind, role in self.entities:
            if kind in wanted:
                out.setdefault(name, set()).add(role)
        return out


# -- the parties ---------------------------------------------------------------------------


def top_parties(rel: Relations) -> set[str]:
    """The tracked parties that belong to no other (Microsoft and OpenAI, not Microsoft AI)."""
    return {p for p in rel.tracked_parties() if tracked_group(p, rel) in (None, p)}


def tracked_group(name: str, rel: Relations) -> str | None:
    """The tracked party `name` is, or belongs to (as maker, owner or employer), at the top."""
    tracked = rel.tracked_parties()
    group = rel.group_of(name)
    if group in tracked:
        return group
    return next((t for t in sorted(tracked) if rel.belongs_to(name, t)), None)


def line_owner(org: str, rel: Relations) -> str:
    """The organisation a product line or a staff belongs to: the maker or employer, lifted to
    one level below its top group ("MAI Superintelligence Team" -> "Microsoft AI")."""
    owners = rel.owners_of(org)
    return owners[-2] if len(owners) >= 2 else org


def maker_of(product: str, rel: Relations, family_parts: int = 1) -> str | None:
    """The maker of a product, or of a known product of the same family ("MAI-Transcribe-1")."""
    maker = rel.maker_of(product)
    if maker is not None:
        return maker
    family = family_of(product, "PRODUCT", family_parts) or product.split()[0].split("-")[0].lower()
    return _family_makers(rel, family_parts).get(family)


_FAMILY_MAKERS: dict[tuple[int, int], dict[str, str]] = {}


def _family_makers(rel: Relations, family_parts: int) -> dict[str, str]:
    """Product family -> its one maker, from the relations' products (memoised per relations)."""
    memo = _FAMILY_MAKERS.get((id(rel), family_parts))
    if memo is not None:
        return memo
    found: dict[str, set[str]] = {}
    for product, maker in rel.makers.items():
        family = (family_of(product, "PRODUCT", family_parts)
                  or (product.lower() if " " not in product else None))
        if family:
            found.setdefault(family, set()).add(maker)
    memo = {family: next(iter(makers)) for family, makers in found.items() if len(makers) == 1}
    _FAMILY_MAKERS[(id(rel), family_parts)] = memo
    return memo


def mutual_pair(groups: Iterable[str], rel: Relations) -> tuple[str, str] | None:
    """Two tracked parties that are each other's partners, sorted."""
    names = sorted(set(groups))
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            if b in rel.partners_of(a) and a in rel.partners_of(b):
                return a, b
    return None


def _vote(counts: Counter[str], prefer: set[str], rel: Relations | None = None) -> str | None:
    """The most counted name; ties: a preferred one, then the more specific organisation."""
    if not counts:
        return None
    return min(counts, key=lambda n: (-counts[n], n not in prefer,
                                      -len(rel.owners_of(n)) if rel else 0, n))


# -- one builder per kind of key -------------------------------------------------------------


def legal_key(event: EventFacts, rel: Relations, rules: StorylineRules) -> str | None:
    """A court case is its own line: a case of data/relations.toml [cases] whose plaintiff the
    event names ("case|Musk v. OpenAI"), else a plaintiff acting against a tracked party
    ("case|<plaintiff>"), else a claim of [claims] its sentence names ("claim|copyright"); other
    suits against a tracked party, or either of a partnership pair, are one line."""
    names = event.names()
    cases = rel.cases_between(names)
    if cases:
        return f"case|{cases[0]}"
    groups = {g for name in names if (g := tracked_group(name, rel))}
    plaintiffs = sorted(n for n, roles in names.items() if "agent" in roles and not tracked_group(n, rel)
                        and _kind(event, n) in ("ORG", "PERSON") and n not in rel.people)
    if groups and plaintiffs:
        return f"case|{plaintiffs[0]}"
    text = event.sentence.lower()
    claim = next((c for c, words in sorted(rules.claims.items()) if any(w in text for w in words)), None)
    if groups and claim:
        return f"claim|{claim}"
    if not groups:
        return None
    partners = {p for g in groups for p in rel.partners_of(g) if p in rel.tracked_parties()}
    pair = mutual_pair(groups | partners, rel)
    if pair and set(pair) & groups:
        return f"legal|{pair[0]}|{pair[1]}"
    return f"legal|{min(groups)}"


def review_key(event: EventFacts, rel: Relations, rules: StorylineRules) -> str | None:
    groups: dict[str, bool] = {}
    for name, roles in event.names().items():
        if group := tracked_group(name, rel):
            groups[group] = groups.get(group, False) or "object" in roles
    if not groups:
        return None
    return f"review|{min(groups, key=lambda g: (not groups[g], g))}"


def maker_key(event: EventFacts, rel: Relations, rules: StorylineRules) -> str | None:
    names = event.names()
    agents = {n for n, roles in names.items() if "agent" in roles and n in _orgs(event)}
    products = sorted({name for name, kind, _ in event.entities if kind == "PRODUCT"})
    # A named model of a family (MAI-Image-2, GPT-5) says more than the surfaces it ships in.
    models = [p for p in products if family_of(p, "PRODUCT", 1)]
    makers: Counter[str] = Counter()
    for name in models or products:
        if maker := maker_of(name, rel):
            makers[line_owner(maker, rel)] += 1
    prefer = {m for m in makers if any(rel.belongs_to(m, a) or rel.belongs_to(a, m) for a in agents)}
    makers_of_anything = {line_owner(m, rel) for m in rel.makers.values()}
    acting = sorted(line_owner(a, rel) for a in agents if line_owner(a, rel) in makers_of_anything)
    if not prefer and acting:  # a maker acting with others' parts (chips, hosts) ships its own line
        return f"maker|{min(acting, key=lambda a: (-len(rel.owners_of(a)), a))}"
    chosen = _vote(makers, prefer, rel)
    if chosen is None and agents:
        chosen = line_owner(min(agents, key=lambda a: (tracked_group(a, rel) is None, a)), rel)
    return f"maker|{chosen}" if chosen else None


def employer_key(event: EventFacts, rel: Relations, rules: StorylineRules) -> str | None:
    votes: Counter[str] = Counter()
    for name, roles in event.names(("PERSON", "ORG")).items():
        role = rel.people.get(name)
        if role is not None:
            votes[line_owner(role.org, rel)] += 1
        elif name in _orgs(event) and roles & {"agent", "object"}:
            votes[line_owner(name, rel)] += 1
    chosen = _vote(votes, {v for v in votes if tracked_group(v, rel)}, rel)
    return f"org|{chosen}" if chosen else None


def deal_key(event: EventFacts, rel: Relations, rules: StorylineRules) -> str | None:
    names = event.names()
    tracked: dict[str, set[str]] = {}
    others: set[str] = set()
    for name, roles in names.items():
        kind = _kind(event, name)
        group = tracked_group(name, rel) if kind != "PERSON" else None
        if group:
            tracked.setdefault(group, set()).update(roles)
        elif kind == "ORG":
            others.add(name)
    pair = mutual_pair(tracked, rel)
    acting = _pair_parties(event, rel)[1]
    if pair and all("agent" in tracked[p] for p in pair):
        return pair_line_key(event, pair, tracked, acting, rel, rules, worded_only=False)
    for party in sorted(tracked, key=lambda p: ("agent" not in tracked[p], p)):
        best = _vote(Counter({k: v for k, v in _deal_lines(party, others, rel, rules).items() if v}), set())
        if best:
            return f"deal|{party}|{best}"
    if pair:
        return pair_line_key(event, pair, tracked, acting, rel, rules, worded_only=False)
    return None


def _deal_lines(party: str, others: Iterable[str], rel: Relations, rules: StorylineRules) -> Counter[str]:
    """How many of these organisations each [deal_fields] line of the party's partners lists."""
    fields = rel.partners.get(party, {})
    matched: Counter[str] = Counter()
    for line, field_names in rules.deal_fields.items():
        listed = {n for f in field_names for n in fields.get(f, ())}
        matched[line] = sum(1 for o in others if any(
            o == n or rel.belongs_to(o, n) or rel.belongs_to(n, o) for n in listed))
    return matched


def _pair_parties(event: EventFacts, rel: Relations) -> tuple[dict[str, set[str]], set[str]]:
    """The tracked parties the event names (name -> roles) and the other organisations acting in it
    (a partner merely mentioned, an investor beside a new agreement, does not make it their deal)."""
    tracked: dict[str, set[str]] = {}
    others: set[str] = set()
    for name, roles in event.names().items():
        kind = _kind(event, name)
        group = tracked_group(name, rel) if kind != "PERSON" else None
        if group:
            tracked.setdefault(group, set()).update(roles)
        elif kind == "ORG" and "agent" in roles:
            others.add(name)
    return tracked, others


def pair_line_key(event: EventFacts, pair: tuple[str, str], tracked: dict[str, set[str]],
                  others: set[str], rel: Relations, rules: StorylineRules, worded_only: bool) -> str | None:
    """The line of a partnership pair's coverage the event is about ([[pair_lines]], the first that
    fits): a line of deals when it names a partner of that line ("deal|OpenAI|compute"), else
    "pair|A|B|line" by the words of its sentence; a line without words takes the pair's other
    deals of its era ("pair|A|B|investment"); a deal no line fits is the pair's: "pair|A|B"."""
    if not rules.pair_lines:
        return None if worded_only else f"pair|{pair[0]}|{pair[1]}"
    for line in rules.pair_lines:
        if not line.holds(event.date) or (line.parties and line.parties != set(pair)):
            continue
        if line.deal:
            counts = {p: _deal_lines(p, others, rel, rules)[line.deal] for p in pair}
            named = max(counts.values())
            if named or line.says(event.sentence):
                # the party whose partners of that line the event names, else the one with most such fields
                party = min(pair, key=lambda p: (-counts[p], -len(
                    set(rules.deal_fields.get(line.deal, ())) & set(rel.partners.get(p, {}))), p))
                return f"deal|{party}|{line.deal}"
        elif line.words and line.says(event.sentence):
            return f"pair|{pair[0]}|{pair[1]}|{line.name}"
        elif not line.words and not worded_only:
            return f"pair|{pair[0]}|{pair[1]}|{line.name}"
    return None if worded_only else f"pair|{pair[0]}|{pair[1]}"


def pair_key(event: EventFacts, rel: Relations, rules: StorylineRules) -> str | None:
    """A people's or corporate event naming both parties of a partnership pair, whose sentence says
    what line of theirs it is about (a board seat, a restructuring), is that line of the pair."""
    tracked, others = _pair_parties(event, rel)
    pair = mutual_pair(tracked, rel)
    return pair_line_key(event, pair, tracked, others, rel, rules, worded_only=True) if pair else None


def party_key(event: EventFacts, rel: Relations, rules: StorylineRules) -> str | None:
    roles: dict[str, set[str]] = {}
    for name, found in event.names(("ORG",)).items():
        if tracked_group(name, rel):
            roles.setdefault(line_owner(name, rel), set()).update(found)
    if not roles:
        return None
    return f"org|{min(roles, key=lambda g: ('agent' not in roles[g], -len(rel.owners_of(g)), g))}"


def _orgs(event: EventFacts) -> set[str]:
    return {name for name, kind, _ in event.entities if kind == "ORG"}


def _kind(event: EventFacts, name: str) -> str:
    return next(kind for n, kind, _ in event.entities if n == name)


BUILDERS: dict[str, Callable[[EventFacts, Relations, StorylineRules], str | None]] = {
    "legal": legal_key, "review": review_key, "maker": maker_key, "pair": pair_key,
    "employer": employer_key, "deal": deal_key, "party": party_key,
}


def own_key(event: EventFacts, rel: Relations | None = None,
            rules: StorylineRules | None = None) -> str | None:
    """The storyline key the event's own type and entities point to, or None."""
    rel = rel or default_relations()
    rules = rules or default_rules()
    if event.recap:  # background to its article: it takes the article's line, and gives it none
        return None
    for theme in rules.themes:
        if theme.types and event.type not in theme.types:
            continue
        key = BUILDERS[theme.key](event, rel, rules)
        if key:
            return key
    return None


def article_key(own_keys: Iterable[str], rules: StorylineRules) -> str | None:
    """The key most of an article's events have (ties: the theme first in the rules, then the key)."""
    counts = Counter(own_keys)
    if not counts:
        return None
    return min(counts, key=lambda k: (-counts[k], rules.rank(k), k))
