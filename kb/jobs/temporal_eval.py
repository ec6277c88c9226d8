"""Scoring the TIMEX3 tagger against TimeML-style gold files (TempEval-3 style measures)."""

from __future__ import annotations

import datetime as dt
import html
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from kb.core.config import data_file
from kb.core.errors import KBError
from kb.dates.timex import parse_iso_date
from kb.nlp.temporal.tagger import Timex, tag_timexes

GOLD_DIR = data_file("gold/timebank")

_DOC_RE = re.compile(r"<DOC\b([^>]*)>\n?(.*?)\n?</DOC>", re.DOTALL)
_TAG_RE = re.compile(r"<TIMEX3\b([^>]*)>(.*?)</TIMEX3>", re.DOTALL)
_ATTR_RE = re.compile(r'(\w+)="([^"]*)"')
# TimeML as published (TimeBank, AQUAINT, TempEval-3): the creation time in <DCT>, the text in <TEXT>.
_DCT_RE = re.compile(r"<DCT>[^<]*<TIMEX3\b([^>]*)>", re.DOTALL)
_TEXT_RE = re.compile(r"<TEXT>(.*?)</TEXT>", re.DOTALL)
_ANY_TAG_RE = re.compile(r"<(/?)([A-Za-z][\w.-]*)\b([^>]*?)(/?)>")


class TimeMLFormatError(KBError):
    """A gold file is not in the expected <DOC published=...> TIMEX3 format."""


@dataclass
class GoldDoc:
    """One gold document: its name, split (dev or test), text, publication date and timexes."""

    name: str
    split: str
    text: str
    published: dt.date | None
    gold: list[Timex]


def parse_timeml(markup: str, source: str = "<string>") -> tuple[str, dt.date | None, list[Timex]]:
    """Plain text, publication date and gold Timex list from one TimeML-style document: either
    TimeML as published (<DCT> and <TEXT>) or the project's own <DOC published=...> files."""
    doc = _DOC_RE.search(markup)
    if doc is None and "<TEXT>" in markup:
        return _parse_published_timeml(markup, source)
    if doc is None:
        raise TimeMLFormatError(f"{source}: no <DOC published=...>...</DOC> element")
    doc_attrs = dict(_ATTR_RE.findall(doc[1]))
    published = parse_iso_date(doc_attrs.get("published"))
    body = doc[2]
    if "<TIMEX3" in _TAG_RE.sub("", body):
        raise TimeMLFormatError(f"{source}: unclosed or nested <TIMEX3> tag")
    parts: list[str] = []
    gold: list[Timex] = []
    length = 0
    position = 0
    for tag in _TAG_RE.finditer(body):
        before = html.unescape(body[position:tag.start()])
        parts.append(before)
        length += len(before)
        attrs = dict(_ATTR_RE.findall(tag[1]))
        inner = html.unescape(tag[2])
        if "type" not in attrs:
            raise TimeMLFormatError(f"{source}: TIMEX3 {attrs.get('tid', '?')} has no type")
        gold.append(Timex(length, length + len(inner), inner, attrs["type"], attrs.get("value") or None,
                          attrs.get("mod") or None))
        parts.append(inner)
        length += len(inner)
        position = tag.end()
    parts.append(html.unescape(body[position:]))
    return "".join(parts), published, gold


def _parse_published_timeml(markup: str, source: str) -> tuple[str, dt.date | None, list[Timex]]:
    """The <TEXT> of a TimeBank/AQUAINT/TempEval-3 file with its TIMEX3 tags, other tags (EVENT,
    SIGNAL) dropped; the publication date is the value of the <DCT> timex."""
    dct = _DCT_RE.search(markup)
    published = parse_iso_date(dict(_ATTR_RE.findall(dct[1])).get("value")) if dct else None
    body = _TEXT_RE.search(markup)
    if body is None:
        raise TimeMLFormatError(f"{source}: no <TEXT>...</TEXT> element")
    parts: list[str] = []
    spans: list[tuple[int, int, dict[str, str]]] = []
    open_timex: tuple[int, dict[str, str]] | None = None
    length = position = 0
    for tag in _ANY_TAG_RE.finditer(body[1]):
        chunk = html.unescape(body[1][position:tag.start()])
        parts.append(chunk)
        length += len(chunk)
        position = tag.end()
        closing, name, attrs, empty = tag.groups()
        if name != "TIMEX3" or empty:
            continue  # EVENT, SIGNAL...; an empty TIMEX3 has no words to find
        if not closing:
            if open_timex is not None:
                raise TimeMLFormatError(f"{source}: nested <TIMEX3> tag")
            open_timex = (length, dict(_ATTR_RE.findall(attrs)))
            continue
        if open_timex is None:
            raise TimeMLFormatError(f"{source}: </TIMEX3> without its opening tag")
        start, timex_attrs = open_timex
        open_timex = None
        if "type" not in timex_attrs:
            raise TimeMLFormatError(f"{source}: TIMEX3 {timex_attrs.get('tid', '?')} has no type")
        spans.append((start, length, timex_attrs))
    if open_timex is not None:
        raise TimeMLFormatError(f"{source}: unclosed <TIMEX3> tag")
    parts.append(html.unescape(body[1][position:]))
    text = "".join(parts)
    gold = [Timex(start, end, text[start:end], attrs["type"], attrs.get("value") or None,
                  attrs.get("mod") or None) for start, end, attrs in spans]
    return text, published, gold


