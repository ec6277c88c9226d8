"""Trigger strings for the TIMEX rules: which stretches of a text each rule's regex must scan.

Each rule's regex is read (with the standard library's regex parser) to find a set of strings
one of which every match must contain, and how far a match can reach before and after it.
One pass finds those strings in the lowercased text; a rule then scans only the windows
around them instead of the whole text, with the same results as a full scan. A rule whose
regex cannot be read this way, and a text with characters that fold case unusually, are
scanned in full; runs of whitespace or digits longer than assumed widen the windows.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

try:  # the parser is private to `re`; without it every rule scans the whole text
    from re import _constants as C
    from re import _parser
except ImportError:  # pragma: no cover - other Python implementations
    _parser = C = None

# An unbounded repeat counts as at most this many characters when measuring reach: runs of
# whitespace or punctuation (\s+) are short in prose, runs of digits or letters a bit longer.
# Longer runs in a text widen its windows by the difference (see _RunExcess).
SPACE_CAP = 2
REPEAT_CAP = 4
# Largest set of literal strings tracked for one part of a pattern.
MAX_STRINGS = 96
# Non-ASCII characters that `re.IGNORECASE` equates with an ASCII letter though their
# lowercase is not that letter (dotless i, long s); their texts are scanned in full.
_FOLD_ODD_RE = re.compile("[\u0131\u017f]")


class Unreadable(Exception):
    """A regex construct the trigger analysis does not handle."""


@dataclass(frozen=True)
class Reach:
    """Strings one of which every match contains, and the most characters around them."""

    strings: frozenset[str]
    before: int
    after: int


# --- reading a parsed pattern ---------------------------------------------------------------


def _items(sub) -> list:
    return list(sub.data) if hasattr(sub, "data") else list(sub)


def _width(sub, runs: set[tuple[str, ...]]) -> int:
    """Largest number of characters `sub` can match or look at, repeats capped at REPEAT_CAP."""
    total = 0
    for op, av in _items(sub):
        if op in (C.LITERAL, C.NOT_LITERAL, C.ANY, C.IN):
            total += 1
        elif op is C.AT:
            continue
        elif op is C.SUBPATTERN:
            total += _width(av[3], runs)
        elif op is C.ATOMIC_GROUP:
            total += _width(av, runs)
        elif op is C.BRANCH:
            total += max(_width(alt, runs) for alt in av[1])
        elif op in (C.MAX_REPEAT, C.MIN_REPEAT, C.POSSESSIVE_REPEAT):
            low, high, body = av
            if high == C.MAXREPEAT:
                cls = _run_class(body)
                runs.add(cls)
                high = max(low, run_cap(cls))
            total += high * _width(body, runs)
        elif op in (C.ASSERT, C.ASSERT_NOT):
            # a look-ahead reads past the match end; counted as if it were matched
            total += _width(av[1], runs) if av[0] == 1 else 0
        elif op is C.GROUPREF_EXISTS:
            total += max(_width(av[1], runs), _width(av[2], runs) if av[2] is not None else 0)
        else:
            raise Unreadable(str(op))
    return total


_CATEGORIES = {
    "CATEGORY_SPACE": r"\s", "CATEGORY_UNI_SPACE": r"\s",
    "CATEGORY_NOT_SPACE": r"\S", "CATEGORY_UNI_NOT_SPACE": r"\S",
    "CATEGORY_DIGIT": r"\d", "CATEGORY_UNI_DIGIT": r"\d",
    "CATEGORY_NOT_DIGIT": r"\D", "CATEGORY_UNI_NOT_DIGIT": r"\D",
    "CATEGORY_WORD": r"\w", "CATEGORY_UNI_WORD": r"\w",
    "CATEGORY_NOT_WORD": r"\W", "CATEGORY_UNI_NOT_WORD": r"\W",
}


def run_cap(cls: tuple[str, ...]) -> int:
    """The assumed longest run of a character class: SPACE_CAP unless it takes letters or digits."""
    wordy = re.compile(_class_regex(cls), re.IGNORECASE)
    return REPEAT_CAP if wordy.match("0") or wordy.match("a") else SPACE_CAP


def _class_regex(cls: tuple[str, ...]) -> str:
    return "[" + "".join(cls) + "]"


def _run_class(body) -> tuple[str, ...]:
    """The parts of a regex character class ("\\s", "a-z") for the single character an
    unbounded repeat repeats."""
    items = _items(body)
    if len(items) != 1:
        raise Unreadable("repeat of more than one character")
    op, av = items[0]
    if op is C.LITERAL:
        return (re.escape(chr(av)),)
    if op is not C.IN:
        raise Unreadable(f"repeat of {op}")
    parts = []
    for item_op, item_av in av:
        if item_op is C.LITERAL:
            parts.append(re.escape(chr(item_av)))
        elif item_op is C.RANGE:
            parts.append(f"{re.escape(chr(item_av[0]))}-{re.escape(chr(item_av[1]))}")
        elif item_op is C.CATEGORY and str(item_av) in _CATEGORIES:
            parts.append(_CATEGORIES[str(item_av)])
        elif item_op is C.NEGATE:
            parts.append("^")
        else:
            raise Unreadable(f"class item {item_op}")
    return tuple(parts)


def _exact(sub) -> set[str] | None:
    """All the (lowercased) strings `sub` can match, if they are few; else None."""
    strings = {""}
    for item in _items(sub):
        options = _exact_item(item)
        if options is None:
            return None
        strings = {a + b for a in strings for b in options}
        if len(strings) > MAX_STRINGS:
            return None
    return strings


def _exact_item(item) -> set[str] | None:
    op, av = item
    if op is C.LITERAL:
        return {chr(av).lower()}
    if op is C.IN:
        chars: set[str] = set()
        for item_op, item_av in av:
            if item_op is C.LITERAL:
                chars.add(chr(item_av).lower())
            elif item_op is C.RANGE and item_av[1] - item_av[0] < 10:
                chars.update(chr(code).lower() for code in range(item_av[0], item_av[1] + 1))
            else:
                return None  # a negated set or a category (\d, \s)
        return chars if len(chars) <= 10 else None
    if op in (C.AT, C.ASSERT, C.ASSERT_NOT):
        return {""}  # zero width: the neighbours' strings still join up
    if op is C.SUBPATTERN:
        return _exact(av[3])
    if op is C.BRANCH:
        found: set[str] = set()
        for alt in av[1]:
            options = _exact(alt)
            if options is None:
                return None
            found |= options
        return found if len(found) <= MAX_STRINGS else None
    if op in (C.MAX_REPEAT, C.MIN_REPEAT, C.POSSESSIVE_REPEAT):
        low, high, body = av
        options = _exact(body)
        if options is None or high > 3:
            return None
        found, power = set(), {""}
        for count in range(high + 1):
            if count >= low:
                found |= power
            power = {a + b for a in power for b in options}
            if len(power) > MAX_STRINGS:
                return None
        return found
    return None


def _better(a: Reach | None, b: Reach | None) -> Reach | None:
    """The more selective of two requirements: longer shortest string, then fewer strings."""
    if a is None or b is None:
        return a or b

    def key(r: Reach) -> tuple:
        return (min(map(len, r.strings)), -len(r.strings), -(r.before + r.after))

    return a if key(a) >= key(b) else b


def _required(sub, runs: set[tuple[str, ...]]) -> Reach | None:
    """The best requirement of a sequence: a run of exact items, or one item's own."""
    items = _items(sub)
    widths = [_width([item], runs) for item in items]
    best: Reach | None = None
    start, strings = 0, {""}

    def close(end: int) -> None:
        nonlocal best
        if strings and "" not in strings:
            best = _better(best, _reach(strings, sum(widths[:start]), sum(widths[end:])))

    for index, item in enumerate(items):
        options = _exact_item(item)
        joined = None if options is None else {a + b for a in strings for b in options}
        if joined is not None and len(joined) <= MAX_STRINGS:
            strings = joined
            continue
        close(index)
        inner = _required_item(item, runs)
        if inner is not None:
            before = sum(widths[:index]) + inner.before
            after = inner.after + sum(widths[index + 1:])
            best = _better(best, Reach(inner.strings, before, after))
        if options is not None:  # too many strings joined: start a new run here
            start, strings = index, options
        else:
            start, strings = index + 1, {""}
    close(len(items))
    return best


