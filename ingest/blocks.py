"""An extracted article's blocks and what kind each is: the article's own body (paragraphs, headings,
list items, quotes, the dateline) or what a page puts around it (captions, bylines, links to other
articles, a FAQ box). The rules are data (data/blocks.toml, read by load_block_rules)."""

from __future__ import annotations

import fnmatch
import re
import tomllib
from bisect import bisect_right
from dataclasses import dataclass
from pathlib import Path

from ingest.exceptions import PolicyError

BODY = ("paragraph", "heading", "list_item", "blockquote", "dateline")
NOT_BODY = ("caption", "byline", "related_links", "faq")
KINDS = BODY + NOT_BODY
# trafilatura's output elements (its XML) and the block kind each line they render to gets.
ELEMENT_KINDS = {"head": "heading", "item": "list_item", "quote": "blockquote", "p": "paragraph",
                 "code": "paragraph"}
SKIPPED_ELEMENTS = frozenset({"table", "graphic", "lb"})
LIST_MARKER = re.compile(r"^(?:[-*•]|\d{1,3}[.)])\s+")
LOOKAHEAD = 8  # extracted elements a line may skip to find its own (lines dropped as labels)
SENTENCE_END = ('.', '!', '?', '"', '”', "'", '’')


@dataclass(frozen=True)
class Block:
    """One block of an article's text: its kind and where it is (text[start:end])."""

    kind: str
    start: int
    end: int


@dataclass(frozen=True)
class BlockRules:
    """The rules of a blocks.toml file (load_block_rules)."""

    body_kinds: frozenset[str]
    related_headings: re.Pattern
    related_prefixes: tuple[str, ...]
    min_link_share: float
    max_headline_words: int
    faq_headings: re.Pattern
    captions: re.Pattern
    caption_classes: frozenset[str]
    bylines: re.Pattern
    max_byline_words: int
    byline_sentences: re.Pattern
    datelines: re.Pattern
    dateline_paragraphs: int


def _headings(values: list[str]) -> re.Pattern:
    return re.compile("|".join(fnmatch.translate(str(v).lower()) for v in values) or r"(?!)")


def _patterns(values: list[str], where: str) -> re.Pattern:
    """The patterns as one alternation (each checked on its own first, so an error names it)."""
    try:
        for value in values:
            re.compile(str(value))
        return re.compile("|".join(f"(?:{v})" for v in values) or r"(?!)")
    except re.error as exc:
        raise PolicyError(f"{where}: invalid pattern: {exc}") from None


def load_block_rules(path: Path) -> BlockRules:
    """Read a blocks.toml file; PolicyError naming the file when it is missing or malformed."""
    try:
        with open(path, "rb") as fh:
            data = tomllib.load(fh)
    except FileNotFoundError:
        raise PolicyError(f"{path}: file not found") from None
    except tomllib.TOMLDecodeError as exc:
        raise PolicyError(f"{path}: invalid TOML: {exc}") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise PolicyError(f"{path}: cannot read: {exc}") from exc
    try:
        related, faq = data.get("related_links", {}), data.get("faq", {})
        caption, byline, dateline = data.get("caption", {}), data.get("byline", {}), data.get("dateline", {})
        body_kinds = frozenset(data.get("body_kinds", BODY))
        unknown = body_kinds - set(KINDS)
        if unknown:
            raise PolicyError(f"{path}: body_kinds: unknown kinds {sorted(unknown)}; known: {list(KINDS)}")
        return BlockRules(
            body_kinds=body_kinds,
            related_headings=_headings(related.get("headings", [])),
            related_prefixes=tuple(str(p).lower() for p in related.get("prefixes", [])),
            min_link_share=float(related.get("min_link_share", 0.6)),
            max_headline_words=int(related.get("max_headline_words", 22)),
            faq_headings=_headings(faq.get("headings", [])),
            captions=_patterns(caption.get("patterns", []), f"{path}: [caption]"),
            caption_classes=frozenset(str(c).lower() for c in caption.get("classes", [])),
            bylines=_patterns(byline.get("patterns", []), f"{path}: [byline]"),
            max_byline_words=int(byline.get("max_words", 14)),
            byline_sentences=_patterns(byline.get("sentence_patterns", []), f"{path}: [byline]"),
            datelines=_patterns(dateline.get("patterns", []), f"{path}: [dateline]"),
            dateline_paragraphs=int(dateline.get("first_paragraphs", 3)),
        )
    except (TypeError, ValueError, AttributeError) as exc:
        raise PolicyError(f"{path}: invalid setting: {exc}") from exc


