"""Extract article text and metadata from HTML with trafilatura plus page metadata (JSON-LD, meta)."""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
from dataclasses import dataclass

import trafilatura
from trafilatura.utils import load_html

from ingest.blocks import Block, BlockRules, article_blocks, link_shares, output_elements
from ingest.http import DEFAULT_POLICY
from ingest.tables import unflatten_tables

log = logging.getLogger(__name__)

MIN_TEXT_CHARS = 200
MAX_TREE_NODES = 200_000
# trafilatura decompresses gzip, zlib and brotli bodies itself, by default up to 20 MB: hold it
# to the fetch cap (gzip bodies are already decompressed, under that cap, by ingest.http).
MAX_PAGE_BYTES = DEFAULT_POLICY.max_bytes

PUBLISHED_META = ("article:published_time", "og:article:published_time", "datePublished",
                  "pubdate", "publishdate", "date", "dc.date", "dc.date.issued", "sailthru.date")
MODIFIED_META = ("article:modified_time", "og:updated_time", "dateModified", "last-modified",
                 "dc.date.modified")
ENGLISH_STOPWORDS = frozenset(
    "the of and to a in is that for on with as was by it at from be are has have an its this said "
    "will which or but not were their they been would also more after than".split()
)
CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class ExtractionError(ValueError):
    """The page holds no extractable article text."""


@dataclass
class ExtractedArticle:
    """What a page says about itself and its main text."""

    title: str | None
    author: str | None
    published_at: str | None
    updated_at: str | None
    text: str
    lang: str | None
    canonical_url: str | None
    description: str | None
    # The text's blocks (ingest.blocks): what is the article's body and what is around it.
    blocks: tuple[Block, ...] = ()


def clean_text(value: str | None) -> str | None:
    """Strip control characters and surrounding space; None for empty."""
    if value is None:
        return None
    value = CONTROL_CHARS.sub("", str(value)).strip()
    return value or None


def normalize_datetime(value: str | None) -> str | None:
    """An ISO 8601 timestamp (keeping its UTC offset) or date from a metadata string."""
    value = clean_text(value)
    if not value:
        return None
    text = value.replace("Z", "+00:00") if value.endswith("Z") else value
    try:
        parsed = dt.datetime.fromisoformat(text)
    except ValueError:
        match = re.match(r"^(\d{4}-\d{2}-\d{2})", value)
        if not match:
            return None
        try:
            return dt.date.fromisoformat(match.group(1)).isoformat()
        except ValueError:
            return None
    if parsed.tzinfo is None and len(text) <= 10:
        return parsed.date().isoformat()
    return parsed.isoformat(timespec="seconds").replace("+00:00", "Z")


# A publication date is believed only between these bounds: CMSs print 0001-01-01 (or a date far
# ahead) for "unknown", and nothing this project reads was published before 1990. "Future" is
# measured from the fetch, with a day's slack for time zones and clocks.
EARLIEST_PUBLISHED = dt.datetime(1990, 1, 1, tzinfo=dt.UTC)
FUTURE_SLACK = dt.timedelta(days=1)


def _instant(value: str) -> dt.datetime | None:
    """A normalised date or timestamp as an aware UTC datetime (naive values taken as UTC)."""
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00") if value.endswith("Z") else value)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=dt.UTC)
    try:
        return parsed.astimezone(dt.UTC)
    except OverflowError:  # within hours of the calendar's ends: as far as it goes
        return (dt.datetime.min if parsed.year == 1 else dt.datetime.max).replace(tzinfo=dt.UTC)


def implausible_date(value: str, fetched_at: str) -> str | None:
    """Why a normalised publication date cannot be right, or None when it is plausible."""
    instant = _instant(value)
    if instant is None:
        return f"{value!r} is not a date"
    if instant < EARLIEST_PUBLISHED:
        return f"{value} is before {EARLIEST_PUBLISHED.year}"
    if instant > (_instant(fetched_at) or dt.datetime.now(dt.UTC)) + FUTURE_SLACK:
        return f"{value} is more than a day after the fetch"
    return None


