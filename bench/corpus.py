"""Render the bundled sample news corpus (data/sample/src) into article pages, feeds and sources.toml."""

from __future__ import annotations

import argparse
import html
import json
import posixpath
import re
import string
import sys
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from email.utils import format_datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_DIR = ROOT / "data" / "sample"
SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
REVISION_RE = re.compile(r"^(?P<slug>.+)\.(?P<version>v\d+)$")
FEED_FORMATS = ("rss", "atom", "jsonfeed")
MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)
# Offsets are ambiguous across zones, so pages show the generic zone name a US reader expects.
ZONE_NAMES = {-480: "PT", -420: "PT", -360: "CT", -300: "ET", -240: "ET", 0: "GMT"}
RELATED_COUNT = 4


class CorpusError(Exception):
    """A sample-corpus source or configuration file is malformed."""


@dataclass
class Outlet:
    """One fictional outlet: its identity, feed format and page template."""

    key: str
    name: str
    domain: str
    description: str
    reliability: float
    feed_file: str
    feed_format: str
    template: str
    date_format: str
    first_party: bool = False
    tags: list[str] = field(default_factory=list)
    inline_ad_after: int = 0
    inline_ad: str = ""
    template_text: str = ""

    @property
    def home_url(self) -> str:
        return f"https://{self.domain}/"


@dataclass
class ArticleMeta:
    """Validated front matter of one article source file."""

    title: str
    slug: str
    author: str
    published: datetime
    summary: str
    section: str = "News"
    tags: list[str] = field(default_factory=list)
    modified: datetime | None = None
    syndicated_from: str | None = None

    @property
    def path(self) -> str:
        """Page path relative to the outlet directory, e.g. 2026/04/slug.html."""
        return f"{self.published:%Y/%m}/{self.slug}.html"

    def canonical_url(self, outlet: Outlet) -> str:
        return f"https://{outlet.domain}/{self.published:%Y/%m}/{self.slug}"


@dataclass
class SourceArticle:
    """An article source file: its outlet, metadata and body text."""

    outlet: str
    meta: ArticleMeta
    body: str
    source_path: Path
    version: str | None = None  # "v1" for an earlier revision, None for the current text


# ---------------------------------------------------------------------------- reading


def parse_datetime(value: Any, where: str) -> datetime:
    """Parse an ISO 8601 timestamp that carries a UTC offset."""
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError as exc:
            raise CorpusError(f"{where}: {value!r} is not an ISO 8601 timestamp") from exc
    else:
        raise CorpusError(f"{where}: expected a timestamp string, got {value!r}")
    if parsed.tzinfo is None:
        raise CorpusError(f"{where}: {value!r} needs a UTC offset such as -07:00")
    return parsed


def parse_meta(raw: Mapping[str, Any], where: str = "article") -> ArticleMeta:
    """Validate front matter (a dict) into ArticleMeta."""
    for key in ("title", "slug", "author", "published", "summary"):
        if key not in raw:
            raise CorpusError(f"{where}: front matter lacks `{key}`")
    for key in ("title", "slug", "author", "summary", "section"):
        if key in raw and (not isinstance(raw[key], str) or not raw[key].strip()):
            raise CorpusError(f"{where}: `{key}` must be a non-empty string")
    if not SLUG_RE.match(raw["slug"]):
        raise CorpusError(f"{where}: slug {raw['slug']!r} must be lowercase words joined by hyphens")
    tags = raw.get("tags", [])
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        raise CorpusError(f"{where}: `tags` must be a list of strings")
    syndicated = raw.get("syndicated_from")
    if syndicated is not None and (not isinstance(syndicated, str) or syndicated.count("/") != 1):
        raise CorpusError(f"{where}: `syndicated_from` must look like 'outlet/slug'")
    published = parse_datetime(raw["published"], f"{where}: published")
    modified = parse_datetime(raw["modified"], f"{where}: modified") if raw.get("modified") else None
    if modified is not None and modified < published:
        raise CorpusError(f"{where}: modified is earlier than published")
    return ArticleMeta(
        title=raw["title"].strip(),
        slug=raw["slug"],
        author=raw["author"].strip(),
        published=published,
        summary=raw["summary"].strip(),
        section=raw.get("section", "News").strip(),
        tags=list(tags),
        modified=modified,
        syndicated_from=syndicated,
    )


