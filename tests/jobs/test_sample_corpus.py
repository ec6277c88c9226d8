"""The bundled sample corpus: rendered pages, feeds, sources.toml and the planted test cases."""

from __future__ import annotations

import calendar
import html
import json
import re
import tomllib
from datetime import datetime
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import feedparser
import pytest

from bench.corpus import CorpusError, load_outlets, render_article, render_sample
from kb.core.config import load_sources, load_topics

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "data" / "sample"
OUTLETS = load_outlets(SAMPLE)
PLANTED = tomllib.loads((SAMPLE / "planted.toml").read_text(encoding="utf-8"))
ARTICLE_PAGES = sorted(p for key in OUTLETS for p in (SAMPLE / key).glob("[0-9]*/[0-9]*/*.html"))


class PageParser(HTMLParser):
    """Collect what a crawler reads from an article page: meta tags, canonical, JSON-LD, text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.meta: dict[str, list[str]] = {}
        self.canonical: list[str] = []
        self.json_ld: list[str] = []
        self.links: list[str] = []
        self.text: list[str] = []
        self._in_script: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "meta" and ("property" in a or "name" in a):
            self.meta.setdefault(a.get("property") or a["name"], []).append(a.get("content", ""))
        elif tag == "link" and a.get("rel") == "canonical":
            self.canonical.append(a["href"])
        elif tag == "a" and "href" in a:
            self.links.append(a["href"])
        elif tag in ("script", "style"):
            self._in_script = a.get("type", tag)
            if self._in_script == "application/ld+json":
                self.json_ld.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._in_script = None

    def handle_data(self, data: str) -> None:
        if self._in_script == "application/ld+json":
            self.json_ld[-1] += data
        elif self._in_script is None:
            self.text.append(data)


def parse_page(path: Path) -> PageParser:
    parser = PageParser()
    parser.feed(path.read_text(encoding="utf-8"))
    parser.close()
    return parser


def page_path(key: str) -> Path:
    """Rendered page of an article key 'outlet/slug' (the date directories are not in the key)."""
    outlet, slug = key.split("/")
    matches = list((SAMPLE / outlet).glob(f"[0-9]*/[0-9]*/{slug}.html"))
    assert len(matches) == 1, f"{key}: expected one rendered page, found {matches}"
    return matches[0]


def page_text(path: Path) -> str:
    return " ".join(" ".join(parse_page(path).text).split())


def feed_links(outlet_key: str) -> list[tuple[str, str]]:
    """(link, published) of each entry of an outlet's feed, in feed order."""
    outlet = OUTLETS[outlet_key]
    path = SAMPLE / outlet_key / outlet.feed_file
    if outlet.feed_format == "jsonfeed":
        feed = json.loads(path.read_text(encoding="utf-8"))
        assert feed["version"] == "https://jsonfeed.org/version/1.1"
        return [(item["url"], item["date_published"]) for item in feed["items"]]
    parsed = feedparser.parse(path.read_bytes())
    assert not parsed.bozo, f"{path}: {parsed.get('bozo_exception')}"
    return [(entry.link, entry.published) for entry in parsed.entries]


def test_corpus_has_at_least_forty_article_pages():
    assert len(ARTICLE_PAGES) >= 40
    for key in OUTLETS:
        assert list((SAMPLE / key).glob("[0-9]*/[0-9]*/*.html")), f"{key} has no pages"


@pytest.mark.parametrize("outlet_key", sorted(OUTLETS))
def test_feed_parses_and_links_point_at_existing_pages(outlet_key):
    entries = feed_links(outlet_key)
    pages = sorted((SAMPLE / outlet_key).glob("[0-9]*/[0-9]*/*.html"))
    assert len(entries) == len(pages)
    for link, _ in entries:
        assert not urlsplit(link).scheme, f"{link} should be relative to the feed file"
        assert (SAMPLE / outlet_key / link).is_file(), link


@pytest.mark.parametrize("outlet_key", sorted(OUTLETS))
def test_feed_is_newest_first(outlet_key):
    outlet = OUTLETS[outlet_key]
    path = SAMPLE / outlet_key / outlet.feed_file
    if outlet.feed_format == "jsonfeed":
        stamps = [i["date_published"] for i in json.loads(path.read_text(encoding="utf-8"))["items"]]
        times = [datetime.fromisoformat(s).timestamp() for s in stamps]
    else:
        times = [calendar.timegm(e.published_parsed) for e in feedparser.parse(path.read_bytes()).entries]
    assert times == sorted(times, reverse=True)


