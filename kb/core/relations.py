"""The relations between the gazetteer's entities, read from data/relations.toml.

Who makes which product, which organisation belongs to which, who works where, the rivals,
partners and customers of the tracked parties, which platform hosts whose products, and the
parties of court cases. Titles, fact sheets and storylines read them so that they never name a
host or a reseller as a product's maker.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from kb.core.config import data_file, read_toml
from kb.core.errors import ConfigError

RELATIONS_PATH = data_file("relations.toml")
CASE_ROLES = ("plaintiffs", "defendants")


@dataclass(frozen=True)
class Role:
    """A person's organisation and role, as the coverage names them."""

    org: str
    role: str
    since: str | None = None
    until: str | None = None


@dataclass(frozen=True)
class Case:
    """A court case: its parties, court and claims."""

    name: str
    plaintiffs: tuple[str, ...]
    defendants: tuple[str, ...]
    court: str | None = None
    claims: tuple[str, ...] = ()

    @property
    def parties(self) -> tuple[str, ...]:
        return self.plaintiffs + self.defendants


@dataclass(frozen=True)
class Relations:
    """Every relation of the relations file, with the questions titles and cards ask."""

    makers: dict[str, str] = field(default_factory=dict)
    parents: dict[str, str] = field(default_factory=dict)
    people: dict[str, Role] = field(default_factory=dict)
    rivals: dict[str, dict[str, tuple[str, ...]]] = field(default_factory=dict)
    partners: dict[str, dict[str, tuple[str, ...]]] = field(default_factory=dict)
    customers: dict[str, tuple[str, ...]] = field(default_factory=dict)
    hosts: dict[str, tuple[str, ...]] = field(default_factory=dict)
    cases: dict[str, Case] = field(default_factory=dict)

    def maker_of(self, product: str) -> str | None:
        """The organisation that makes `product`, or None when the file does not say."""
        return self.makers.get(product)

    def owners_of(self, org: str) -> list[str]:
        """`org`'s parent, its parent's parent and so on, nearest first (no cycles)."""
        chain: list[str] = []
        current = self.parents.get(org)
        while current and current not in chain and current != org:
            chain.append(current)
            current = self.parents.get(current)
        return chain

    def group_of(self, name: str) -> str:
        """The top organisation `name` belongs to: itself for an unowned organisation, the
        maker's group for a product, the employer's group for a person."""
        org = self.makers.get(name) or (self.people[name].org if name in self.people else name)
        owners = self.owners_of(org)
        return owners[-1] if owners else org

    def belongs_to(self, name: str, org: str) -> bool:
        """True when `name` is `org`, or is made by, owned by or works for it (at any depth)."""
        if name == org:
            return True
        first = self.makers.get(name) or (self.people[name].org if name in self.people else None)
        if first is None:
            return org in self.owners_of(name)
        return first == org or org in self.owners_of(first)

    def can_release(self, agent: str, product: str) -> bool:
        """Whether `agent` may be named as the one who released `product`: its maker or an
        organisation the maker belongs to. A product the file knows nothing about allows any
        agent; a host of someone else's product never releases it."""
        maker = self.makers.get(product)
        if maker is None:
            return True
        return agent == maker or agent in self.owners_of(maker)

    def hosts_of(self, product: str) -> list[str]:
        """The platforms the file lists as hosting `product`."""
        return sorted(platform for platform, products in self.hosts.items() if product in products)

    def tracked_parties(self, with_customers: bool = False) -> set[str]:
        """The parties the file follows: those whose rivals or partners it lists (and, with
        `with_customers`, those whose customers it lists)."""
        return set(self.rivals) | set(self.partners) | (set(self.customers) if with_customers else set())

    def rivals_of(self, party: str) -> set[str]:
        return {name for names in self.rivals.get(party, {}).values() for name in names}

    def partners_of(self, party: str) -> set[str]:
        return {name for names in self.partners.get(party, {}).values() for name in names}

    def cases_of(self, name: str) -> list[Case]:
        """The cases where `name` is a party."""
        return [case for case in self.cases.values() if name in case.parties]

    def cases_between(self, names: Iterable[str]) -> list[str]:
        """The known cases a legal event naming these parties is about: a plaintiff and a
        defendant of the case are both among them (sorted by case name)."""
        named = set(names)
        return sorted(case.name for case in self.cases.values()
                      if named & set(case.plaintiffs) and named & set(case.defendants))

    def names(self) -> set[str]:
        """Every entity name the file uses (for checking them against the gazetteer)."""
        found = set(self.makers) | set(self.makers.values()) | set(self.parents)
        found |= set(self.parents.values()) | set(self.people)
        found |= {role.org for role in self.people.values()}
        for table in (self.rivals, self.partners):
            found |= set(table)
            found |= {name for fields in table.values() for names in fields.values() for name in names}
        found |= set(self.customers) | set(self.hosts)
        found |= {name for names in self.hosts.values() for name in names}
        for case in self.cases.values():
            found |= {case.name, *case.parties} | ({case.court} if case.court else set())
        return found


