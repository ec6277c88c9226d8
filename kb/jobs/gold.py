"""Gold annotations of the sample corpus: load them, and build them from compact spec files."""

from __future__ import annotations

import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path

from ingest.blocks import Block
from ingest.extract import extract_article
from kb.core.config import data_file
from kb.core.errors import ConfigError
from kb.jobs.extraction import block_rules
from kb.nlp.events.extractor import sentence_bounds
from kb.nlp.pipeline import build_nlp

DEFAULT_GOLD_DIR = data_file("gold/sample")
AMOUNT_LABELS = ("MONEY", "PERCENT", "QUANTITY")


@dataclass
class GoldDoc:
    """One annotated article: its text, publication date and annotations."""

    name: str
    text: str
    published: str | None
    entities: list[dict]
    timexes: list[dict]
    events: list[dict]
    blocks: tuple[Block, ...] = ()  # the page's blocks (ingest.blocks); none: the text is all body

    @property
    def split(self) -> str:
        """"test" for held-out files (named test_*), else "dev" (used while tuning rules)."""
        return "test" if self.name.startswith("test_") else "dev"


def load_gold(directory: str | Path | None = None) -> list[GoldDoc]:
    """Every *.json gold file of a directory (ConfigError when none or invalid)."""
    directory = Path(directory or DEFAULT_GOLD_DIR)
    files = sorted(directory.glob("*.json"))
    if not files:
        raise ConfigError(f"{directory}: no gold files (*.json)")
    docs = []
    for path in files:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            docs.append(GoldDoc(path.stem, data["text"], data.get("published"), data["entities"],
                                data["timexes"], data["events"],
                                tuple(Block(*b) for b in data.get("blocks", ()))))
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            raise ConfigError(f"{path}: invalid gold file: {exc}") from exc
    return docs


# --- building gold files from specs ------------------------------------------------------
#
# A spec is a text file:
#   source: cloudline/2019/07/some-slug.html        (page under data/sample/)
#   published: 2019-07-23
#   E LABEL surface [= canonical] [#1,3]   an entity: every occurrence (or the listed ones)
#   T TYPE VALUE [MOD] | surface [#2]      a timex
#   V TYPE DATE [MOD] | quote              an event in the sentence containing `quote` (DATE - for none)
# Entities are tagged longest surface first, never overlapping. Only the article's body is
# annotated (the blocks of data/blocks.toml's body_kinds, as the analysis reads it): occurrences
# in a caption, a byline, a related-links list or a FAQ are left out, and an event's quote must
# be in the body. The blocks are stored with the gold, so `kb eval` analyses the same body.

_BOUNDARY_BEFORE = r"(?<![\w-])"
_BOUNDARY_AFTER = r"(?![\w]|-\w)"


def _occurrences(text: str, surface: str) -> list[tuple[int, int]]:
    pattern = _BOUNDARY_BEFORE + re.escape(surface) + _BOUNDARY_AFTER
    return [(m.start(), m.end()) for m in re.finditer(pattern, text)]


def _pick(found: list[tuple[int, int]], which: str | None, what: str) -> list[tuple[int, int]]:
    if not found:
        raise ValueError(f"not found in the article text: {what!r}")
    if not which:
        return found
    numbers = [int(n) for n in which.split(",")]
    if max(numbers) > len(found):
        raise ValueError(f"{what!r} occurs {len(found)} times, asked for #{which}")
    return [found[n - 1] for n in numbers]


def _split_occurrence(rest: str) -> tuple[str, str | None]:
    m = re.search(r"\s+#([\d,]+)$", rest)
    return (rest[: m.start()], m.group(1)) if m else (rest, None)


def _sentence_bounds(text: str) -> list[tuple[int, int]]:
    nlp = build_nlp()
    doc = nlp.make_doc(text)
    nlp.get_pipe("kb_sentences")(doc)
    return sentence_bounds(doc)


