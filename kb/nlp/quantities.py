"""Money, percentages and counted quantities: the `kb_quantities` spaCy component.

Spans go into doc.ents as MONEY, PERCENT or QUANTITY with an empty kb_id and a normalised
`span._.value` dict: {"amount": float | None, "unit": str, "per": str | None, "mod": str | None}
(e.g. "about $135 billion" -> amount 1.35e11, unit "USD", mod "APPROX").
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from spacy.lang.en.stop_words import STOP_WORDS
from spacy.language import Language
from spacy.tokens import Doc

from kb.core.config import data_file, read_toml
from kb.core.errors import ConfigError
from kb.nlp.doc_text import doc_text
from kb.nlp.ent_spans import add_ents, char_span, occupied_by_ents_and_timexes

QUANTITIES_FILE = "quantities.toml"
DEFAULT_QUANTITIES = data_file(QUANTITIES_FILE)
# A number not glued to a word, a dot, a comma, a hyphen or a slash ("H100", "GPT-4", "1.5.2").
# The look-behind sits after the first digit so the regex engine can skip to digits quickly.
_NUMBER = re.compile(r"\d(?<![\w.,\-\u2011/]\d)(?:\d{0,2}(?:,\d{3})+|\d*)(?:\.\d+)?(?![\d,]\d)")
# Scales that may follow a number with a space; the rest only attach ("$10bn", "$5M").
_SPACED_SCALES = {"thousand", "million", "billion", "trillion"}
_YEAR = re.compile(r"(?:19|20)\d\d")
_LOOK_BACK = 30  # characters searched before a number for a currency symbol or "about"


@dataclass
class QuantityMatch:
    """A found quantity: character range, label and normalised value."""

    start: int
    end: int
    label: str
    value: dict[str, Any]
    core_end: int | None = None  # end without the "per ..." part or the counted unit


def _alternation(words: Iterable[str]) -> str:
    """A regex alternation of literal words, longest first, spaces matching any whitespace."""
    ordered = sorted(set(words), key=lambda w: (-len(w), w))
    return "|".join(re.escape(w).replace(r"\ ", r"\s+") for w in ordered)


def _amount(number: str) -> float:
    return float(number.replace(",", ""))


def _squash(words: str) -> str:
    return re.sub(r"\s+", " ", words)


class QuantityFinder:
    """Compiled patterns for money, percentages and quantities from data/quantities.toml.

    Numbers are found first; the words around each number decide what it is.
    """

    def __init__(self, vocab: dict[str, Any], source: str = QUANTITIES_FILE):
        try:
            self.mods = {k.lower(): (v or None) for k, v in vocab["approximators"].items()}
            self.word_amounts = {k.lower(): float(v) for k, v in vocab["money"]["word_amounts"].items()}
            self.scales = {k.lower(): float(v) for k, v in vocab["scales"].items()}
            self.symbols = dict(vocab["currency_symbols"])
            self.currency_words = {k.lower(): v for k, v in vocab["currency_words"].items()}
            per_units = list(vocab["money"]["per_units"])
            per_counts = list(vocab["money"]["per_counts"])
            self.units = list(vocab["quantity"]["units"])
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise ConfigError(f"{source}: missing or invalid entry: {exc}") from exc
        spaced = _alternation(s for s in self.scales if s in _SPACED_SCALES)
        attached = _alternation(s for s in self.scales if s not in _SPACED_SCALES)
        # "$19.50 per million output tokens", "$20 a month", and a price sheet's "$5/million".
        per = (
            rf"(?P<per>\s+(?i:per|a|an|each)\s+(?P<perunit>(?:(?i:{_alternation(per_counts)})\s+)?"
            rf"(?i:{_alternation(per_units)}))|/(?P<perslash>(?i:{_alternation(per_counts)}|"
            rf"{_alternation(per_units)})))?(?!\w)"
        )
        self.approx_before = re.compile(rf"(?<!\w)(?P<approx>(?i:{_alternation(self.mods)}))\s+\Z")
        self.symbol_before = re.compile(rf"(?<![\w$])(?P<symbol>{_alternation(self.symbols)}) ?\Z")
        self.money_tail = re.compile(
            rf"(?:\s+(?P<scale>(?i:{spaced}))|(?P<ascale>(?i:{attached})))?(?!\w){per}"
        )
        self.money_word_tail = re.compile(
            rf"(?:\s+(?P<scale>(?i:{spaced})))?\s+(?P<curword>(?i:{_alternation(self.currency_words)}))(?!\w){per}"
        )
        scale_words = _alternation(s for s in self.scales if s in _SPACED_SCALES)
        self.word_money = re.compile(
            rf"(?<!\w)(?P<scale>(?i:{scale_words}))(?P<plural>s)?(?:\s+of)?\s+"
            rf"(?P<curword>(?i:{_alternation(self.currency_words)}))(?!\w)"
        )
        self.word_amount_before = re.compile(
            rf"(?<!\w)(?P<words>(?i:{_alternation(self.word_amounts)}))\s+\Z"
        )
        self.percent_tail = re.compile(r"\s?(?P<unit>%|(?i:percent(?:age\s+points?)?|per\s+cent))(?!\w)")
        self.quantity_tail = re.compile(
            rf"(?:\s+(?P<scale>(?i:{spaced})))?(?P<between>(?:\s+[^\W\d][\w.\-]*){{0,3}}?)"
            rf"\s+(?P<unit>(?i:{_alternation(self.units)}))(?!\w)"
        )

    def find(self, text: str) -> Iterator[QuantityMatch]:
        """Yield at most one money, percent or quantity match per number in the text."""
        for number in _NUMBER.finditer(text):
            found = self._at_number(text, number)
            if found is not None:
                yield found
        if "illion" in text or "thousand" in text:
            yield from self._word_money(text)

    def _word_money(self, text: str) -> Iterator[QuantityMatch]:
        """Amounts in words: "a billion dollars" (1e9), "billions of dollars" (no amount)."""
        for m in self.word_money.finditer(text):
            if text[max(0, m.start() - 2): m.start()].strip()[-1:].isdigit():
                continue  # "10 billion dollars" is found from its number
            before = self.word_amount_before.search(text, max(0, m.start() - 14), m.start())
            scale = self.scales[m.group("scale").lower()]
            start = before.start() if before else m.start()
            words = re.sub(r"\s+", " ", before.group("words").lower()) if before else None
            if m.group("plural"):
                amount, mod = None, "APPROX"
            elif words and self.word_amounts[words]:
                amount, mod = self.word_amounts[words] * scale, None
            else:
                continue
            currency = self.currency_words[m.group("curword").lower()]
            value = {"amount": amount, "unit": currency, "per": None, "mod": mod}
            yield QuantityMatch(start, m.end(), "MONEY", value)

    def _at_number(self, text: str, number: re.Match) -> QuantityMatch | None:
        start, end = number.span()
        amount = _amount(number.group())
        symbol = self.symbol_before.search(text, max(0, start - 5), start)
        if symbol:
            tail = self.money_tail.match(text, end)
            if tail is None:  # "$0A": a symbol and digits run into a word are not an amount
                return None
            currency = self.symbols[_symbol_key(symbol.group("symbol"), self.symbols)]
            return self._with_approx(text, symbol.start(), self._money(tail, amount, currency))
        tail = self.percent_tail.match(text, end)
        if tail:
            unit = "percentage point" if "point" in tail.group("unit").lower() else "percent"
            value = {"amount": amount, "unit": unit, "per": None, "mod": None}
            return self._with_approx(text, start, QuantityMatch(start, tail.end(), "PERCENT", value))
        tail = self.money_word_tail.match(text, end)
        if tail:
            currency = self.currency_words[tail.group("curword").lower()]
            return self._with_approx(text, start, self._money(tail, amount, currency))
        tail = self.quantity_tail.match(text, end)
        if tail:
            found = self._quantity(tail, number.group(), amount)
            if found is not None:
                return self._with_approx(text, start, found)
        return None

    def _with_approx(self, text: str, start: int, found: QuantityMatch) -> QuantityMatch:
        """Widen the match over a preceding "about", "more than"... and record the mod."""
        found.start = start
        approx = self.approx_before.search(text, max(0, start - _LOOK_BACK), start)
        if approx:
            found.start = approx.start()
            found.value["mod"] = self.mods[_squash(approx.group("approx").lower())]
        return found

    def _money(self, tail: re.Match, amount: float, currency: str) -> QuantityMatch:
        scale = tail.group("scale") or tail.groupdict().get("ascale")
        unit = tail.group("perunit") or tail.group("perslash")
        per = _squash(unit) if unit else None
        value = {
            "amount": amount * (self.scales[scale.lower()] if scale else 1.0),
            "unit": currency,
            "per": per,
            "mod": None,
        }
        core_end = tail.start("per") if tail.group("per") else None
        # The start is set by _with_approx (currency symbol or number, widened over "about").
        return QuantityMatch(tail.start(), tail.end(), "MONEY", value, core_end)

    def _quantity(self, tail: re.Match, number: str, amount: float) -> QuantityMatch | None:
        between = tail.group("between").split()
        scale = tail.group("scale")
        if _YEAR.fullmatch(number) and (between or scale):
            return None  # "in 2025 more users": a year, not a count
        if any(w.lower() in STOP_WORDS for w in between):
            return None
        value = {
            "amount": amount * (self.scales[scale.lower()] if scale else 1.0),
            "unit": _squash(tail.group("unit")),
            "per": None,
            "mod": None,
        }
        # core_end: the number (and scale) alone, used when names sit between it and the unit.
        core_end = (tail.end("scale") if scale else tail.start()) if between else None
        return QuantityMatch(tail.start(), tail.end(), "QUANTITY", value, core_end)


def _symbol_key(found: str, symbols: dict[str, str]) -> str:
    for key in symbols:
        if key.lower() == found.lower():
            return key
    return found


def load_quantity_finder(path: str | Path | None = None) -> QuantityFinder:
    """Read data/quantities.toml (or `path`) and compile it."""
    path = Path(path) if path else DEFAULT_QUANTITIES
    return QuantityFinder(read_toml(path), str(path))


@Language.factory("kb_quantities", default_config={"path": None})
def make_quantities(nlp: Language, name: str, *, path: str | None) -> QuantitiesComponent:
    """Factory for the `kb_quantities` component."""
    return QuantitiesComponent(nlp, name, path=path)


class QuantitiesComponent:
    """Adds MONEY, PERCENT and QUANTITY spans to doc.ents without overlapping existing ones."""

    def __init__(self, nlp: Language, name: str = "kb_quantities", *, path: str | None = None):
        self.name = name
        self.path = path
        self.finder: QuantityFinder | None = None

    def initialize(self, get_examples=None, *, nlp: Language | None = None,
                   path: str | Path | None = None) -> None:
        """Load the vocabulary file."""
        self.finder = load_quantity_finder(path or self.path)

    def __call__(self, doc: Doc) -> Doc:
        if self.finder is None:
            self.initialize()
        assert self.finder is not None
        occupied = occupied_by_ents_and_timexes(doc)
        spans = []
        # Longest first, so "$19.50 per million output tokens" beats a QUANTITY inside it.
        for found in sorted(self.finder.find(doc_text(doc)), key=lambda q: (q.start - q.end, q.start)):
            end = found.end
            if occupied.overlaps(found.start, end) and found.core_end is not None:
                end = found.core_end
            if occupied.overlaps(found.start, end):
                continue
            span = char_span(doc, found.start, end, found.label)
            if span is None:
                continue
            span._.value = found.value
            occupied.add(span.start_char, span.end_char)
            spans.append(span)
        add_ents(doc, spans)
        return doc