def _required_item(item, runs: set[tuple[str, ...]]) -> Reach | None:
    op, av = item
    if op is C.SUBPATTERN:
        return _required(av[3], runs)
    if op is C.ATOMIC_GROUP:
        return _required(av, runs)
    if op is C.BRANCH:
        reaches = [_required(alt, runs) for alt in av[1]]
        if any(r is None for r in reaches):
            return None
        strings = frozenset().union(*(r.strings for r in reaches))
        return _reach(strings, max(r.before for r in reaches), max(r.after for r in reaches))
    if op in (C.MAX_REPEAT, C.MIN_REPEAT, C.POSSESSIVE_REPEAT) and av[0] >= 1:
        inner = _required(av[2], runs)
        if inner is None:
            return None
        # the string may sit in any of the repetitions
        extra = _width([item], runs) - _width(av[2], runs)
        return Reach(inner.strings, inner.before + extra, inner.after + extra)
    return None


def _reach(strings: Iterable[str], before: int, after: int) -> Reach:
    """A Reach over the minimal strings; a string standing in for a longer one that contains
    it may sit anywhere inside it, so the reach grows by the difference in length."""
    strings = set(strings)
    kept = _minimal(strings)
    slack = max(map(len, strings)) - min(map(len, kept))
    return Reach(kept, before + slack, after + slack)


