"""The headline is the article's own lead sentence: `kb ingest` of pages whose headline states
the lead's fact (one more report of the lead's event), a headline over a lead that states no
event, and a headline that states another fact than its lead. Headlines of other articles (a
"Further Reading" list) make nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kb.jobs.headline import HEADLINE_SENTENCE
from tests.loopback import respond
from tests.sqlite_read import rows

PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title} | Testwire</title>
<meta property="article:published_time" content="{published}">
<link rel="canonical" href="https://testwire.example/2026/05/{slug}"></head>
<body><main><article><h1>{title}</h1>
{paragraphs}
<h2>Further Reading</h2>
<ul>
<li><a href="https://testwire.example/2025/11/aws">OpenAI signs a $38 billion deal with Amazon Web Services</a></li>
<li><a href="https://testwire.example/2024/03/hire">Microsoft hires Mustafa Suleyman to run a consumer AI unit</a></li>
</ul>
</article></main></body></html>
"""
PAGES = {
    # The headline states the lead's fact in other words.
    "voice-3": ("Microsoft unveils MAI-Voice-3, a faster speech model", "2026-05-06T09:00:00-07:00", [
        "Microsoft on Tuesday released MAI-Voice-3, a speech generation model built by its "
        "Microsoft AI group, and made it available to developers in Microsoft Foundry.",
        "The company said the model needs half the computing of the one it replaces, and that "
        "Copilot will use it for spoken answers.",
        "Microsoft AI has been building its own models next to those it licenses from OpenAI.",
    ]),
    # The headline announces a release, but the lead sentence states no event.
    "speech-field": ("Microsoft releases MAI-Voice-3 into a crowded field", "2026-05-07T09:00:00-07:00", [
        "Speech models have become one of the busiest corners of the industry, and prices keep falling.",
        "Developers weigh latency, the number of voices and the cost of an hour of audio before "
        "they pick one, analysts at the research group said.",
        "Whichever model wins, few customers will notice which company trained it.",
    ]),
    # The headline states another fact than its lead (an investment; the lead is a release).
    "mixed": ("Microsoft invests $2 billion in OpenAI", "2026-05-08T09:00:00-07:00", [
        "Microsoft on Thursday released MAI-Image-3, its third in-house image model, in Microsoft Foundry.",
        "The model draws legible text inside pictures and follows long prompts, the company said.",
        "It joins two earlier image models that Microsoft AI shipped over the past year.",
    ]),
    # A deck before the dateline's paragraph: the dateline marks the lead.
    "decked": ("Microsoft hires Tomas Reyna to lead its speech models", "2026-05-09T09:00:00-07:00", [
        "The company keeps building a team of its own, with one more senior name from a rival lab.",
        "REDMOND, Wash. — Microsoft on Friday hired Tomas Reyna, a speech researcher, to lead its "
        "voice model work, the company said.",
        "Reyna will report to Mustafa Suleyman.",
    ]),
}
FEED_ITEM = ("<item><title>{title}</title><link>{base}/2026/05/{slug}</link><guid>{slug}</guid>"
             "</item>")


@pytest.fixture
def ingested(loopback, run_kb, db_path, tmp_path) -> Path:
    items = []
    for slug, (title, published, paragraphs) in PAGES.items():
        html = PAGE.format(title=title, published=published, slug=slug,
                           paragraphs="\n".join(f"<p>{p}</p>" for p in paragraphs))
        loopback.routes[f"/2026/05/{slug}"] = lambda h, html=html: respond(h, 200, html)
        items.append(FEED_ITEM.format(title=title, base=loopback.base_url, slug=slug))
    feed = ('<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Testwire</title>'
            f"<link>{loopback.base_url}/</link>{''.join(items)}</channel></rss>")
    loopback.routes["/feed.xml"] = lambda h: respond(h, 200, feed, "application/rss+xml")
    sources = tmp_path / "sources.toml"
    sources.write_text(f'allow_private_addresses = true\n\n[[source]]\nname = "Testwire"\n'
                       f'url = "{loopback.url("/feed.xml")}"\n')
    result = run_kb("ingest", "--sources", str(sources))
    assert result.exit_code == 0, result.output
    return db_path


def article_id(db_path: Path, slug: str) -> int:
    return rows(db_path, "select id from articles where url like ?", [f"%/{slug}"])[0][0]


def test_the_headline_is_one_more_report_of_the_leads_event(ingested):
    article = article_id(ingested, "voice-3")
    (headline,) = rows(ingested, "select type, date, event_id, sentence, entities from event_mentions "
                                 "where article_id = ? and sentence_index = ?", [article, HEADLINE_SENTENCE])
    (lead,) = rows(ingested, "select type, date, event_id from event_mentions where article_id = ? "
                             "and sentence_index = 0", [article])
    assert headline[3] == "Microsoft unveils MAI-Voice-3, a faster speech model"
    assert headline[:3] == lead == ("release", "2026-05-05", lead[2])  # the lead's date: "on Tuesday"
    names = {e["name"] for e in json.loads(headline[4])}
    assert {"Microsoft", "MAI-Voice-3"} <= names
    assert rows(ingested, "select mentions from events where id = ?", [lead[2]])[0][0] >= 1


def test_a_headline_over_a_lead_without_an_event_makes_nothing(ingested):
    article = article_id(ingested, "speech-field")
    assert rows(ingested, "select type, sentence from event_mentions where article_id = ?", [article]) == []
    assert rows(ingested, "select count(*) from events where type = 'release' and date = '2026-05-07'") == [(0,)]


def test_a_headline_stating_another_fact_makes_no_event(ingested):
    article = article_id(ingested, "mixed")
    found = rows(ingested, "select type, sentence_index from event_mentions where article_id = ?", [article])
    assert ("release", 0) in found
    assert all(index != HEADLINE_SENTENCE for _, index in found)
    assert rows(ingested, "select count(*) from events where type = 'investment'") == [(0,)]


def test_headlines_make_no_events_of_their_own_and_other_articles_headlines_make_nothing(ingested):
    events = rows(ingested, "select id, sentence from events")
    reported = {row[0] for row in rows(ingested, "select event_id from event_mentions "
                                                 f"where sentence_index != {HEADLINE_SENTENCE}")}
    assert {event for event, _ in events} == reported  # every event has a body report
    sentences = " ".join(s for _, s in rows(ingested, "select type, sentence from event_mentions"))
    for foreign in ("Amazon Web Services", "Mustafa Suleyman", "$2 billion"):
        assert foreign not in sentences, foreign


def test_after_a_deck_the_dateline_marks_the_lead(ingested):
    article = article_id(ingested, "decked")
    found = dict(rows(ingested, "select sentence_index, event_id from event_mentions where article_id = ? "
                                "and type = 'personnel'", [article]))
    assert found[HEADLINE_SENTENCE] == found[1]  # the dateline's sentence, after the deck