def build_from_spec(spec_path: Path, sample_dir: Path) -> dict:
    """Build one gold document from its spec (ValueError naming the bad line)."""
    meta: dict[str, str] = {}
    lines = spec_path.read_text(encoding="utf-8").splitlines()
    for line in lines:
        if re.match(r"^(source|published):", line):
            key, _, value = line.partition(":")
            meta[key] = value.strip()
    page = sample_dir / meta["source"]
    rules = block_rules()
    article = extract_article(page.read_bytes(), f"https://sample.example/{meta['source']}", rules)
    text = article.text or ""
    body = [(b.start, b.end) for b in article.blocks if b.kind in rules.body_kinds] or [(0, len(text))]

    def in_body(start: int, end: int) -> bool:
        return any(b_start <= start and end <= b_end for b_start, b_end in body)

    entities, timexes, events = [], [], []
    taken: list[tuple[int, int]] = []
    entity_lines = []
    timex_lines: list[tuple[str, str | None, list[str]]] = []
    bounds = _sentence_bounds(text)
    for number, line in enumerate(lines, start=1):
        line = line.split("  #", 1)[0].rstrip()
        try:
            if line.startswith(("E ", "T ")):
                surface = _split_occurrence(line.split(" | ", 1)[-1] if line.startswith("T ")
                                            else line.split(" ", 2)[2].partition(" = ")[0])[0]
                _pick(_occurrences(text, surface.strip()), None, surface.strip())
            if line.startswith("E "):
                label, rest = line[2:].split(" ", 1)
                rest, which = _split_occurrence(rest)
                surface, _, canonical = (p.strip() for p in rest.partition(" = "))
                entity_lines.append((label, surface, canonical, which))
            elif line.startswith("T "):
                head, _, rest = line[2:].partition(" | ")
                parts = head.split()
                surface, which = _split_occurrence(rest.strip())
                timex_lines.append((surface, which, parts))
            elif line.startswith("V "):
                head, _, quote = line[2:].partition(" | ")
                parts = head.split()
                pos = text.find(quote.strip())
                if pos < 0:
                    raise ValueError(f"quote not found: {quote!r}")
                if not in_body(pos, pos + len(quote.strip())):
                    raise ValueError(f"quote not in the article's body: {quote!r}")
                s_start, s_end = next(b for b in bounds if b[0] <= pos < b[1] or b[0] > pos)
                events.append({"type": parts[0], "start": s_start, "end": s_end,
                               "sentence": text[s_start:s_end],
                               "date": None if parts[1] == "-" else parts[1],
                               "date_mod": parts[2] if len(parts) > 2 else None})
        except (ValueError, IndexError, StopIteration) as exc:
            raise ValueError(f"{spec_path}:{number}: {exc}") from exc
    timex_taken: list[tuple[int, int]] = []
    for surface, which, parts in sorted(timex_lines, key=lambda t: -len(t[0])):
        for start, end in _pick(_occurrences(text, surface), which, surface):
            overlaps = any(start < t_end and t_start < end for t_start, t_end in timex_taken)
            if overlaps or not in_body(start, end):
                continue
            timex_taken.append((start, end))
            timexes.append({"text": surface, "start": start, "end": end, "type": parts[0],
                            "value": parts[1], "mod": parts[2] if len(parts) > 2 else None})
    for label, surface, canonical, which in sorted(entity_lines, key=lambda e: -len(e[1])):
        for start, end in _pick(_occurrences(text, surface), which, surface):
            if not in_body(start, end) or any(start < t_end and t_start < end for t_start, t_end in taken):
                continue
            taken.append((start, end))
            if label in AMOUNT_LABELS:
                name = None
            else:
                name = canonical or surface
            entities.append({"text": surface, "start": start, "end": end, "label": label,
                             "canonical": name})
    entities.sort(key=lambda e: e["start"])
    timexes.sort(key=lambda t: t["start"])
    events.sort(key=lambda e: e["start"])
    gold = {"source": meta["source"], "published": meta["published"], "text": text,
            "entities": entities, "timexes": timexes, "events": events}
    if any(b.kind not in rules.body_kinds or b.kind == "dateline" for b in article.blocks):
        gold["blocks"] = [[b.kind, b.start, b.end] for b in article.blocks]
    return gold


def main(argv: list[str]) -> int:
    """python -m kb.jobs.gold SPEC_DIR [OUT_DIR]: rebuild the gold JSON files from their specs."""
    spec_dir = Path(argv[0]) if argv else DEFAULT_GOLD_DIR / "specs"
    out_dir = Path(argv[1]) if len(argv) > 1 else DEFAULT_GOLD_DIR
    sample_dir = data_file("sample")
    for spec in sorted(spec_dir.glob("*.txt")):
        gold = build_from_spec(spec, sample_dir)
        out = out_dir / f"{spec.stem}.json"
        out.write_text(json.dumps(gold, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        print(f"{out}: {len(gold['entities'])} entities, {len(gold['timexes'])} timexes, "
              f"{len(gold['events'])} events")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