def _minimal(strings: Iterable[str]) -> frozenset[str]:
    """Drop strings that contain another string of the set (finding the shorter one suffices)."""
    ordered = sorted(set(strings), key=len)
    kept: list[str] = []
    for s in ordered:
        if not any(k in s for k in kept):
            kept.append(s)
    return frozenset(kept)


def pattern_reach(pattern: re.Pattern) -> tuple[Reach, frozenset[str]] | None:
    """What every match of `pattern` contains and how far it reaches, plus the character
    classes of its unbounded repeats; None if the pattern cannot be read this way."""
    if _parser is None:
        return None
    try:
        parsed = _parser.parse(pattern.pattern, pattern.flags)
        runs: set[tuple[str, ...]] = set()
        reach = _required(parsed, runs)
        _width(parsed, runs)
    except (Unreadable, RecursionError, TypeError, ValueError, AttributeError):
        return None
    if reach is None:
        return None
    return reach, frozenset(runs)


# --- scanning a text -----------------------------------------------------------------------


class TriggerIndex:
    """Finds, for a list of regexes, the windows of a text each one needs to scan."""

    def __init__(self, patterns: Sequence[re.Pattern]):
        self.reaches: list[Reach | None] = []
        owners: dict[str, set[int]] = {}
        runs: set[tuple[str, ...]] = set()
        for index, pattern in enumerate(patterns):
            found = pattern_reach(pattern)
            if found is None:
                self.reaches.append(None)
                continue
            reach, pattern_runs = found
            self.reaches.append(reach)
            runs |= pattern_runs
            for s in reach.strings:
                owners.setdefault(s, set()).add(index)
        self._finder = re.compile(trie_pattern(owners)) if owners else None
        # The finder reports the longest string starting at a position; shorter ones that
        # start there too are its prefixes, so each string stands for all its prefixes' rules.
        self._rules_of = {
            s: tuple(sorted(set().union(*(owners[p] for p in owners if s.startswith(p)))))
            for s in owners
        }
        self._long_runs = [
            (re.compile(_class_regex(cls) * (run_cap(cls) + 1) + _class_regex(cls) + "*", re.IGNORECASE),
             run_cap(cls))
            for cls in _widest(runs)
        ]

    def windows(self, text: str) -> list[list[tuple[int, int]] | None]:
        """Per pattern: sorted, disjoint (start, end) windows to scan; None means the whole text."""
        count = len(self.reaches)
        if self._finder is None or not _folds_plainly(text):
            return [None] * count
        hits: list[list[tuple[int, int]]] = [[] for _ in range(count)]
        lowered = text.lower()
        search = self._finder.search
        rules_of = self._rules_of
        match = search(lowered)
        while match is not None:
            start, end = match.span()
            for index in rules_of[match.group()]:
                hits[index].append((start, end))
            match = search(lowered, start + 1)
        size = len(text)
        excess = _RunExcess(text, self._long_runs)
        return [
            None if reach is None else _merge(found, reach.before, reach.after, size, excess)
            for reach, found in zip(self.reaches, hits, strict=True)
        ]


