"""A corpus of article pages of varied real-world shape, its feeds, and how to serve them over HTTP.

    corpus = build_corpus(300, base_url="http://127.0.0.1:8123", seed=11)
    corpus.install(server.routes)            # path -> handler(BaseHTTPRequestHandler)
    corpus.write_sources(Path("sources.toml"))

The pages come from bench/page_shapes.py; this module adds what happens around them on
the web: charsets (windows-1252 declared or not, latin-1 declared but UTF-8 sent, BOMs, a
meta charset contradicting the header, UTF-16, no Content-Type at all), duplicates at
second URLs, very long pages, HTTP failures (404, 410, 500, redirect chains, PDF and JSON
where HTML was expected, empty bodies, a robots.txt disallow), and three kinds of feed (RSS
2.0, Atom, JSON Feed) listing them with odd dates and links. Deterministic for a seed.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import random
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from xml.sax.saxutils import escape as xml_escape

from bench.page_shapes import (
    DATE_FORMATS,
    FOREIGN,
    SHAPES,
    SITES,
    Knobs,
    Material,
    break_markup,
    entity_heavy,
)

# How often each shape occurs: ordinary articles most, odd pages some.
SHAPE_WEIGHTS = {"wordpress": 3, "newsroom-jsonld": 3, "amp": 2, "medium": 2, "press-release": 2,
                 "paywall-teaser": 1, "liveblog": 1, "syndicated": 2, "further-reading": 2, "faq": 1,
                 "navigation-heavy": 1, "non-english": 1, "tiny": 1}
# The shapes of ordinary articles (every page of them should be stored).
ARTICLE_SHAPES = frozenset(SHAPE_WEIGHTS) - {"non-english", "tiny"}
# label: (Content-Type header or None for none, meta charset or None, body encoding, weight)
CHARSETS = {
    "utf-8": ("text/html; charset=utf-8", "utf-8", "utf-8", 30),
    "utf-8-undeclared": ("text/html", None, "utf-8", 4),
    "windows-1252": ("text/html; charset=windows-1252", "windows-1252", "cp1252", 4),
    "windows-1252-undeclared": ("text/html", None, "cp1252", 2),
    "latin-1-declared-utf-8-sent": ("text/html; charset=iso-8859-1", "iso-8859-1", "utf-8", 3),
    "utf-8-bom": ("text/html; charset=utf-8", "utf-8", "utf-8-sig", 3),
    "meta-contradicts-header": ("text/html; charset=utf-8", "windows-1252", "utf-8", 3),
    "header-contradicts-meta": ("text/html; charset=utf-8", "iso-8859-1", "latin-1", 2),
    "utf-16": ("text/html; charset=utf-16", None, "utf-16", 1),
    "no-content-type": (None, "utf-8", "utf-8", 2),
    "xhtml": ("application/xhtml+xml", "utf-8", "utf-8", 1),
}
# Every FAULT_EVERY-th page is one of these HTTP-level failures instead of an article.
FAULT_EVERY = 30
FAULTS = ["http-404", "http-410", "http-500", "redirect", "redirect-chain", "pdf", "json", "empty-200",
          "robots-disallowed", "text-plain"]
FEED_KINDS = ("rss", "atom", "json")
FEED_CHUNK = 400  # entries per feed file (the parser reads at most 1,000)
# How a feed writes an entry's link; "{base}" is the server's base URL.
LINK_STYLES = ["absolute"] * 6 + ["relative", "spaces", "utm", "fragment", "protocol-relative", "entity-query"]
# Feed dates per kind; each takes the true publication time.
FEED_DATES = {
    "rss": {"rfc822": lambda t: t.strftime("%a, %d %b %Y %H:%M:%S %z"), "zero": lambda t: "0001-01-01T00:00:00Z",
            "empty": lambda t: "", "far-future": lambda t: "Mon, 31 Dec 2999 23:59:59 GMT",
            "epoch": lambda t: "Thu, 01 Jan 1970 00:00:00 +0000", "iso": lambda t: t.isoformat(),
            "garbage": lambda t: "sometime last week", "two-digit-year": lambda t: t.strftime("%d %b %y %H:%M EST")},
    "atom": {"iso": lambda t: t.isoformat(), "zero": lambda t: "0001-01-01T00:00:00Z", "empty": lambda t: "",
             "epoch": lambda t: "1970-01-01T00:00:00Z", "far-future": lambda t: "2999-01-01T00:00:00Z",
             "date-only": lambda t: t.strftime("%Y-%m-%d")},
    "json": {"iso": lambda t: t.isoformat(), "zero-offset": lambda t: "0001-01-01T00:00:00+01:00",
             "empty": lambda t: "", "number": lambda t: int(t.timestamp()), "epoch": lambda t: "1970-01-01T00:00:00Z",
             "far-future": lambda t: "2999-12-31T23:59:59Z", "null": lambda t: None},
}


@dataclass
class Page:
    """One served resource: an article page or an HTTP-level fault."""

    path: str
    shape: str
    body: bytes = b""
    content_type: str | None = "text/html; charset=utf-8"
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    charset: str = "utf-8"
    date_format: str = ""
    quirks: list[str] = field(default_factory=list)
    published: dt.datetime | None = None  # the true publication time (articles only)


@dataclass
class FeedItem:
    """One feed entry as written; `planned` when `kb ingest` must end with a row for it."""

    link: str | None
    guid: str | None
    title: str
    date: object
    date_style: str
    link_style: str
    target: str | None  # the page path it leads to
    planned: bool = True


@dataclass
class Corpus:
    base_url: str
    pages: dict[str, Page]
    feeds: dict[str, tuple[str, list[FeedItem]]]  # path -> (kind, items)
    robots: str = "User-agent: *\nDisallow: /private/\n"

    def feed_body(self, path: str) -> tuple[bytes, str]:
        kind, items = self.feeds[path]
        render = {"rss": render_rss, "atom": render_atom, "json": render_json}[kind]
        text = render(items, self.base_url, path).replace("{base}", self.base_url)
        content_type = {"rss": "application/rss+xml", "atom": "application/atom+xml", "json": "application/feed+json"}
        return text.encode("utf-8"), content_type[kind]

    def planned(self) -> list[FeedItem]:
        return [item for _, items in self.feeds.values() for item in items if item.planned]

    def install(self, routes: dict) -> None:
        """Register a handler for every page, feed and robots.txt in a path -> handler dict."""
        for path, page in self.pages.items():
            routes[path] = lambda h, page=page: send(h, page.status, page.body, page.content_type, page.headers)
        for path in self.feeds:
            body, content_type = self.feed_body(path)
            routes[path] = lambda h, body=body, ct=content_type: send(h, 200, body, ct)
        routes["/robots.txt"] = lambda h: send(h, 200, self.robots.encode(), "text/plain")

    def write_sources(self, path: Path) -> Path:
        """A sources file listing every feed, always due, allowed to reach the loopback server."""
        lines = ["# bench/varied_corpus.py", "allow_private_addresses = true", "host_budget = 3600",
                 "run_budget = 3600", ""]
        for feed_path, (kind, _) in sorted(self.feeds.items()):
            lines += ["[[source]]", f'name = "Varied {kind} {feed_path}"', f'url = "{self.base_url}{feed_path}"',
                      "reliability = 0.7", "min_interval_seconds = 0", ""]
        path.write_text("\n".join(lines), encoding="utf-8")
        return path

    def counts(self) -> dict[str, Counter]:
        """How many pages of each shape, charset, date format and quirk (for reports)."""
        pages = list(self.pages.values())
        return {"shape": Counter(p.shape for p in pages), "charset": Counter(p.charset for p in pages),
                "date": Counter(p.date_format for p in pages if p.date_format),
                "quirk": Counter(q for p in pages for q in p.quirks),
                "feed link": Counter(i.link_style for i in self.planned()),
                "feed date": Counter(i.date_style for _, items in self.feeds.values() for i in items)}


def send(handler, status: int, body: bytes, content_type: str | None, headers: dict | None = None) -> None:
    handler.send_response(status)
    if content_type is not None:
        handler.send_header("Content-Type", content_type)
    handler.send_header("Content-Length", str(len(body)))
    for key, value in (headers or {}).items():
        handler.send_header(key, value)
    handler.end_headers()
    handler.wfile.write(body)


def page_path(shape: str, i: int, published: dt.datetime, slug: str) -> str:
    return {"wordpress": f"/{published:%Y/%m/%d}/{slug}/", "newsroom-jsonld": f"/news/tech/{slug}-{i}",
            "amp": f"/amp/{slug}-{i}", "medium": f"/@writer{i % 7}/{slug}-{i:04x}c0ffee",
            "press-release": f"/press/releases/{i}.html", "liveblog": f"/live/{published:%Y-%m-%d}-{slug}",
            "non-english": f"/intl/{slug}-{i}.html"}.get(shape, f"/{shape}/{published:%Y}/{slug}-{i}")


def encode(page: str, label: str) -> tuple[bytes, str | None]:
    content_type, _, encoding, _ = CHARSETS[label]
    if label == "xhtml":
        page = '<?xml version="1.0" encoding="utf-8"?>\n' + page.replace("<html", '<html xmlns="http://www.w3.org/1999/xhtml"', 1)
    return page.encode(encoding, errors="xmlcharrefreplace"), content_type


def choose(rng: random.Random, weights: dict[str, int] | dict[str, tuple]) -> str:
    names = list(weights)
    values = [w if isinstance(w, int) else w[-1] for w in weights.values()]
    return rng.choices(names, values)[0]


def article_page(i: int, shape: str, rng: random.Random, material: Material, base: str,
                 paths: list[str]) -> Page:
    published = dt.datetime(2019, 1, 1, tzinfo=dt.timezone(dt.timedelta(hours=rng.choice([-8, -5, 0, 1, 9])))) \
        + dt.timedelta(days=rng.randint(0, 2850), minutes=rng.randint(0, 1439))
    quirks = []
    long = i % 150 == 75
    article = material.article(i, rng, published, paragraphs=120 if long else rng.randint(3, 7))
    if shape == "non-english":
        article.lang = list(FOREIGN)[i % len(FOREIGN)]
    slug = "-".join(article.title.lower().split()[:5]).strip(":,'\"()?").replace("'", "").replace(",", "")
    slug = "".join(c for c in slug if c.isalnum() or c == "-")[:60] or f"story-{i}"
    path = page_path(shape, i, published, slug)
    date_format = rng.choice(list(DATE_FORMATS))
    charset = choose(rng, CHARSETS)
    knobs = Knobs(date=DATE_FORMATS[date_format](published), date_format=date_format, site=rng.choice(SITES),
                  slug=slug, meta_charset=CHARSETS[charset][1],
                  related=[(p, f"Related story {j}") for j, p in enumerate(rng.sample(paths, min(6, len(paths))))])
    canonical_style = rng.choice(["same", "same", "same", "none", "utm", "relative", "empty", "amp-parent"])
    knobs.canonical = {"same": f"{base}{path}", "none": None, "utm": f"{base}{path}?utm_source=canonical",
                       "relative": path, "empty": "", "amp-parent": f"{base}{path.replace('/amp/', '/news/')}"
                       }[canonical_style]
    if rng.random() < 0.06:
        knobs.title = False
        quirks.append("no-title")
    if long:
        quirks.append("very-long")
    html_text = SHAPES[shape](article, knobs, rng)
    if rng.random() < 0.08:
        html_text = break_markup(html_text, rng)
        quirks.append("broken-markup")
    if rng.random() < 0.10:
        html_text = entity_heavy(html_text, rng)
        quirks.append("entity-heavy")
    body, content_type = encode(html_text, charset)
    return Page(path, shape, body, content_type, charset=charset, date_format=date_format, quirks=quirks,
                published=published)


def fault_page(i: int, rng: random.Random, targets: list[str]) -> Page:
    fault = FAULTS[(i // FAULT_EVERY) % len(FAULTS)]
    path = f"/private/story-{i}" if fault == "robots-disallowed" else f"/faults/{fault}/{i}"
    page = Page(path, fault, b"<html><body><h1>Not here</h1></body></html>", status=200)
    if fault.startswith("http-"):
        page.status = int(fault[5:])
    elif fault == "redirect":
        page.status, page.headers, page.body = 301, {"Location": rng.choice(targets)}, b""
    elif fault == "redirect-chain":
        page.status, page.headers, page.body = 302, {"Location": f"/faults/hop/{i}"}, b""
    elif fault == "pdf":
        page.body, page.content_type = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF", "application/pdf"
    elif fault == "json":
        page.body, page.content_type = json.dumps({"error": "use the app"}).encode(), "application/json"
    elif fault == "empty-200":
        page.body = b""
    elif fault == "text-plain":
        page.body, page.content_type = b"Microsoft and OpenAI said nothing new today.\n" * 20, "text/plain"
    return page


def feed_link(item_path: str, style: str) -> str:
    return {"absolute": "{base}" + item_path, "relative": item_path, "spaces": "\n   {base}" + item_path + "  \n",
            "utm": "{base}" + item_path + "?utm_source=rss&utm_medium=feed", "fragment": "{base}" + item_path + "#comments",
            "protocol-relative": "//" + "{host}" + item_path,
            "entity-query": "{base}" + item_path + "?a=1&b=2"}[style]


def build_corpus(n: int = 300, base_url: str = "http://127.0.0.1:8000", seed: int = 11) -> Corpus:
    """n pages (articles and HTTP faults) and the feeds listing them, for a server at base_url."""
    rng = random.Random(seed)
    material = Material()
    cycle = [name for name, weight in SHAPE_WEIGHTS.items() for _ in range(weight)]
    rng.shuffle(cycle)
    pages: dict[str, Page] = {}
    order: list[str] = []
    for i in range(n):
        if i % FAULT_EVERY == FAULT_EVERY - 1:
            targets = [p for p in order[-20:] if pages[p].shape in ARTICLE_SHAPES and not p.startswith("/copy/")]
            page = fault_page(i, rng, targets or ["/"])
            if page.shape == "redirect-chain":
                hop = Page(f"/faults/hop/{i}", "redirect-hop", b"", status=301,
                           headers={"Location": base_url + (targets[-1] if targets else "/")})
                pages[hop.path] = hop
        else:
            page = article_page(i, cycle[i % len(cycle)], rng, material, base_url, order[-40:])
        while page.path in pages:
            page.path += "x"
        pages[page.path] = page
        order.append(page.path)
        if i % 40 == 20 and page.status == 200 and page.shape not in ("tiny",):
            copy = Page(f"/copy/{i}{page.path}", page.shape, page.body, page.content_type, charset=page.charset,
                        date_format=page.date_format, quirks=[*page.quirks, "exact-copy"], published=page.published)
            pages[copy.path] = copy
            order.append(copy.path)
    items: dict[str, list[FeedItem]] = {kind: [] for kind in FEED_KINDS}
    for index, path in enumerate(order):
        page = pages[path]
        listed_in = [FEED_KINDS[index % 3]] + ([FEED_KINDS[(index + 1) % 3]] if index % 10 == 0 else [])
        for number, kind in enumerate(listed_in):
            style = "utm" if number else rng.choice(LINK_STYLES)
            date_style = rng.choice(list(FEED_DATES[kind]))
            moment = page.published or dt.datetime(2019, 1, 1, tzinfo=dt.UTC) + dt.timedelta(hours=index * 7)
            items[kind].append(FeedItem(feed_link(path, style), f"urn:varied:{kind}:{index}",
                                        f"Entry {index} & <friends> — {page.shape}",
                                        FEED_DATES[kind][date_style](moment), date_style, style, path))
    for kind in FEED_KINDS:  # entries no feed should have, but some do (near the top: in the first feed file)
        items[kind][1:1] = [
            # Not planned, except in Atom, where feedparser takes the entry's id for its link (a "blocked" row).
            FeedItem(None, f"urn:varied:{kind}:nolink", "An entry without a link", "", "empty", "none", None, False),
            FeedItem("javascript:alert(1)", f"urn:varied:{kind}:js", "A script link", "", "empty", "javascript", None),
            FeedItem("{base}/ignored-duplicate-guid", items[kind][0].guid, "Same id as the first entry", "", "empty",
                     "duplicate-guid", None, False),
        ]
    feeds: dict[str, tuple[str, list[FeedItem]]] = {}
    for kind, entries in items.items():
        chunks = max(1, math.ceil(len(entries) / FEED_CHUNK))
        for c in range(chunks):
            name = {"rss": f"/feeds/rss-{c}.xml", "atom": f"/feeds/atom-{c}.xml", "json": f"/feeds/feed-{c}.json"}[kind]
            feeds[name] = (kind, entries[c * FEED_CHUNK:(c + 1) * FEED_CHUNK])
    host = base_url.split("://", 1)[1]
    for _, entries in feeds.values():
        for item in entries:
            if item.link:
                item.link = item.link.replace("{host}", host)
    return Corpus(base_url, pages, feeds)


def render_rss(items: list[FeedItem], base: str, path: str) -> str:
    out = ['<?xml version="1.0" encoding="UTF-8"?>', '<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/">',
           f"<channel><title>Varied news {path}</title><link>{base}/</link><description>Many shapes</description>"]
    for item in items:
        link = f"<link>{xml_escape(item.link)}</link>" if item.link else ""
        guid = f'<guid isPermaLink="false">{xml_escape(item.guid)}</guid>' if item.guid else ""
        date = f"<pubDate>{xml_escape(str(item.date))}</pubDate>" if item.date is not None else ""
        out.append(f"<item><title><![CDATA[{item.title}]]></title>{link}{guid}{date}"
                   f"<description>{xml_escape('<p>Summary with <b>markup</b> &amp; entities</p>')}</description></item>")
    return "\n".join([*out, "</channel></rss>"])


def render_atom(items: list[FeedItem], base: str, path: str) -> str:
    out = ['<?xml version="1.0" encoding="utf-8"?>', '<feed xmlns="http://www.w3.org/2005/Atom">',
           f"<title>Varied news {path}</title><id>{base}{path}</id><updated>2026-11-30T00:00:00Z</updated>"]
    for item in items:
        link = f'<link rel="alternate" href="{xml_escape(item.link, {chr(34): "&quot;"})}"/>' if item.link else ""
        date = f"<published>{xml_escape(str(item.date))}</published><updated>{xml_escape(str(item.date))}</updated>"
        out.append(f"<entry><title>{xml_escape(item.title)}</title>{link}<id>{xml_escape(item.guid or '')}</id>{date}"
                   f'<author><name>Desk</name></author><summary type="html">{xml_escape("<p>Summary</p>")}</summary></entry>')
    return "\n".join([*out, "</feed>"])


def render_json(items: list[FeedItem], base: str, path: str) -> str:
    entries = []
    for item in items:
        entry = {"id": item.guid, "title": item.title, "date_published": item.date, "content_text": "Summary."}
        if item.link:
            entry["url"] = item.link
        entries.append(entry)
    return json.dumps({"version": "https://jsonfeed.org/version/1.1", "title": f"Varied news {path}",
                       "home_page_url": f"{base}/", "items": entries}, ensure_ascii=False, indent=1)