def plausible_date(value: str | None, fetched_at: str) -> str | None:
    """The date normalised when the rule believes it, else None."""
    value = normalize_datetime(value)
    return value if value is not None and implausible_date(value, fetched_at) is None else None


def choose_published(page: str | None, feed: str | None, fetched_at: str) -> tuple[str, str, str | None]:
    """(published_at, source, note): the page's date, else the feed's, else the fetch time.

    The one home of the plausibility rule (implausible_date). `source` is "page", "feed" or
    "fetched"; `note` says why the dates before it were passed over (None when the page's is used).
    """
    passed_over = []
    for source, value in (("page", page), ("feed", feed)):
        value = normalize_datetime(value)
        problem = "no date" if value is None else implausible_date(value, fetched_at)
        if problem is None:
            return value, source, "; ".join(passed_over) or None
        passed_over.append(f"{source}: {problem}")
    return fetched_at, "fetched", "; ".join(passed_over)


def tree_size_ok(tree) -> bool:
    """Refuse pathological trees (millions of nodes) before extraction.

    Nesting needs no check of ours: libxml2 stops descending at depth 255.
    """
    return tree.xpath("count(//*)") <= MAX_TREE_NODES


def iter_jsonld(tree) -> list[dict]:
    """Objects from <script type="application/ld+json"> blocks, flattening @graph and lists."""
    found: list[dict] = []
    for script in tree.xpath('//script[@type="application/ld+json"]'):
        try:
            data = json.loads(script.text or "")
        except (ValueError, TypeError):
            continue
        stack = [data]
        while stack:
            item = stack.pop()
            if isinstance(item, list):
                stack.extend(item)
            elif isinstance(item, dict):
                found.append(item)
                if isinstance(item.get("@graph"), list):
                    stack.extend(item["@graph"])
    return found


def meta_values(tree) -> dict[str, str]:
    """<meta name|property|itemprop=... content=...> as a lower-cased dict (first wins)."""
    values: dict[str, str] = {}
    for meta in tree.xpath("//meta[@content]"):
        key = meta.get("property") or meta.get("name") or meta.get("itemprop")
        if key:
            values.setdefault(key.strip().lower(), meta.get("content", ""))
    return values


def page_metadata(tree) -> dict[str, str | None]:
    """Publication/modification dates, author, canonical URL and language from the page head."""
    meta = meta_values(tree)
    published = updated = author = None
    for obj in iter_jsonld(tree):
        kind = obj.get("@type")
        kinds = kind if isinstance(kind, list) else [kind]
        article_kinds = ("Article", "NewsArticle", "BlogPosting", "Report")
        if not any(isinstance(k, str) and k.endswith(article_kinds) for k in kinds):
            continue
        published = published or normalize_datetime(obj.get("datePublished"))
        updated = updated or normalize_datetime(obj.get("dateModified"))
        who = obj.get("author")
        if isinstance(who, list) and who:
            who = who[0]
        if isinstance(who, dict):
            who = who.get("name")
        if isinstance(who, str):
            author = author or clean_text(who)
    for key in PUBLISHED_META:
        published = published or normalize_datetime(meta.get(key.lower()))
    for key in MODIFIED_META:
        updated = updated or normalize_datetime(meta.get(key.lower()))
    canonical = None
    for link in tree.xpath('//link[@rel="canonical"][@href]'):
        canonical = link.get("href").strip()
        break
    canonical = canonical or clean_text(meta.get("og:url"))
    lang = tree.get("lang") or tree.get("{http://www.w3.org/XML/1998/namespace}lang")
    return {
        "published_at": published,
        "updated_at": updated if updated != published else None,
        "author": author or clean_text(meta.get("author")),
        "canonical_url": canonical,
        "lang": lang.split("-")[0].lower() if lang else None,
        "title": clean_text(meta.get("og:title")),
        "description": clean_text(meta.get("description") or meta.get("og:description")),
    }