def _widest(classes: Iterable[tuple[str, ...]]) -> list[tuple[str, ...]]:
    """The classes whose long runs need looking for: a class within another one with no
    larger cap is covered, as each of its long runs lies in a long run of the wider class."""
    classes = sorted(set(classes))

    def within(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
        return "^" not in a + b and set(a) <= set(b) and run_cap(b) <= run_cap(a)

    return [a for a in classes if not any(b != a and within(a, b) for b in classes)]


def _folds_plainly(text: str) -> bool:
    """True if lowercasing keeps offsets and finds every string `re.IGNORECASE` would."""
    if text.isascii():
        return True
    return len(text.lower()) == len(text) and not _FOLD_ODD_RE.search(text)


def trie_pattern(strings: Iterable[str]) -> str:
    """A regex matching the longest of `strings` at a position, factored by common prefixes
    (a flat alternation of many words tries every word at every character)."""
    trie: dict = {}
    for s in strings:
        node = trie
        for ch in s:
            node = node.setdefault(ch, {})
        node[""] = {}

    def build(node: dict) -> str:
        branches = [re.escape(ch) + build(child) for ch, child in sorted(node.items()) if ch]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        return f"(?:{body})?" if "" in node else body

    return build(trie)


class _RunExcess:
    """How much runs longer than their cap (of the characters a pattern repeats without
    limit) can stretch a match beyond its measured reach near a position."""

    def __init__(self, text: str, long_runs: list[tuple[re.Pattern, int]]):
        self.runs = sorted(
            (m.start(), m.end(), m.end() - m.start() - cap)
            for regex, cap in long_runs for m in regex.finditer(text)
        )
        self.total = sum(extra for _, _, extra in self.runs)
        self.starts = [start for start, _, _ in self.runs]
        self.longest = max((end - start for start, end, _ in self.runs), default=0)

    def near(self, low: int, high: int) -> int:
        """The excess of the long runs that overlap text[low - total:high + total]."""
        if not self.total:
            return 0
        low, high = low - self.total, high + self.total
        first = bisect.bisect_left(self.starts, low - self.longest)
        last = bisect.bisect_left(self.starts, high)
        return sum(extra for start, end, extra in self.runs[first:last] if end > low)


def _merge(
    hits: list[tuple[int, int]], before: int, after: int, size: int, excess: _RunExcess
) -> list[tuple[int, int]]:
    """Windows around the hits, joined where they touch."""
    windows: list[tuple[int, int]] = []
    # one character more each side: a boundary test (\b) reads just outside a match
    before, after = before + 1, after + 1
    for start, end in hits:
        extra = excess.near(start - before, end + after) if excess.total else 0
        low, high = max(0, start - before - extra), min(size, end + after + extra)
        if windows and low <= windows[-1][1]:
            if high > windows[-1][1]:
                windows[-1] = (windows[-1][0], high)
        else:
            windows.append((low, high))
    return windows