def split_front_matter(text: str, where: str) -> tuple[dict[str, Any], str]:
    """Split `+++`-delimited TOML front matter from the body."""
    text = text.replace("\r\n", "\n")
    if not text.startswith("+++\n"):
        raise CorpusError(f"{where}: must start with a `+++` front matter line")
    end = text.find("\n+++\n", 3)
    if end < 0:
        raise CorpusError(f"{where}: front matter is not closed by a `+++` line")
    try:
        meta = tomllib.loads(text[4:end + 1])
    except tomllib.TOMLDecodeError as exc:
        raise CorpusError(f"{where}: invalid TOML front matter: {exc}") from exc
    return meta, text[end + 5:].strip("\n")


def load_outlets(sample_dir: Path) -> dict[str, Outlet]:
    """Read outlets.toml and each outlet's page template."""
    path = sample_dir / "outlets.toml"
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise CorpusError(f"{path}: {exc}") from exc
    outlets: dict[str, Outlet] = {}
    for raw in data.get("outlet", []):
        try:
            outlet = Outlet(**raw)
        except TypeError as exc:
            raise CorpusError(f"{path}: outlet {raw.get('key')!r}: {exc}") from exc
        if outlet.feed_format not in FEED_FORMATS:
            raise CorpusError(f"{path}: outlet {outlet.key!r}: feed_format must be one of {FEED_FORMATS}")
        template_path = sample_dir / "templates" / outlet.template
        try:
            outlet.template_text = template_path.read_text(encoding="utf-8")
        except OSError as exc:
            raise CorpusError(f"{template_path}: {exc}") from exc
        outlets[outlet.key] = outlet
    if not outlets:
        raise CorpusError(f"{path}: no [[outlet]] defined")
    return outlets


def load_articles(sample_dir: Path, outlets: Mapping[str, Outlet]) -> list[SourceArticle]:
    """Read every src/<outlet>/*.md; a `<slug>.vN.md` file is an earlier revision of `<slug>.md`."""
    articles: list[SourceArticle] = []
    for key in outlets:
        src_dir = sample_dir / "src" / key
        current: dict[str, SourceArticle] = {}
        revisions: list[tuple[str, str, dict[str, Any], str, Path]] = []
        for path in sorted(src_dir.glob("*.md")):
            where = str(path.relative_to(sample_dir))
            try:
                text = path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                raise CorpusError(f"{where}: cannot read as UTF-8 text: {exc}") from exc
            raw, body = split_front_matter(text, where)
            revision = REVISION_RE.match(path.stem)
            if revision:
                revisions.append((revision["slug"], revision["version"], raw, body, path))
                continue
            meta = parse_meta(raw, where)
            if meta.slug != path.stem:
                raise CorpusError(f"{where}: slug {meta.slug!r} differs from the file name")
            current[meta.slug] = SourceArticle(key, meta, body, path)
        articles.extend(current.values())
        for slug, version, raw, body, path in revisions:
            where = str(path.relative_to(sample_dir))
            if slug not in current:
                raise CorpusError(f"{where}: no current version {slug}.md next to this revision")
            base = {k: v for k, v in raw_front_matter(current[slug]).items() if k != "modified"}
            meta = parse_meta({**base, **raw}, where)
            articles.append(SourceArticle(key, meta, body, path, version=version))
    return articles


def raw_front_matter(article: SourceArticle) -> dict[str, Any]:
    """Front matter of an article as a plain dict (used to fill a revision's missing keys)."""
    raw, _ = split_front_matter(article.source_path.read_text(encoding="utf-8"), str(article.source_path))
    return raw


# ---------------------------------------------------------------------------- pages


