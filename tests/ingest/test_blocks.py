"""The block classifier (ingest.blocks with data/blocks.toml) on pages written for these tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.blocks import Block, body_text, load_block_rules
from ingest.exceptions import PolicyError
from ingest.extract import extract_article

ROOT = Path(__file__).resolve().parents[2]
RULES = load_block_rules(ROOT / "data" / "blocks.toml")
FILLER = ("<p>Microsoft said on Monday that the new service would reach customers in every Azure region "
          "by the end of the quarter, after a preview that ran for most of the winter.</p>")


def blocks_of(body: str) -> list[tuple[str, str]]:
    page = f"<html><body><article><h1>Headline of the story</h1>{body}</article></body></html>"
    article = extract_article(page, "https://example.com/2026/04/story", RULES)
    return [(b.kind, article.text[b.start:b.end]) for b in article.blocks]


def kinds(body: str) -> dict[str, str]:
    return {text.removeprefix("- "): kind for kind, text in blocks_of(body)}


def test_a_related_heading_takes_the_list_after_it_and_ends_at_the_next_paragraph():
    found = kinds(FILLER + "<h2>More from Cloudline</h2><ul>"
                  "<li><a href='/a'>OpenAI opens an office in Seoul</a> (May 1, 2026)</li>"
                  "<li><a href='/b'>Nadella reorganises the Azure group</a> (April 9, 2026)</li></ul>"
                  "<p>Back in the story, Microsoft said the rollout had started in Europe and would "
                  "reach Asia next, according to the company.</p>")
    assert found["More from Cloudline"] == "related_links"
    assert found["OpenAI opens an office in Seoul (May 1, 2026)"] == "related_links"
    assert found["Nadella reorganises the Azure group (April 9, 2026)"] == "related_links"
    assert found["Back in the story, Microsoft said the rollout had started in Europe and would reach "
                 "Asia next, according to the company."] == "paragraph"


def test_a_list_item_that_is_mostly_a_link_is_another_article_and_read_more_lines_too():
    found = kinds(FILLER + "<ul><li><a href='/x'>Microsoft buys a chip designer for $4 billion in cash</a> "
                  "(video)</li><li>The preview ran for twelve weeks in three regions.</li></ul>"
                  "<p>Read more: Why the cloud giants keep building their own chips</p>" + FILLER)
    assert found["Microsoft buys a chip designer for $4 billion in cash (video)"] == "related_links"
    assert found["The preview ran for twelve weeks in three regions."] == "list_item"
    assert found["Read more: Why the cloud giants keep building their own chips"] == "related_links"


def test_a_faq_runs_over_its_questions_until_a_heading_that_is_not_one():
    found = kinds(FILLER + "<h2>Frequently Asked Questions</h2><h3>When did the preview start?</h3>"
                  "<p>Microsoft opened the preview on January 12, 2026.</p>"
                  "<h2>Is it free?</h2><p>No, it is priced per hour.</p>"
                  "<h2>What analysts say</h2><p>Analysts said the launch came earlier than expected, "
                  "which left rivals little time to respond before the summer.</p>")
    assert found["Frequently Asked Questions"] == "faq"
    assert found["Microsoft opened the preview on January 12, 2026."] == "faq"
    assert found["No, it is priced per hour."] == "faq"
    assert found["What analysts say"] == "heading"
    assert found["Analysts said the launch came earlier than expected, which left rivals little time to "
                 "respond before the summer."] == "paragraph"


@pytest.mark.parametrize("line", [
    "Editorial illustration for a story on cloud pricing.",
    "Photo: Microsoft's campus in Redmond in 2024.",
    "Satya Nadella on stage in Seattle. (Image credit: Cloudline)",
    "Microsoft's headquarters in Redmond, Washington. (Getty Images)",
])
def test_captions_and_image_credits(line):
    assert kinds(FILLER + f"<p>{line}</p>" + FILLER)[line] == "caption"


def test_a_byline_is_not_a_sentence_that_starts_with_by():
    found = kinds("<p>By Dana Whitcombe and Lee Ortiz | April 14, 2026</p>" + FILLER +
                  "<p>By Tuesday, Microsoft had shipped the update to every customer.</p>")
    assert found["By Dana Whitcombe and Lee Ortiz | April 14, 2026"] == "byline"
    assert found["By Tuesday, Microsoft had shipped the update to every customer."] == "paragraph"


@pytest.mark.parametrize(("opening", "dateline"), [
    ("SAN FRANCISCO, April 14 (Reuters) - ", "SAN FRANCISCO, April 14 (Reuters) -"),
    ("(Reuters) - ", "(Reuters) -"),
    ("REDMOND, Wash. — ", "REDMOND, Wash. —"),
    ("REDMOND, Wash. — April 14, 2026 /PR Wire/ — ", "REDMOND, Wash. — April 14, 2026 /PR Wire/ —"),
])
def test_a_dateline_is_a_block_of_its_own_before_its_paragraph(opening, dateline):
    found = blocks_of(f"<p>{opening}Microsoft said on Tuesday it would open a data center in Wisconsin "
                      "next year, its largest in the Midwest.</p>" + FILLER)
    assert found[0] == ("dateline", dateline)
    assert found[1][0] == "paragraph" and found[1][1].startswith("Microsoft said on Tuesday")


def test_a_paragraph_in_capitals_later_in_the_story_is_not_a_dateline():
    body = "".join(f"<p>Paragraph {n} says that Microsoft opened {n} new offices in Europe this year, more "
                   f"than it had planned in {2020 + n}.</p>" for n in range(1, 4))
    body += "<p>NEW YORK - the city - was where the company said it would hire next year.</p>"
    assert [kind for kind, _ in blocks_of(body)] == ["paragraph"] * 4


def test_blocks_are_in_order_and_inside_the_text():
    page = (ROOT / "tests/ingest/pages/further-reading-faq.html").read_bytes()
    article = extract_article(page, "https://example.com/a", RULES)
    ends = [0]
    for block in article.blocks:
        assert ends[-1] <= block.start < block.end <= len(article.text)
        assert article.text[block.start:block.end].strip()
        ends.append(block.end)


def test_the_body_text_maps_back_to_the_stored_text():
    lines = [("paragraph", "Lead paragraph here."), ("related_links", "Related: other story"),
             ("paragraph", "Second paragraph."), ("caption", "Photo: credit"), ("paragraph", "Third one.")]
    text = "\n".join(line for _, line in lines)
    blocks, at = [], 0
    for kind, line in lines:
        blocks.append(Block(kind, at, at + len(line)))
        at += len(line) + 1
    body = body_text(text, blocks)
    assert body.text == "Lead paragraph here.\nSecond paragraph.\nThird one."
    start = body.text.index("Second")
    assert text[body.article_offset(start):body.article_offset(start + 17, end=True)] == "Second paragraph."
    third = body.text.index("Third")
    assert text[body.article_offset(third):body.article_offset(len(body.text), end=True)] == "Third one."
    assert not body.same_offsets


def test_without_blocks_or_with_only_body_blocks_the_body_is_the_whole_text():
    text = "One paragraph.\nAnother one."
    assert body_text(text, []).text == text
    assert body_text(text, [Block("paragraph", 0, 14), Block("paragraph", 15, 27)]).same_offsets


def test_a_broken_rules_file_is_named(tmp_path):
    path = tmp_path / "blocks.toml"
    path.write_text("[caption]\npatterns = ['(unclosed']\n")
    with pytest.raises(PolicyError, match="blocks.toml: \\[caption\\]: invalid pattern"):
        load_block_rules(path)
    path.write_text('body_kinds = ["paragraph", "sidebar"]\n')
    with pytest.raises(PolicyError, match="unknown kinds"):
        load_block_rules(path)


def test_a_sentence_crediting_the_writer_is_a_byline_and_the_rest_of_its_paragraph_stays():
    found = blocks_of(FILLER + "<p>Written by Dana Whitcombe, a Chicago-based technology reporter backed by "
                      "the Lakeside Fund, this explainer looks at the new service. Microsoft said it would cost "
                      "less than the old one.</p><p>Written by Sam Altman, the memo said OpenAI would open "
                      "an office in Seoul.</p><p>(Reporting by Dana Whitcombe; Editing by Lee Ortiz)</p>")
    assert found[1] == ("byline", "Written by Dana Whitcombe, a Chicago-based technology reporter backed by the "
                                  "Lakeside Fund, this explainer looks at the new service.")
    assert found[2] == ("paragraph", "Microsoft said it would cost less than the old one.")
    # A memo's author is not a writer's credit: no role of a writer follows the name.
    assert found[3][0] == "paragraph" and found[3][1].startswith("Written by Sam Altman")
    assert found[4] == ("byline", "(Reporting by Dana Whitcombe; Editing by Lee Ortiz)")