def _norm(value: str) -> str:
    return " ".join(value.split())


@dataclass
class _Element:
    """A block element of trafilatura's output: its kind, heading level, text and classes."""

    kind: str
    level: int | None
    text: str
    classes: str


def output_elements(body) -> list[_Element]:
    """The block elements of trafilatura's output tree (Document.body), in order."""
    found: list[_Element] = []
    if body is None:
        return found
    stack = list(reversed(body))
    while stack:
        element = stack.pop()
        tag = element.tag
        if not isinstance(tag, str) or tag in SKIPPED_ELEMENTS:
            continue
        kind = ELEMENT_KINDS.get(tag)
        if kind is None:  # list, div and the like: their children are the blocks
            stack.extend(reversed(element))
            continue
        rend = element.get("rend") or ""
        level = int(rend[1]) if kind == "heading" and len(rend) == 2 and rend[1].isdigit() else None
        found.append(_Element(kind, level, _norm("".join(element.itertext())), element.get("class") or ""))
    return found


MAX_LINK_LOOKUPS = 40  # list items of one page whose link share is looked up


def link_shares(tree, items: list[str]) -> dict[str, float]:
    """The share of link text of the page's list items with these texts (looked up in a tree
    trafilatura has not pruned; only for the items of the extracted text, as pages carry
    hundreds of menu items)."""
    shares: dict[str, float] = {}
    for text in items[:MAX_LINK_LOOKUPS]:
        if text in shares:
            continue
        found = tree.xpath("//li[normalize-space(.) = $text][1]", text=text)
        if found:
            linked = sum(len(_norm(a.text_content())) for a in found[0].iter("a"))
            shares[text] = min(1.0, linked / len(text))
    return shares


@dataclass
class _Line:
    start: int
    end: int
    text: str
    kind: str
    level: int | None
    classes: str
    link_share: float


def _lines(text: str, elements: list[_Element], shares: dict[str, float]) -> list[_Line]:
    """The text's lines, each with the kind of the output element it came from (paragraph when
    none is found: trafilatura's fallbacks give text without structure)."""
    lines: list[_Line] = []
    index, rest = 0, elements[0].text if elements else ""
    pos = 0
    for raw in text.split("\n"):
        start, end = pos, pos + len(raw)
        pos = end + 1
        line = _norm(raw)
        if not line:
            continue
        bare = LIST_MARKER.sub("", line, count=1)
        match = None
        for ahead in range(index, min(index + LOOKAHEAD, len(elements))):
            candidate = rest if ahead == index else elements[ahead].text
            for form in (line, bare):
                if form and candidate.startswith(form):
                    match = ahead, candidate[len(form):].lstrip()
                    break
            if match:
                break
        if match is None:
            lines.append(_Line(start, end, line, "paragraph", None, "", 0.0))
            continue
        index, rest = match
        element = elements[index]
        share = shares.get(element.text, 0.0) if element.kind == "list_item" else 0.0
        lines.append(_Line(start, end, line, element.kind, element.level, element.classes, share))
        if not rest:
            index += 1
            rest = elements[index].text if index < len(elements) else ""
    return lines


def _standalone_kind(line: _Line, rules: BlockRules) -> str:
    """The kind a line has on its own: a caption, a byline, a link to another article, or its
    element's kind."""
    classes = line.classes.lower().split()
    if rules.captions.search(line.text) or (classes and any(c in rules.caption_classes for c in classes)):
        return "caption"
    if rules.bylines.match(line.text) and len(line.text.split()) <= rules.max_byline_words:
        return "byline"
    if line.text.lower().startswith(rules.related_prefixes):
        return "related_links"
    if line.kind == "list_item" and line.link_share >= rules.min_link_share:
        return "related_links"
    return line.kind


def _heading_key(text: str) -> str:
    return text.lower().rstrip(":").strip()