def display_date(moment: datetime, fmt: str) -> str:
    """Format a timestamp the way an outlet shows it on the page."""
    offset = moment.utcoffset()
    minutes = int(offset.total_seconds() // 60) if offset is not None else 0
    zone = ZONE_NAMES.get(minutes) or f"UTC{moment:%z}"
    hour12 = moment.hour % 12 or 12
    return fmt.format(
        month=MONTHS[moment.month - 1],
        mon=MONTHS[moment.month - 1][:3],
        day=moment.day,
        dd=f"{moment.day:02d}",
        year=moment.year,
        hour12=hour12,
        hour24=f"{moment.hour:02d}",
        minute=f"{moment.minute:02d}",
        ampm="a.m." if moment.hour < 12 else "p.m.",
        tz=zone,
    )


def slugify(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


LINK_RE = re.compile(r"\[([^\]]+)\]\(([^)\s]+)\)")


def render_inline(text: str) -> str:
    """Escape text, turning `[words](href)` into links (used in list items: related-links lists)."""
    parts, at = [], 0
    for m in LINK_RE.finditer(text):
        parts.append(html.escape(text[at:m.start()]))
        parts.append(f'<a href="{html.escape(m.group(2))}">{html.escape(m.group(1))}</a>')
        at = m.end()
    parts.append(html.escape(text[at:]))
    return "".join(parts)


def render_body(body: str, outlet: Outlet) -> str:
    """Turn paragraphs, `## ` and `### ` subheads, `- ` lists (with `[words](href)` links), `> ` quotes
    and `!caption ` image captions into escaped HTML, with the outlet's inline ad."""
    blocks = [b.strip() for b in re.split(r"\n\s*\n", body.strip()) if b.strip()]
    parts: list[str] = []
    paragraphs = images = 0
    for index, block in enumerate(blocks):
        lines = [line.strip() for line in block.splitlines()]
        if block.startswith("### "):
            parts.append(f"<h3>{html.escape(' '.join(lines)[4:].strip())}</h3>")
        elif block.startswith("## "):
            parts.append(f"<h2>{html.escape(' '.join(lines)[3:].strip())}</h2>")
        elif block.startswith("!caption "):
            images += 1
            caption = " ".join(lines)[len("!caption "):].strip()
            parts.append(f'<div class="story-art"><img src="https://{outlet.domain}/static/art/{images}.jpg" '
                         f'alt=""><p class="art-credit">{html.escape(caption)}</p></div>')
        elif all(line.startswith("- ") for line in lines):
            items = "".join(f"<li>{render_inline(line[2:].strip())}</li>" for line in lines)
            parts.append(f"<ul>{items}</ul>")
        elif all(line.startswith(">") for line in lines):
            quote = " ".join(line[1:].strip() for line in lines)
            parts.append(f"<blockquote><p>{html.escape(quote)}</p></blockquote>")
        else:
            parts.append(f"<p>{html.escape(' '.join(lines))}</p>")
            paragraphs += 1
            # The ad sits between two paragraphs, as on real pages, never at the very end.
            if outlet.inline_ad and paragraphs == outlet.inline_ad_after and index + 1 < len(blocks):
                parts.append(outlet.inline_ad)
    return "\n".join(parts)


def json_ld(meta: ArticleMeta, outlet: Outlet, original_url: str | None) -> str:
    """The NewsArticle JSON-LD block, safe to embed in a <script> element."""
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": meta.title,
        "description": meta.summary,
        "datePublished": meta.published.isoformat(),
        "dateModified": (meta.modified or meta.published).isoformat(),
        "author": [{"@type": "Person", "name": meta.author}],
        "publisher": {"@type": "Organization", "name": outlet.name, "url": outlet.home_url},
        "mainEntityOfPage": meta.canonical_url(outlet),
        "articleSection": meta.section,
        "keywords": meta.tags,
    }
    if original_url:
        data["isBasedOn"] = original_url
    text = json.dumps(data, ensure_ascii=False, indent=2)
    # Escape markup characters so no string in the data can close the script element.
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return f'<script type="application/ld+json">\n{text}\n</script>'


def head_meta(meta: ArticleMeta, outlet: Outlet, original_url: str | None) -> str:
    """Meta description, Open Graph and article:* tags, canonical link and JSON-LD."""
    esc = html.escape
    tags = [
        f'<meta name="description" content="{esc(meta.summary)}">',
        f'<meta name="author" content="{esc(meta.author)}">',
        f'<link rel="canonical" href="{esc(meta.canonical_url(outlet))}">',
        '<meta property="og:type" content="article">',
        f'<meta property="og:site_name" content="{esc(outlet.name)}">',
        f'<meta property="og:title" content="{esc(meta.title)}">',
        f'<meta property="og:description" content="{esc(meta.summary)}">',
        f'<meta property="og:url" content="{esc(meta.canonical_url(outlet))}">',
        f'<meta property="article:published_time" content="{meta.published.isoformat()}">',
    ]
    if meta.modified:
        tags.append(f'<meta property="article:modified_time" content="{meta.modified.isoformat()}">')
    tags.append(f'<meta property="article:author" content="{esc(meta.author)}">')
    tags.append(f'<meta property="article:section" content="{esc(meta.section)}">')
    tags.extend(f'<meta property="article:tag" content="{esc(tag)}">' for tag in meta.tags)
    tags.append('<meta name="twitter:card" content="summary">')
    tags.append(json_ld(meta, outlet, original_url))
    return "\n".join(tags)


def render_article(
    meta: ArticleMeta | Mapping[str, Any],
    body: str,
    outlet: Outlet,
    *,
    related: Sequence[tuple[str, str]] = (),
    original: tuple[str, str] | None = None,
) -> str:
    """Render one article page with the outlet's template.

    `related` is a list of (href, title) links; `original` is (outlet name, URL) of the
    story this page syndicates, if any.
    """
    if not isinstance(meta, ArticleMeta):
        meta = parse_meta(meta)
    esc = html.escape
    updated_line = ""
    if meta.modified:
        updated_line = (
            f'<span class="updated">Updated <time datetime="{meta.modified.isoformat()}">'
            f"{esc(display_date(meta.modified, outlet.date_format))}</time></span>"
        )
    syndication_line = ""
    if original:
        syndication_line = (
            f'<p class="syndication-note">This article first appeared on '
            f'<a href="{esc(original[1])}">{esc(original[0])}</a>.</p>'
        )
    tag_links = ", ".join(
        f'<a href="{outlet.home_url}tag/{slugify(tag)}">{esc(tag)}</a>' for tag in meta.tags
    )
    related_html = "\n".join(
        f'      <li><a href="{esc(href)}">{esc(title)}</a></li>' for href, title in related
    )
    values = {
        "page_title": esc(meta.title),
        "head_meta": head_meta(meta, outlet, original[1] if original else None),
        "headline": esc(meta.title),
        "dek": esc(meta.summary),
        "section": esc(meta.section),
        "author": esc(meta.author),
        "author_slug": slugify(meta.author),
        "published_iso": meta.published.isoformat(),
        "date_display": esc(display_date(meta.published, outlet.date_format)),
        "updated_line": updated_line,
        "syndication_line": syndication_line,
        "body": render_body(body, outlet),
        "tag_links": tag_links,
        "related": related_html,
        "year": str(meta.published.year),
    }
    try:
        return string.Template(outlet.template_text).substitute(values)
    except (KeyError, ValueError) as exc:
        raise CorpusError(f"template {outlet.template}: bad placeholder {exc}") from exc


# ---------------------------------------------------------------------------- feeds


def newest_first(articles: Iterable[ArticleMeta]) -> list[ArticleMeta]:
    return sorted(articles, key=lambda a: (a.published, a.slug), reverse=True)


def render_rss(outlet: Outlet, articles: Sequence[ArticleMeta]) -> str:
    esc = html.escape
    items = []
    for meta in articles:
        categories = "".join(f"\n      <category>{esc(tag)}</category>" for tag in meta.tags)
        items.append(
            "    <item>\n"
            f"      <title>{esc(meta.title)}</title>\n"
            f"      <link>{esc(meta.path)}</link>\n"
            f'      <guid isPermaLink="false">{esc(meta.canonical_url(outlet))}</guid>\n'
            f"      <pubDate>{format_datetime(meta.published)}</pubDate>\n"
            f"      <dc:creator>{esc(meta.author)}</dc:creator>{categories}\n"
            f"      <description>{esc(meta.summary)}</description>\n"
            "    </item>"
        )
    last_build = max((m.modified or m.published for m in articles), default=None)
    build_line = f"    <lastBuildDate>{format_datetime(last_build)}</lastBuildDate>\n" if last_build else ""
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/">\n'
        "  <channel>\n"
        f"    <title>{esc(outlet.name)}</title>\n"
        f"    <link>{outlet.home_url}</link>\n"
        f"    <description>{esc(outlet.description)}</description>\n"
        "    <language>en-us</language>\n"
        f"{build_line}"
        + "".join(item + "\n" for item in items)
        + "  </channel>\n</rss>\n"
    )


