"""Which products "these models" or "the model" in an event's sentence means: the products an
earlier sentence of the article names, when that is unambiguous (data/nlp.toml [product_references]).

A release told as "These models are now available in Microsoft Foundry" names no
model; the article's earlier sentence that lists the models says which. Without them the event
cannot meet the same announcement told elsewhere."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from kb.core.config import read_nlp_settings
from kb.core.errors import ConfigError

PRODUCT = "PRODUCT"


@dataclass(frozen=True)
class ReferenceRules:
    """The [product_references] settings: which event types, which phrases, how far back."""

    types: frozenset[str]
    plural: re.Pattern
    singular: re.Pattern
    sentences_back: int


def _phrases(values: list[str], where: str) -> re.Pattern:
    try:
        if not values:
            return re.compile(r"(?!)")
        return re.compile(r"\b(?:" + "|".join(values) + r")\b", re.IGNORECASE)
    except re.error as exc:
        raise ConfigError(f"{where}: invalid pattern: {exc}") from None


def load_reference_rules(data: dict[str, Any] | None = None) -> ReferenceRules:
    """The rules of data/nlp.toml's [product_references] section (none: a rule that never applies)."""
    section = (data if data is not None else read_nlp_settings()).get("product_references", {})
    try:
        return ReferenceRules(
            types=frozenset(section.get("types", [])),
            plural=_phrases(list(section.get("plural", [])), "nlp.toml [product_references] plural"),
            singular=_phrases(list(section.get("singular", [])), "nlp.toml [product_references] singular"),
            sentences_back=int(section.get("sentences_back", 6)),
        )
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"nlp.toml [product_references]: invalid setting: {exc}") from exc


_RULES: ReferenceRules | None = None


def default_reference_rules() -> ReferenceRules:
    """data/nlp.toml's rules, read once."""
    global _RULES
    if _RULES is None:
        _RULES = load_reference_rules()
    return _RULES


def _products_by_sentence(entities: list[dict]) -> dict[int, list[str]]:
    """The known products each sentence names, in order, without repeats."""
    found: dict[int, list[str]] = {}
    for e in entities:
        if e["label"] == PRODUCT and e.get("entity"):
            names = found.setdefault(e["sentence_index"], [])
            if e["entity"] not in names:
                names.append(e["entity"])
    return found


def _antecedents(index: int, own: set[str], products: dict[int, list[str]], back: int) -> list[str]:
    """The products of the nearest earlier sentence (within `back`) that names products other
    than the event sentence's own."""
    for earlier in range(index - 1, max(-1, index - 1 - back), -1):
        names = [n for n in products.get(earlier, []) if n not in own]
        if names:
            return names
    return []


def _window_products(index: int, own: set[str], products: dict[int, list[str]], back: int) -> list[str]:
    """Every product the `back` sentences before `index` name, other than the sentence's own: one
    model referred to as "the model" must be the only one in sight ("the new model" after "over
    its flagship MAI-Image-2" is not MAI-Image-2)."""
    names: list[str] = []
    for earlier in range(max(0, index - back), index):
        names += [n for n in products.get(earlier, []) if n not in own and n not in names]
    return names


def resolve_product_references(result: dict, rules: ReferenceRules | None = None,
                               headline_products: list[str] | None = None) -> dict:
    """Give events whose sentence says "these models" the products of the nearest earlier sentence
    that names two or more, and those saying "the model" the one product the sentences before it
    name; when the body before it names none, the headline's (`headline_products`) are taken the
    same way, and of several models in sight the one the headline names is "the model". In
    place; ambiguous references are left alone."""
    rules = rules or default_reference_rules()
    events = [ev for ev in result.get("events", ()) if ev.get("type") in rules.types]
    if not events:
        return result
    products = _products_by_sentence(result.get("entities", []))
    for event in events:
        sentence = event.get("sentence", "")
        own = products.get(event["sentence_index"], [])
        plural = rules.plural.search(sentence)
        reference = plural or rules.singular.search(sentence)
        if reference is None or _named_with(sentence, reference, own):
            continue
        if plural:
            names = _antecedents(event["sentence_index"], set(own), products, rules.sentences_back)
        else:
            names = _window_products(event["sentence_index"], set(own), products, rules.sentences_back)
        titled = [n for n in dict.fromkeys(headline_products or ()) if n not in own]
        if not names:
            names = titled
        elif not plural and len(names) > 1 and len(titled) == 1 and titled[0] in names:
            names = titled  # of the models in sight, the one the headline is about
        if (plural and len(names) < 2) or (not plural and len(names) != 1):
            continue
        for name in names:
            if name not in event["entities"]:
                event["entities"].append(name)
            event.setdefault("roles", {})[name] = "product"
    return result


def headline_products(headline: dict) -> list[str]:
    """The known products an analysed headline names."""
    return _products_by_sentence(headline.get("entities", [])).get(0, [])


APPOSITION = re.compile(r"\s*[,:(—–-]\s*")


def _named_with(sentence: str, reference: re.Match, own: list[str]) -> bool:
    """Whether the sentence names the products it refers to itself: in apposition ("these models,
    MAI-X and MAI-Y,") or, for one model, before it ("MAI-X ships today; the model ...").
    Products after the reference are where it is offered ("the model is available in Foundry")."""
    after = APPOSITION.match(sentence, reference.end())
    if after and any(sentence.startswith(name, after.end()) for name in own):
        return True
    singular = not reference.group(0).lower().endswith("models")
    return singular and any(0 <= sentence.find(name) < reference.start() for name in own)
