"""Property tests: the feed, sitemap and article parsers fail only with their named errors.

Whatever bytes a server sends, parse_feed, parse_json_feed and parse_sitemap return entries
or raise FeedParseError, and extract_article returns an article or raises ExtractionError.
(URL canonicalisation and date normalisation have their own property tests in
tests/ingest/test_urls.py and tests/nlp/test_temporal.py; resolve_link's is here.)
"""

from __future__ import annotations

import json

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from ingest.exceptions import FetchError
from ingest.extract import ExtractedArticle, ExtractionError, extract_article
from ingest.feeds import (
    FeedEntry,
    FeedParseError,
    ParsedFeed,
    parse_feed,
    parse_json_feed,
    parse_sitemap,
)
from ingest.urls import resolve_link, same_site
from kb.jobs.planning import url_rules

RULES = url_rules()
FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SLOW = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Text with the characters that break parsers: controls, surrogates' neighbours, markup, entities.
nasty_text = st.lists(
    st.one_of(
        st.text(st.characters(codec="utf-8"), max_size=4),
        st.sampled_from(["<", ">", "&", ";", "&amp;", "&lt;", "&#0;", "&#xD800;", "&bogus;", "]]>", "<![CDATA[",
                         "\x00", "\x0b", "\x1b", "\ufeff", "\u202e", "'", '"', "'; DROP TABLE articles; --"]),
    ),
    max_size=10,
).map("".join)
raw_bytes = st.binary(max_size=600)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | nasty_text,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(nasty_text, children, max_size=4),
    max_leaves=20,
)
feed_keys = st.sampled_from(["id", "url", "external_url", "title", "summary", "content_html", "date_published",
                             "date_modified", "author", "authors"])
json_items = st.lists(st.one_of(json_values, st.dictionaries(feed_keys, json_values, max_size=8)), max_size=5)


def check_feed(parsed: ParsedFeed) -> None:
    assert isinstance(parsed, ParsedFeed)
    for entry in parsed.entries:
        assert isinstance(entry, FeedEntry)
        for value in (entry.link, entry.guid, entry.title, entry.summary, entry.author, entry.published,
                      entry.updated):
            assert value is None or isinstance(value, str)


def xml_element(tag: str, children: st.SearchStrategy) -> st.SearchStrategy:
    return st.builds(lambda body: f"<{tag}>{body}</{tag}>", children)


rss_items = st.lists(
    st.builds(
        lambda parts: "<item>" + "".join(parts) + "</item>",
        st.lists(st.one_of(*(xml_element(t, nasty_text) for t in
                             ("title", "link", "guid", "description", "pubDate", "author", "dc:creator"))),
                 max_size=6),
    ),
    max_size=4,
)
rss_documents = st.builds(
    lambda decl, items, tail: (decl + "<rss version='2.0' xmlns:dc='http://purl.org/dc/elements/1.1/'>"
                               "<channel><title>t</title>" + "".join(items) + tail),
    st.sampled_from(["", "<?xml version='1.0'?>", "<?xml version='1.0' encoding='latin-1'?>",
                     "<?xml version='1.0' encoding='bogus'?>", "\ufeff"]),
    rss_items,
    st.sampled_from(["</channel></rss>", "</channel>", "", "</rss></rss>"]),
)
atom_documents = st.builds(
    lambda entries: "<feed xmlns='http://www.w3.org/2005/Atom'><title>t</title>" + "".join(entries) + "</feed>",
    st.lists(st.builds(
        lambda title, href, updated: (f"<entry><title>{title}</title><link href='{href}'/>"
                                      f"<id>{href}</id><updated>{updated}</updated></entry>"),
        nasty_text, nasty_text, st.one_of(nasty_text, st.just("2026-04-14T10:00:00Z"), st.just("9999-99-99")),
    ), max_size=4),
)


@FAST
@given(body=st.one_of(raw_bytes, rss_documents.map(str.encode), atom_documents.map(str.encode)))
@example(body=b"")
@example(body=b"\xff\xfe<\x00r\x00s\x00s\x00")
@example(body=b'<?xml version="1.0" encoding="utf-8"?><rss><channel><item><link>\xff\xfe</link></item></channel></rss>')
def test_parse_feed_returns_entries_or_feed_parse_error(body):
    try:
        parsed = parse_feed(body, "https://example.com/feed.xml")
    except FeedParseError:
        return
    check_feed(parsed)


@FAST
@given(document=st.one_of(
    json_values,
    st.fixed_dictionaries({"version": st.sampled_from(["https://jsonfeed.org/version/1.1", "x"]),
                           "items": st.one_of(json_items, json_values)},
                          optional={"title": json_values}),
))
@example(document={"version": "https://jsonfeed.org/version/1.1", "items": [{"authors": 5}]})
@example(document={"version": "https://jsonfeed.org/version/1.1", "items": [{"author": {"name": ["x"]}}]})
@example(document={"version": "https://jsonfeed.org/version/1", "items": [{"id": {}}, {"id": {}}, {"url": 5}]})
def test_parse_json_feed_returns_entries_or_feed_parse_error(document):
    body = json.dumps(document).encode()
    for parse in (parse_json_feed, lambda b: parse_feed(b, "https://example.com/feed.json")):
        try:
            parsed = parse(body)
        except FeedParseError:
            continue
        check_feed(parsed)