def render_atom(outlet: Outlet, articles: Sequence[ArticleMeta]) -> str:
    esc = html.escape
    entries = []
    for meta in articles:
        categories = "".join(f'\n    <category term="{esc(tag)}"/>' for tag in meta.tags)
        entries.append(
            "  <entry>\n"
            f"    <title>{esc(meta.title)}</title>\n"
            f'    <link rel="alternate" type="text/html" href="{esc(meta.path)}"/>\n'
            f"    <id>tag:{outlet.domain},{meta.published:%Y-%m-%d}:{meta.slug}</id>\n"
            f"    <published>{meta.published.isoformat()}</published>\n"
            f"    <updated>{(meta.modified or meta.published).isoformat()}</updated>\n"
            f"    <author><name>{esc(meta.author)}</name></author>{categories}\n"
            f"    <summary>{esc(meta.summary)}</summary>\n"
            "  </entry>"
        )
    updated = max((m.modified or m.published for m in articles), default=None)
    updated_line = f"  <updated>{updated.isoformat()}</updated>\n" if updated else ""
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="en">\n'
        f"  <title>{esc(outlet.name)}</title>\n"
        f"  <subtitle>{esc(outlet.description)}</subtitle>\n"
        f"  <id>tag:{outlet.domain},2024:feed</id>\n"
        f'  <link rel="alternate" type="text/html" href="{outlet.home_url}"/>\n'
        f'  <link rel="self" type="application/atom+xml" href="{esc(outlet.feed_file)}"/>\n'
        f"{updated_line}"
        + "".join(entry + "\n" for entry in entries)
        + "</feed>\n"
    )