def classify_lines(lines: list[_Line], rules: BlockRules) -> list[str]:
    """The kind of each line: its own, or that of the related-links or FAQ region it is in."""
    kinds: list[str] = []
    region, region_level = None, 0
    for line in lines:
        kind = _standalone_kind(line, rules)
        if line.kind == "heading":
            key, level = _heading_key(line.text), line.level or 2
            if region == "faq" and (level > region_level or line.text.endswith("?")):
                kinds.append("faq")
                continue
            region = None
            if rules.faq_headings.match(key):
                region, region_level = "faq", level
            elif rules.related_headings.match(key):
                region, region_level = "related_links", level
            kinds.append(region or kind)
            continue
        if region == "related_links":
            headline = (len(line.text.split()) <= rules.max_headline_words
                        and not line.text.endswith(SENTENCE_END))
            if line.kind == "list_item" or kind == "related_links" or headline:
                kinds.append("related_links")
                continue
            region = None
        kinds.append(region or kind)
    return kinds


def article_blocks(text: str, elements: list[_Element], shares: dict[str, float],
                   rules: BlockRules | None) -> list[Block]:
    """The blocks of an article's text, given the elements of trafilatura's output
    (output_elements) and the link shares of its list items (link_shares); with no rules, each
    line keeps its element's kind."""
    lines = _lines(text, elements, shares)
    if rules is None:
        return [Block(line.kind, line.start, line.end) for line in lines]
    blocks: list[Block] = []
    paragraphs = 0
    for line, kind in zip(lines, classify_lines(lines, rules), strict=True):
        if kind == "paragraph":
            raw = text[line.start:line.end]
            credit = rules.byline_sentences.match(raw)
            if credit:
                # The writer's credit is not the story: a byline block, then the paragraph's rest.
                blocks.append(Block("byline", line.start, line.start + credit.end()))
                rest = raw[credit.end():]
                if rest.strip():
                    blocks.append(Block("paragraph", line.end - len(rest.lstrip()), line.end))
                continue
            paragraphs += 1
            if paragraphs <= rules.dateline_paragraphs:
                raw = text[line.start:line.end]
                found = rules.datelines.match(raw)
                if found and found.end() < len(raw):
                    blocks.append(Block("dateline", line.start, line.start + len(found.group(0).rstrip())))
                    blocks.append(Block("paragraph", line.start + found.end(), line.end))
                    continue
        blocks.append(Block(kind, line.start, line.end))
    return blocks


@dataclass(frozen=True)
class BodyText:
    """The text analysis reads (the body blocks, joined by line breaks) and the way back to the
    article's stored text: `article_offset` maps an offset in `text` to one in the article."""

    text: str
    body_starts: tuple[int, ...] = (0,)
    article_starts: tuple[int, ...] = (0,)

    @property
    def same_offsets(self) -> bool:
        """Whether an offset in the body is the same offset in the article (no mapping needed)."""
        return len(self.body_starts) == 1 and self.article_starts[0] == 0

    def article_offset(self, offset: int, end: bool = False) -> int:
        """The article offset of a body offset; with end=True, of an end offset (exclusive)."""
        probe = offset - 1 if end and offset > 0 else offset
        index = max(bisect_right(self.body_starts, probe) - 1, 0)
        return self.article_starts[index] + offset - self.body_starts[index]


def body_text(text: str, blocks: list[Block] | tuple, body_kinds: frozenset[str] | tuple = BODY) -> BodyText:
    """The article's body for analysis: its body blocks in order, neighbours kept as one stretch
    of the stored text. Without blocks (articles stored before blocks were kept), the whole text."""
    if not blocks:
        return BodyText(text)
    stretches: list[list[int]] = []
    for block in blocks:
        if block.kind not in body_kinds:
            continue
        if stretches and not text[stretches[-1][1]:block.start].strip():
            stretches[-1][1] = block.end
        else:
            stretches.append([block.start, block.end])
    if not stretches:
        return BodyText("", (0,), (0,))
    if len(stretches) == 1 and stretches[0][0] == 0 and not text[stretches[0][1]:].strip():
        return BodyText(text)
    pieces, body_starts, article_starts, at = [], [], [], 0
    for start, end in stretches:
        body_starts.append(at)
        article_starts.append(start)
        pieces.append(text[start:end])
        at += end - start + 1
    return BodyText("\n".join(pieces), tuple(body_starts), tuple(article_starts))
