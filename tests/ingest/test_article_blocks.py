"""`kb ingest` of a page shaped like a tech-press article: a byline, an image caption, a dateline,
a "Further Reading" list of other headlines and a "Common Questions Answered" FAQ around a body
of three paragraphs. Only the body makes events; the whole text stays searchable."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from tests.loopback import respond
from tests.sqlite_read import rows

PAGE = Path(__file__).with_name("pages") / "further-reading-faq.html"
FEED = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Testwire</title><link>{base}/</link>
<item><title>Microsoft releases MAI-Voice-2</title><link>{base}/2026/04/mai-voice-2</link>
<guid>mai-voice-2</guid><pubDate>Wed, 22 Apr 2026 16:00:00 GMT</pubDate></item>
</channel></rss>
"""


@pytest.fixture
def ingested(loopback, run_kb, db_path, tmp_path) -> Path:
    loopback.routes["/feed.xml"] = lambda h: respond(h, 200, FEED.format(base=loopback.base_url),
                                                      "application/rss+xml")
    loopback.routes["/2026/04/mai-voice-2"] = lambda h: respond(h, 200, PAGE.read_bytes())
    sources = tmp_path / "sources.toml"
    sources.write_text(f'allow_private_addresses = true\n\n[[source]]\nname = "Testwire"\n'
                       f'url = "{loopback.url("/feed.xml")}"\n')
    result = run_kb("ingest", "--sources", str(sources))
    assert result.exit_code == 0, result.output
    return db_path


def test_only_the_body_makes_events(ingested):
    events = rows(ingested, "select type, sentence from event_mentions")
    sentences = [s for _, s in events]
    assert ("release", "Microsoft on Tuesday released MAI-Voice-2, a speech generation model built by "
            "its Microsoft AI group, and made it available in Microsoft Foundry for developers.") in events
    for foreign in ("MAI-Image-2 in Foundry", "Amazon Web Services", "definitive agreement",  # Further Reading
                    "MAI-Voice-1", "$1 billion", "Quillfeather"):  # the FAQ and the caption
        assert not any(foreign in s for s in sentences), foreign


def test_the_evidence_sentence_has_no_dateline_and_points_at_the_stored_text(ingested):
    (text,) = rows(ingested, "select text from articles")[0]
    # The headline's report of the lead (sentence_index -1, kb.jobs.headline) is not in the text.
    found = rows(ingested, 'select sentence, start, "end" from event_mentions where sentence_index >= 0')
    assert found
    for sentence, start, end in found:
        assert not sentence.startswith("REDMOND")
        assert text[start:end] == sentence


def test_the_headline_joins_the_leads_event(ingested):
    found = rows(ingested, "select sentence_index, event_id, sentence from event_mentions order by sentence_index")
    assert found[0][0] == -1 and found[0][2] == "Microsoft releases MAI-Voice-2, its second in-house speech model"
    assert found[0][1] == found[1][1]  # the lead's event
    assert rows(ingested, "select count(*) from events") == [(len({row[1] for row in found}),)]


def test_the_whole_text_stays_searchable(ingested):
    hits = rows(ingested, "select rowid from articles_fts where articles_fts match 'Quillfeather'")
    assert len(hits) == 1
    assert rows(ingested, "select count(*) from articles where text like '%Further Reading%'") == [(1,)]


def test_blocks_are_stored_with_their_kinds(ingested):
    (text,) = rows(ingested, "select text from articles")[0]
    blocks = rows(ingested, 'select kind, start, "end" from article_blocks order by seq')
    by_kind: dict[str, list[str]] = {}
    for kind, start, end in blocks:
        by_kind.setdefault(kind, []).append(text[start:end])
    assert by_kind["byline"] == ["By Dana Whitcombe, Senior Reporter"]
    assert by_kind["caption"][0].startswith("Editorial illustration for")
    assert by_kind["dateline"] == ["REDMOND, Wash. —"]
    assert len(by_kind["paragraph"]) == 3
    assert by_kind["related_links"][0] == "Further Reading" and len(by_kind["related_links"]) == 4
    assert by_kind["faq"][0] == "Common Questions Answered" and len(by_kind["faq"]) == 5


def test_an_article_stored_without_blocks_is_analysed_whole_until_its_page_is_fetched_again(
        ingested, run_kb, loopback, tmp_path):
    conn = sqlite3.connect(ingested)
    with conn:  # as stored before blocks were kept
        conn.execute("delete from article_blocks")
    conn.close()
    assert run_kb("reprocess", "--all").exit_code == 0
    sentences = [s for (s,) in rows(ingested, "select sentence from event_mentions")]
    assert any("Quillfeather" in s for s in sentences)  # the FAQ, read as body
    result = run_kb("add", "--sources", str(tmp_path / "sources.toml"), loopback.url("/2026/04/mai-voice-2"))
    assert result.exit_code == 0, result.output
    assert rows(ingested, "select count(*) from article_blocks where kind = 'faq'") == [(5,)]
    sentences = [s for (s,) in rows(ingested, "select sentence from event_mentions")]
    assert sentences and not any("Quillfeather" in s for s in sentences)