def test_every_page_has_json_ld_meta_and_canonical_on_its_outlet_domain():
    for path in ARTICLE_PAGES:
        outlet = OUTLETS[path.relative_to(SAMPLE).parts[0]]
        page = parse_page(path)
        assert len(page.json_ld) == 1, path
        data = json.loads(page.json_ld[0])
        assert data["@type"] == "NewsArticle"
        assert data["datePublished"] == page.meta["article:published_time"][0]
        assert data["headline"] and data["author"][0]["name"]
        assert data["publisher"]["name"] == outlet.name
        assert len(page.canonical) == 1
        canonical = urlsplit(page.canonical[0])
        assert (canonical.scheme, canonical.netloc) == ("https", outlet.domain), path
        # The canonical path mirrors the file layout: /yyyy/mm/slug for yyyy/mm/slug.html.
        assert canonical.path == "/" + str(path.relative_to(SAMPLE / outlet.key).with_suffix(""))
        assert page.meta["og:url"] == [page.canonical[0]]
        assert page.meta["og:title"] == [data["headline"]]


def test_modified_time_only_on_updated_pages():
    updated = [p for p in ARTICLE_PAGES if "article:modified_time" in parse_page(p).meta]
    assert updated == [page_path(PLANTED["update"]["article"])]


def test_related_links_point_at_other_pages_of_the_same_outlet():
    for path in ARTICLE_PAGES + sorted((SAMPLE / "revisions").glob("*.html")):
        relative = [h for h in parse_page(path).links if not urlsplit(h).scheme and h.endswith(".html")]
        assert relative, f"{path} has no related-stories links"
        for href in relative:
            target = (path.parent / href).resolve()
            assert target.is_file(), f"{path}: broken link {href}"
            assert target != path.resolve()


def test_syndicated_copy_credits_the_original_with_its_own_canonical():
    original = parse_page(page_path(PLANTED["syndication"]["original"]))
    copy_path = page_path(PLANTED["syndication"]["copy"])
    copy = parse_page(copy_path)
    assert copy.canonical[0].startswith("https://signalstack.example/")
    assert "This article first appeared on Cloudline Daily" in page_text(copy_path)
    assert original.canonical[0] in copy.links
    assert json.loads(copy.json_ld[0])["isBasedOn"] == original.canonical[0]


def test_revision_is_the_older_text_of_the_updated_article():
    current_path = page_path(PLANTED["update"]["article"])
    revision_path = SAMPLE / PLANTED["update"]["revision"]
    current, revision = parse_page(current_path), parse_page(revision_path)
    assert revision.canonical == current.canonical
    assert "article:modified_time" not in revision.meta
    assert revision.meta["article:published_time"] == current.meta["article:published_time"]
    fact = PLANTED["update"]["added_fact"]
    assert fact in page_text(current_path)
    assert fact not in page_text(revision_path)
    outlet_key = PLANTED["update"]["article"].split("/")[0]
    assert all("revisions" not in link for link, _ in feed_links(outlet_key))


def test_rumor_precedes_its_denial_and_both_name_the_same_entities():
    rumor = parse_page(page_path(PLANTED["rumor"]["article"]))
    denial = parse_page(page_path(PLANTED["rumor"]["denial"]))
    assert rumor.meta["article:published_time"][0] < denial.meta["article:published_time"][0]
    rumor_text = page_text(page_path(PLANTED["rumor"]["article"]))
    denial_text = page_text(page_path(PLANTED["rumor"]["denial"]))
    for entity in PLANTED["rumor"]["entities"]:
        assert entity in rumor_text and entity in denial_text
    assert re.search(r"unconfirmed|familiar with|not been able to confirm", rumor_text)
    assert PLANTED["rumor"]["denial_phrase"] in denial_text


def test_independent_reports_come_from_distinct_outlets():
    for name, keys in PLANTED["independent_reports"].items():
        outlets = {key.split("/")[0] for key in keys}
        assert len(outlets) == len(keys) >= 2, name
        for key in keys:
            assert page_path(key).is_file()


def test_off_topic_articles_mention_no_topic_keyword():
    topic = load_topics(ROOT / "data" / "topics.toml")[0]
    words = set(topic.keywords) | set(topic.entities)
    for key in PLANTED["off_topic"]["articles"]:
        # The article's own words; the page around it links to on-topic stories of the outlet.
        text = (SAMPLE / "src" / f"{key}.md").read_text(encoding="utf-8")
        assert page_path(key).is_file()
        found = [w for w in words if re.search(rf"\b{re.escape(w)}\b", text, re.IGNORECASE)]
        assert not found, f"{key} mentions {found}"


def test_sources_toml_loads_and_every_feed_exists():
    sources = load_sources(SAMPLE / "sources.toml")
    assert {s.name for s in sources.sources} == {o.name for o in OUTLETS.values()}
    for source in sources.sources:
        assert source.local and Path(urlsplit(source.url).path).is_file()
    first_party = {s.name for s in sources.sources if s.first_party}
    assert first_party == {o.name for o in OUTLETS.values() if o.first_party} == {"Newsroom Wire (sample)"}