def _names(value: object, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ConfigError(f"{where}: expected a list of names")
    return tuple(value)


def _strings(table: object, where: str) -> dict[str, str]:
    if not isinstance(table, dict) or not all(isinstance(v, str) for v in table.values()):
        raise ConfigError(f"{where}: expected name = \"name\" lines")
    return dict(table)


def _fields(table: object, where: str) -> dict[str, dict[str, tuple[str, ...]]]:
    if not isinstance(table, dict):
        raise ConfigError(f"{where}: expected a table per party")
    out: dict[str, dict[str, tuple[str, ...]]] = {}
    for party, fields in table.items():
        if not isinstance(fields, dict):
            raise ConfigError(f"{where}.{party}: expected field = [names] lines")
        out[party] = {name: _names(names, f"{where}.{party}.{name}") for name, names in fields.items()}
    return out


def parse_relations(data: dict, source: str) -> Relations:
    """Relations from a parsed relations file; ConfigError names the table that is wrong."""
    people: dict[str, Role] = {}
    for person, role in data.get("people", {}).items():
        if not isinstance(role, dict) or not isinstance(role.get("org"), str):
            raise ConfigError(f"{source}: people.{person}: expected {{ org = ..., role = ... }}")
        people[person] = Role(org=role["org"], role=str(role.get("role", "")),
                              since=role.get("since"), until=role.get("until"))
    cases: dict[str, Case] = {}
    for name, case in data.get("cases", {}).items():
        if not isinstance(case, dict):
            raise ConfigError(f"{source}: cases.{name}: expected a table")
        cases[name] = Case(
            name=name,
            plaintiffs=_names(case.get("plaintiffs", []), f"{source}: cases.{name}.plaintiffs"),
            defendants=_names(case.get("defendants", []), f"{source}: cases.{name}.defendants"),
            court=case.get("court"),
            claims=_names(case.get("claims", []), f"{source}: cases.{name}.claims"),
        )
    return Relations(
        makers=_strings(data.get("makers", {}), f"{source}: makers"),
        parents=_strings(data.get("parents", {}), f"{source}: parents"),
        people=people,
        rivals=_fields(data.get("rivals", {}), f"{source}: rivals"),
        partners=_fields(data.get("partners", {}), f"{source}: partners"),
        customers={party: _names(names, f"{source}: customers.{party}")
                   for party, names in data.get("customers", {}).items()},
        hosts={host: _names(names, f"{source}: hosts.{host}")
               for host, names in data.get("hosts", {}).items()},
        cases=cases,
    )


def load_relations(path: str | Path | None = None) -> Relations:
    """The relations file (data/relations.toml unless `path`); an absent file means none."""
    path = Path(path) if path else RELATIONS_PATH
    if not path.exists():
        return Relations()
    return parse_relations(read_toml(path), str(path))


@lru_cache(maxsize=1)
def default_relations() -> Relations:
    """data/relations.toml, read once per process."""
    return load_relations()