def guess_language(text: str) -> str | None:
    """'en' when enough of the words are common English function words, else None."""
    words = re.findall(r"[a-zA-Z]+", text[:5000].lower())
    if len(words) < 20:
        return None
    share = sum(1 for w in words if w in ENGLISH_STOPWORDS) / len(words)
    return "en" if share >= 0.15 else None


def strip_leading_labels(text: str, title: str | None) -> str:
    """Drop leading section labels ("AI") and a repeated headline from the article text."""
    lines = text.split("\n")
    while len(lines) > 1 and (len(lines[0].split()) < 3 or (title and lines[0].strip() == title)):
        lines.pop(0)
    return "\n".join(lines)


def run_trafilatura(tree, url: str, *, fast: bool):
    """trafilatura's extraction of a parsed page (fast: without its readability/jusText fallbacks)."""
    return trafilatura.bare_extraction(
        tree,
        url=url,
        fast=fast,
        include_comments=False,
        include_tables=False,
        with_metadata=True,
        date_extraction_params={"original_date": True, "extensive_search": False},
    )


def result_text(result) -> str | None:
    return clean_text(getattr(result, "text", None)) if result is not None else None


def extract_article(page: str | bytes, url: str, rules: BlockRules | None = None) -> ExtractedArticle:
    """Main text, blocks and metadata of an article page; raise ExtractionError when there is none.

    `rules` (ingest.blocks.load_block_rules) sort the blocks into body and not; without them each
    block keeps the kind of its markup.
    """
    tree = load_html(page, max_size=MAX_PAGE_BYTES)
    if tree is None:
        raise ExtractionError("page could not be parsed as HTML")
    if not tree_size_ok(tree):
        raise ExtractionError(f"page has more than {MAX_TREE_NODES} elements; not extracted")
    meta = page_metadata(tree)  # read first: trafilatura may prune the tree in place
    result = run_trafilatura(tree, url, fast=True)
    text = result_text(result)
    if not text or len(text) < MIN_TEXT_CHARS:
        # The fast path skips trafilatura's fallbacks (readability, jusText), which read some
        # pages its own rules miss: try them on a fresh tree before giving up.
        fresh = load_html(page, max_size=MAX_PAGE_BYTES)
        full = run_trafilatura(fresh, url, fast=False) if fresh is not None else None
        full_text = result_text(full)
        if full_text and len(full_text) > len(text or ""):
            result, text = full, full_text
    if not text or len(text) < MIN_TEXT_CHARS:
        raise ExtractionError(
            "no article text found" if not text else f"article text too short ({len(text)} characters)"
        )
    title = clean_text(getattr(result, "title", None)) or meta["title"]
    text = unflatten_tables(strip_leading_labels(text, title))
    elements = output_elements(getattr(result, "body", None))
    items = [e.text for e in elements if e.kind == "list_item" and e.text]
    shares = {}
    if rules is not None and items:  # trafilatura pruned `tree`: read the page again for its links
        whole = load_html(page, max_size=MAX_PAGE_BYTES)
        shares = link_shares(whole, items) if whole is not None else {}
    published = meta["published_at"] or normalize_datetime(getattr(result, "date", None))
    lang = meta["lang"] or clean_text(getattr(result, "language", None)) or guess_language(text)
    if lang and lang != "en" and guess_language(text) == "en":
        lang = "en"
    return ExtractedArticle(
        title=title,
        author=meta["author"] or clean_text(getattr(result, "author", None)),
        published_at=published,
        updated_at=meta["updated_at"],
        text=text,
        lang=lang,
        canonical_url=meta["canonical_url"],
        description=meta["description"] or clean_text(getattr(result, "description", None)),
        blocks=tuple(article_blocks(text, elements, shares, rules)),
    )