def test_rendering_is_deterministic_and_committed_output_is_current(tmp_path):
    first = render_sample(SAMPLE, tmp_path / "a")
    render_sample(SAMPLE, tmp_path / "b")
    for path in first:
        relative = path.relative_to(tmp_path / "a")
        data = path.read_bytes()
        assert data == (tmp_path / "b" / relative).read_bytes(), relative
        assert data == (SAMPLE / relative).read_bytes(), (
            f"{relative} is stale: run `.venv/bin/python bench/corpus.py render-sample`"
        )


def test_rerender_removes_pages_whose_source_is_gone(tmp_path):
    out = tmp_path / "out"
    stale = out / "cloudline" / "2020" / "01" / "deleted-story.html"
    stale.parent.mkdir(parents=True)
    stale.write_text("old", encoding="utf-8")
    render_sample(SAMPLE, out)
    assert not stale.exists()


def test_text_is_escaped_in_markup_and_json_ld():
    meta = {
        "title": "</script><script>alert(1)</script> & <b>bold</b>",
        "slug": "hostile-title",
        "author": 'Ann "Quote" O\'Neil',
        "published": "2026-01-05T09:00:00+00:00",
        "summary": "Summary with <img src=x onerror=alert(1)>",
    }
    body = "A <i>paragraph</i> & more.\n\n## Sub <head>\n\n> A <quote>"
    page = render_article(meta, body, OUTLETS["cloudline"])
    assert "<script>alert(1)" not in page
    assert "<img src=x" not in page
    assert "<i>paragraph</i>" not in page and "&lt;i&gt;paragraph&lt;/i&gt; &amp; more." in page
    parser = PageParser()
    parser.feed(page)
    assert json.loads(parser.json_ld[0])["headline"] == meta["title"]


def test_bad_front_matter_is_reported_with_the_file_name(tmp_path):
    sample = tmp_path / "sample"
    (sample / "src" / "cloudline").mkdir(parents=True)
    (sample / "templates").mkdir()
    for name in ("outlets.toml",):
        (sample / name).write_bytes((SAMPLE / name).read_bytes())
    for template in (SAMPLE / "templates").iterdir():
        (sample / "templates" / template.name).write_bytes(template.read_bytes())
    bad = sample / "src" / "cloudline" / "no-offset.md"
    bad.write_text(
        '+++\ntitle = "T"\nslug = "no-offset"\nauthor = "A"\npublished = "2026-01-01T10:00:00"\n'
        'summary = "S"\n+++\nBody.\n',
        encoding="utf-8",
    )
    with pytest.raises(CorpusError, match=r"no-offset\.md.*UTC offset"):
        render_sample(sample, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_page_furniture_is_on_the_page_in_its_markup():
    case = PLANTED["page_furniture"]
    source = page_path(case["article"]).read_text(encoding="utf-8")
    text = page_text(page_path(case["article"]))
    assert f'<p class="art-credit">{html.escape(case["caption"])}' in source
    assert f"<p>{html.escape(case['dateline'])} " in source
    assert f"<h2>{case['related_heading']}</h2>" in source and f"<h2>{case['faq_heading']}</h2>" in source
    for headline in case["related_headlines"]:
        assert f">{html.escape(headline)}</a> (" in source
    for question in case["faq_questions"]:
        assert f"<h3>{html.escape(question)}</h3>" in source
    assert source.index(case["related_heading"]) < source.index(case["faq_heading"])
    assert case["caption"] in text


def test_reworded_copy_first_party_mirror_and_no_news_analysis_are_there():
    copy = PLANTED["reworded_syndication"]
    copy_page = parse_page(page_path(copy["copy"]))
    assert json.loads(copy_page.json_ld[0])["isBasedOn"] == parse_page(page_path(copy["original"])).canonical[0]
    assert f"<h2>{copy['related_heading']}</h2>" in page_path(copy["copy"]).read_text(encoding="utf-8")
    mirror = PLANTED["first_party_mirror"]
    original_text = page_text(page_path(mirror["original"]))
    mirror_text = page_text(page_path(mirror["mirror"]))
    first_paragraph = original_text[original_text.index("REDMOND"):][:300]
    assert first_paragraph in mirror_text
    assert OUTLETS[mirror["original"].split("/")[0]].first_party
    analysis = PLANTED["no_news_analysis"]
    text = page_text(page_path(analysis["article"]))
    for key in ("plan", "conditional", "question", "opinion"):
        assert analysis[key] in text, key
    for recap in analysis["recaps"]:
        assert recap in text, recap


def test_bylines_inline_links_and_a_timeline_box_are_there():
    case = PLANTED["byline_and_inline_links"]
    text = page_text(page_path(case["article"]))
    for line in (*case["bylines"], case["image_credit"], case["related_line"]):
        assert line in text, line
    box = PLANTED["timeline_box"]
    source = page_path(box["article"]).read_text(encoding="utf-8")
    assert f"<h2>{box['heading']}</h2>" in source
    for line in (box["byline"], box["previously"], *box["items"]):
        assert f"<p>{html.escape(line)}</p>" in source or f"<li>{html.escape(line)}</li>" in source, line