@FAST
@given(body=st.one_of(raw_bytes, st.binary(max_size=50).map(lambda b: b"{" + b)))
@example(body=b'{"version": "https://jsonfeed.org/version/1.1", "items": ' + b"[" * 50_000)
@example(body=b"{\xff\xfe}")
def test_parse_json_feed_on_any_bytes(body):
    try:
        check_feed(parse_json_feed(body))
    except FeedParseError:
        pass


sitemap_documents = st.builds(
    lambda decl, root, urls: (decl + f"<{root} xmlns='http://www.sitemaps.org/schemas/sitemap/0.9'>"
                              + "".join(urls) + f"</{root}>"),
    st.sampled_from(["", "<?xml version='1.0' encoding='UTF-8'?>", "<?xml version='1.0' encoding='utf-16'?>",
                     "<?xml version='1.0' encoding='nope'?>"]),
    st.sampled_from(["urlset", "sitemapindex", "other"]),
    st.lists(st.builds(lambda loc, lastmod: f"<url><loc>{loc}</loc><lastmod>{lastmod}</lastmod></url>",
                       nasty_text, nasty_text), max_size=4),
)


@FAST
@given(body=st.one_of(raw_bytes, sitemap_documents.map(str.encode)))
@example(body=b"<!DOCTYPE x [<!ENTITY e SYSTEM 'file:///etc/passwd'>]><urlset><url><loc>&e;</loc></url></urlset>")
def test_parse_sitemap_returns_entries_or_feed_parse_error(body):
    try:
        parsed = parse_sitemap(body)
    except FeedParseError:
        return
    check_feed(parsed)
    assert all(entry.link and "root:" not in entry.link for entry in parsed.entries)


paragraph = st.builds(lambda words: " ".join(words),
                      st.lists(st.sampled_from(["Microsoft", "OpenAI", "the", "model", "said", "on", "Tuesday",
                                                "released", "a", "new", "and", "of", "to", "in"]),
                               min_size=5, max_size=60))
html_documents = st.builds(
    lambda lang, head, title, paras, junk, tail: (
        f"<!DOCTYPE html><html lang='{lang}'><head>{head}<title>{title}</title></head><body><article>"
        f"<h1>{title}</h1>" + "".join(f"<p>{p}</p>" for p in paras) + junk + tail
    ),
    st.one_of(st.sampled_from(["en", "en-US", "de", ""]), nasty_text),
    st.sampled_from(["", "<meta charset='utf-8'>", "<meta charset='bogus'>",
                     "<script type='application/ld+json'>{\"@type\": \"NewsArticle\", \"datePublished\": [1]}</script>",
                     "<script type='application/ld+json'>[[[[[{\"@graph\": 5}]]]]]</script>",
                     "<meta property='article:published_time' content='2026-02-30T99:00:00Z'>",
                     "<link rel='canonical' href='javascript:alert(1)'>"]),
    nasty_text,
    st.lists(st.one_of(paragraph, nasty_text), max_size=8),
    st.one_of(nasty_text, st.just("<div>" * 300), st.just("<table><tr><td>" * 50)),
    st.sampled_from(["</article></body></html>", "", "</p></div></span>"]),
)


@SLOW
@given(page=st.one_of(html_documents, raw_bytes, html_documents.map(lambda d: d.encode("utf-8", "surrogatepass"))))
@example(page=b"")
@example(page="<html><body>" + "<div>" * 5000 + "text " * 100)
@example(page=b"<html><body><p>" + b"\xff\xfe\xfa" * 200 + b"</p></body></html>")
def test_extract_article_returns_an_article_or_extraction_error(page):
    try:
        article = extract_article(page, "https://example.com/2026/04/story.html")
    except ExtractionError:
        return
    assert isinstance(article, ExtractedArticle)
    assert isinstance(article.text, str) and article.text.strip()
    for value in (article.title, article.author, article.published_at, article.updated_at, article.lang,
                  article.canonical_url, article.description):
        assert value is None or isinstance(value, str)


@FAST
@given(link=st.one_of(nasty_text, st.builds(lambda s, rest: s + rest,
                                             st.sampled_from(["http://", "https://", "file://", "//", "javascript:",
                                                              "data:", "/", "../", "http://[", "http://%"]),
                                             nasty_text)),
       feed=st.sampled_from(["https://example.com/news/rss.xml", "file:///srv/feeds/feed.xml"]))
def test_resolve_link_gives_a_fetchable_url_or_a_named_error(link, feed):
    try:
        url = resolve_link(link, feed, allow_local_root="/srv/feeds" if feed.startswith("file:") else None)
    except (FetchError, ValueError):
        return
    assert url.startswith(("http://", "https://", "file:///srv/feeds/"))
    assert isinstance(same_site(url, feed, RULES), bool)