def render_jsonfeed(outlet: Outlet, articles: Sequence[ArticleMeta]) -> str:
    items = []
    for meta in articles:
        item: dict[str, Any] = {
            "id": meta.canonical_url(outlet),
            "url": meta.path,
            "title": meta.title,
            "summary": meta.summary,
            "content_text": meta.summary,
            "date_published": meta.published.isoformat(),
        }
        if meta.modified:
            item["date_modified"] = meta.modified.isoformat()
        item["authors"] = [{"name": meta.author}]
        item["tags"] = meta.tags
        items.append(item)
    feed = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": outlet.name,
        "home_page_url": outlet.home_url,
        "feed_url": outlet.feed_file,
        "description": outlet.description,
        "language": "en",
        "items": items,
    }
    return json.dumps(feed, ensure_ascii=False, indent=2) + "\n"


def render_feed(outlet: Outlet, articles: Iterable[ArticleMeta]) -> str:
    """Render an outlet's feed (newest first, links relative to the feed file)."""
    ordered = newest_first(articles)
    renderers = {"rss": render_rss, "atom": render_atom, "jsonfeed": render_jsonfeed}
    return renderers[outlet.feed_format](outlet, ordered)


def render_sources_toml(outlets: Iterable[Outlet]) -> str:
    """The [[source]] list that `kb ingest --sources data/sample/sources.toml` reads."""
    lines = [
        "# The bundled sample corpus as ingest sources. Generated by",
        "# `.venv/bin/python bench/corpus.py render-sample` from data/sample/outlets.toml: edit that file instead.",
        "",
    ]
    for outlet in outlets:
        lines += [
            "[[source]]",
            f"name = {json.dumps(outlet.name, ensure_ascii=False)}",
            f"url = {json.dumps(outlet.key + '/' + outlet.feed_file)}",
            'kind = "feed"',
            f"reliability = {outlet.reliability}",
            f"tags = [{', '.join(json.dumps(t, ensure_ascii=False) for t in outlet.tags)}]",
        ]
        if outlet.first_party:
            lines.append("first_party = true")
        lines.append("")
    return "\n".join(lines)