def load_timeml(path: str | Path) -> tuple[str, dt.date | None, list[Timex]]:
    """Plain text, publication date and gold Timex list from a .tml file."""
    path = Path(path)
    try:
        markup = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise TimeMLFormatError(f"cannot read {path}: {exc}") from exc
    return parse_timeml(markup, str(path))


def load_gold_dir(directory: str | Path = GOLD_DIR) -> list[GoldDoc]:
    """Every .tml file in `directory`; files named test_* form the held-out split."""
    docs = []
    for path in sorted(Path(directory).glob("*.tml")):
        text, published, gold = load_timeml(path)
        split = "test" if path.name.startswith("test_") else "dev"
        docs.append(GoldDoc(path.stem, split, text, published, gold))
    return docs


def load_timeml_corpus(directory: str | Path) -> list[GoldDoc]:
    """Every .tml file under `directory` (TimeBank, AQUAINT, TempEval-3...); a document's split
    is the folder it lies in below `directory` (the folder's own name for files directly in it)."""
    root = Path(directory)
    if not root.is_dir():
        raise TimeMLFormatError(f"{root}: not a directory")
    docs = []
    for path in sorted(root.rglob("*.tml")):
        if path.name.startswith("."):
            continue  # resource forks and editor files, not documents
        text, published, gold = load_timeml(path)
        split = path.parent.relative_to(root).as_posix() if path.parent != root else root.resolve().name
        docs.append(GoldDoc(path.stem, split, text, published, gold))
    if not docs:
        raise TimeMLFormatError(f"{root}: no .tml files")
    return docs


def _overlap(a: Timex, b: Timex) -> int:
    return max(0, min(a.end, b.end) - max(a.start, b.start))


def match_timexes(gold: list[Timex], predicted: list[Timex]) -> list[tuple[Timex, Timex]]:
    """One-to-one pairs of overlapping gold and predicted timexes, largest overlap first."""
    pairs = sorted(
        ((_overlap(g, p), gi, pi) for gi, g in enumerate(gold) for pi, p in enumerate(predicted)
         if _overlap(g, p) > 0),
        reverse=True,
    )
    used_gold: set[int] = set()
    used_pred: set[int] = set()
    matched = []
    for _, gi, pi in pairs:
        if gi in used_gold or pi in used_pred:
            continue
        used_gold.add(gi)
        used_pred.add(pi)
        matched.append((gold[gi], predicted[pi]))
    return sorted(matched, key=lambda pair: pair[0].start)


def _prf(correct: int, predicted: int, gold: int) -> tuple[float, float, float]:
    precision = correct / predicted if predicted else 0.0
    recall = correct / gold if gold else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return round(100 * precision, 2), round(100 * recall, 2), round(100 * f1, 2)


def _score(counts: dict[str, int]) -> dict:
    result: dict = {key: counts[key] for key in ("documents", "gold", "predicted")}
    for measure in ("strict", "relaxed", "value"):
        p, r, f = _prf(counts[measure], counts["predicted"], counts["gold"])
        result[f"{measure}_precision"], result[f"{measure}_recall"], result[f"{measure}_f1"] = p, r, f
    matched = counts["relaxed"]
    result["type_accuracy"] = round(100 * counts["type"] / matched, 2) if matched else 0.0
    result["mod_accuracy"] = round(100 * counts["mod"] / matched, 2) if matched else 0.0
    return result


def evaluate_timexes(
    docs: Iterable[GoldDoc],
    tagger: Callable[[str, dt.date | None], list[Timex]] = tag_timexes,
) -> dict[str, dict]:
    """Extent (strict, relaxed), type, mod and value scores, per split and over all documents."""
    keys = ("documents", "gold", "predicted", "strict", "relaxed", "type", "mod", "value")
    totals: dict[str, dict[str, int]] = {}
    for doc in docs:
        predicted = tagger(doc.text, doc.published)
        matched = match_timexes(doc.gold, predicted)
        exact = {(g.start, g.end) for g in doc.gold} & {(p.start, p.end) for p in predicted}
        for split in {doc.split, "all"}:
            counts = totals.setdefault(split, dict.fromkeys(keys, 0))
            counts["documents"] += 1
            counts["gold"] += len(doc.gold)
            counts["predicted"] += len(predicted)
            counts["strict"] += len(exact)
            counts["relaxed"] += len(matched)
            counts["type"] += sum(g.type == p.type for g, p in matched)
            counts["mod"] += sum(g.mod == p.mod for g, p in matched)
            counts["value"] += sum(g.value == p.value for g, p in matched)
    return {split: _score(counts) for split, counts in sorted(totals.items())}


def timex_errors(doc: GoldDoc, tagger: Callable = tag_timexes) -> list[str]:
    """Readable lines for every missed, spurious or wrongly valued timex in one document."""
    predicted = tagger(doc.text, doc.published)
    matched = match_timexes(doc.gold, predicted)
    matched_gold = {id(g) for g, _ in matched}
    matched_pred = {id(p) for _, p in matched}
    lines = [f"{doc.name}: missed {g.text!r} {g.type} {g.value} {g.mod or ''}".rstrip()
             for g in doc.gold if id(g) not in matched_gold]
    lines += [f"{doc.name}: spurious {p.text!r} {p.type} {p.value} {p.mod or ''}".rstrip()
              for p in predicted if id(p) not in matched_pred]
    for g, p in matched:
        if (g.start, g.end, g.type, g.value, g.mod) != (p.start, p.end, p.type, p.value, p.mod):
            lines.append(f"{doc.name}: gold {g.text!r} {g.type} {g.value} {g.mod} / "
                         f"got {p.text!r} {p.type} {p.value} {p.mod}")
    return lines