# ---------------------------------------------------------------------------- whole corpus


def related_links(
    article: SourceArticle, siblings: Sequence[SourceArticle], page_dir: str
) -> list[tuple[str, str]]:
    """The outlet's articles nearest in time, as links relative to the page's directory."""
    others = [s for s in siblings if s.meta.slug != article.meta.slug]
    when = article.meta.published
    others.sort(key=lambda s: (abs((s.meta.published - when).total_seconds()), s.meta.slug))
    return [
        (posixpath.relpath(f"{s.outlet}/{s.meta.path}", page_dir), s.meta.title)
        for s in others[:RELATED_COUNT]
    ]


def write_text(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="\n") as fh:
        fh.write(text)


def remove_stale_pages(out_dir: Path, outlets: Iterable[Outlet], keep: set[Path]) -> None:
    """Delete generated pages whose source is gone (only files this renderer's layout produces)."""
    candidates: list[Path] = []
    for outlet in outlets:
        candidates += (out_dir / outlet.key).glob("[0-9][0-9][0-9][0-9]/[0-9][0-9]/*.html")
    candidates += (out_dir / "revisions").glob("*.v[0-9]*.html")
    for path in candidates:
        if path not in keep:
            path.unlink()


def render_sample(sample_dir: Path = SAMPLE_DIR, out_dir: Path | None = None) -> list[Path]:
    """Render all pages, revisions, feeds and sources.toml; return the files written."""
    out_dir = out_dir or sample_dir
    outlets = load_outlets(sample_dir)
    articles = load_articles(sample_dir, outlets)
    current = [a for a in articles if a.version is None]
    by_key = {f"{a.outlet}/{a.meta.slug}": a for a in current}
    written: list[Path] = []
    for article in articles:
        outlet = outlets[article.outlet]
        if article.version:
            page_rel = f"revisions/{article.meta.slug}.{article.version}.html"
        else:
            page_rel = f"{article.outlet}/{article.meta.path}"
        original = None
        if article.meta.syndicated_from:
            source = by_key.get(article.meta.syndicated_from)
            if source is None:
                raise CorpusError(
                    f"{article.source_path}: syndicated_from {article.meta.syndicated_from!r} names no article"
                )
            original = (outlets[source.outlet].name, source.meta.canonical_url(outlets[source.outlet]))
        siblings = [a for a in current if a.outlet == article.outlet]
        related = related_links(article, siblings, posixpath.dirname(page_rel))
        page = render_article(article.meta, article.body, outlet, related=related, original=original)
        write_text(out_dir / page_rel, page)
        written.append(out_dir / page_rel)
    for outlet in outlets.values():
        feed_path = out_dir / outlet.key / outlet.feed_file
        write_text(feed_path, render_feed(outlet, [a.meta for a in current if a.outlet == outlet.key]))
        written.append(feed_path)
    sources_path = out_dir / "sources.toml"
    write_text(sources_path, render_sources_toml(outlets.values()))
    written.append(sources_path)
    remove_stale_pages(out_dir, outlets.values(), set(written))
    return written


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    render = commands.add_parser("render-sample", help="render data/sample/src into pages and feeds")
    render.add_argument("--sample-dir", type=Path, default=SAMPLE_DIR, help="holds outlets.toml, templates/, src/")
    render.add_argument("--out", type=Path, default=None, help="output directory (default: the sample dir)")
    args = parser.parse_args(argv)
    try:
        written = render_sample(args.sample_dir, args.out)
    except CorpusError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    pages = sum(1 for p in written if p.suffix == ".html")
    print(f"wrote {pages} pages, {len(written) - pages - 1} feeds and sources.toml under {args.out or args.sample_dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
