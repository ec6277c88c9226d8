"""The assembled pipeline: offsets, sentences, chunking, language check, and `kb extract`."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kb.nlp.pipeline import analyze, analyze_many, chunk_text, load_settings, shared_nlp

ARTICLE = (
    "REDMOND, Wash. — Microsoft Corp. on Tuesday released MAI-Image-2-Efficient, priced at "
    "$19.50 per million output tokens. It is live in Microsoft Foundry at 9 a.m. in the U.S. "
    "and OpenAI's Sam Altman said the partnership is strong.\n"
    "Analysts say Microsoft's stake of about 27% in OpenAI Group PBC could change.\n"
)
GERMAN = (
    "Die Bundesregierung hat am Dienstag neue Regeln für künstliche Intelligenz beschlossen. "
    "Unternehmen müssen künftig offenlegen, welche Daten sie für das Training verwenden, und "
    "Behörden sollen die Einhaltung der Vorschriften regelmäßig überprüfen. Kritiker halten die "
    "Pläne für zu streng, während Verbände von einem wichtigen Schritt sprechen."
)


def assert_offsets(text: str, result: dict) -> None:
    for item in result["entities"] + result["timexes"]:
        assert text[item["start"]:item["end"]] == item["text"]
    for event in result["events"]:
        assert text[event["start"]:event["end"]] == event["sentence"]


def test_offsets_are_character_offsets_into_the_text():
    result = analyze(ARTICLE, "2026-04-15")
    assert_offsets(ARTICLE, result)
    names = {e["entity"] for e in result["entities"]}
    assert {"Microsoft", "MAI-Image-2-Efficient", "Microsoft Foundry", "Sam Altman"} <= names
    assert "OpenAI" in names
    assert any(t["value"] == "2026-04-14" for t in result["timexes"])
    assert {e["label"] for e in result["entities"]} >= {"ORG", "PRODUCT", "PERSON", "MONEY", "PERCENT"}


def test_sentences_do_not_split_on_abbreviations():
    doc = shared_nlp()(ARTICLE)
    sentences = [s.text.strip() for s in doc.sents]
    assert sentences[0].startswith("REDMOND, Wash. — Microsoft Corp. on Tuesday released")
    assert sentences[0].endswith("output tokens.")
    assert sentences[1] == ("It is live in Microsoft Foundry at 9 a.m. in the U.S. and OpenAI's Sam "
                            "Altman said the partnership is strong.")
    assert sentences[2].startswith("Analysts say")


def test_abbreviation_before_a_sentence_starter_ends_the_sentence():
    doc = shared_nlp()("The company is based in the U.S. The deal closed. Ms. Dresser agreed.")
    assert [s.text.strip() for s in doc.sents] == [
        "The company is based in the U.S.", "The deal closed.", "Ms. Dresser agreed."]


def test_chunk_text_cuts_on_paragraphs_within_the_limit():
    text = "".join(f"Paragraph {i} " + "word " * (i % 7 + 3) + "\n\n" for i in range(200))
    chunks = chunk_text(text, 300)
    assert chunks[0][0] == 0 and chunks[-1][1] == len(text)
    for (_, end), (start, _) in zip(chunks, chunks[1:], strict=False):
        assert end == start
        assert text[end - 2:end] == "\n\n"
    assert all(end - start <= 300 for start, end in chunks)


def test_chunk_text_splits_a_paragraph_longer_than_the_limit():
    text = "word " * 1000
    chunks = chunk_text(text, 700)
    assert all(end - start <= 700 for start, end in chunks)
    assert "".join(text[s:e] for s, e in chunks) == text


def test_a_two_megabyte_text_is_chunked_not_refused():
    paragraph = ("Microsoft released MAI-Image-2 on April 2, 2026, and OpenAI signed a deal with "
                 "Amazon on Monday. " * 4).strip() + "\n\n"
    copies = 2_000_000 // len(paragraph) + 1
    text = paragraph * copies
    assert len(text) > 2_000_000 > load_settings().chunk_chars
    result = analyze(text, "2026-04-15")
    assert_offsets(text, result)
    single = analyze(paragraph, "2026-04-15")
    assert len(result["entities"]) == copies * len(single["entities"])
    assert len(result["events"]) == copies * len(single["events"])
    last = result["events"][-1]
    assert last["start"] > 1_990_000
    assert last["sentence_index"] == copies * 4 - 1


def test_non_english_text_is_skipped_with_a_status():
    result = analyze(GERMAN, "2026-04-15")
    assert result == {"entities": [], "timexes": [], "events": [], "context": [], "skipped": "not_english"}


def test_empty_text_gives_an_empty_result():
    assert analyze("", None) == {"entities": [], "timexes": [], "events": [], "context": []}
    assert analyze("   \n ", "2026-04-15") == {"entities": [], "timexes": [], "events": [], "context": []}


def test_analyze_many_keeps_order_and_ids():
    items = [{"id": "a", "text": ARTICLE, "published": "2026-04-15"},
             {"id": "b", "text": "", "published": None},
             {"id": "c", "text": GERMAN, "published": "2026-04-15"},
             {"id": "d", "text": "OpenAI sued nobody.", "published": "2026-04-15"}]
    results = list(analyze_many(items, batch_size=2))
    assert [r["id"] for r in results] == ["a", "b", "c", "d"]
    assert results[0]["events"] and results[2]["skipped"] == "not_english"


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=400),
       st.dates())
def test_analyze_never_raises_and_offsets_hold(text, published):
    result = analyze(text, published)
    assert_offsets(text, result)


def test_kb_extract_reads_stdin(run_kb):
    result = run_kb("extract", "--published", "2026-04-15",
                    input="Microsoft released MAI-Image-2-Efficient on Tuesday.")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["events"][0]["type"] == "release"
    assert data["events"][0]["date"] == "2026-04-14"


def test_kb_extract_reads_a_file(run_kb, tmp_path):
    path = tmp_path / "article.txt"
    path.write_text(ARTICLE, encoding="utf-8")
    result = run_kb("extract", str(path), "--published", "2026-04-15")
    assert result.exit_code == 0, result.output
    assert_offsets(ARTICLE, json.loads(result.output))


def test_kb_extract_jsonl_keeps_good_lines_and_reports_bad_ones(run_kb):
    lines = "\n".join([
        json.dumps({"id": 1, "text": "OpenAI sued Microsoft yesterday.", "published": "2026-04-15"}),
        "{not json",
        json.dumps({"id": 3, "text": "Microsoft invested in OpenAI.", "published": "15/04/2026"}),
        json.dumps({"id": 4, "text": "Microsoft released MAI-Image-2 today."}),
    ])
    result = run_kb("extract", "--jsonl", "--published", "2026-04-20", input=lines + "\n")
    assert result.exit_code == 1
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert [o["id"] for o in out] == [1, 4]
    assert out[0]["events"][0]["date"] == "2026-04-14"
    assert out[1]["events"][0]["date"] == "2026-04-20"
    assert "line 2: invalid JSON" in result.stderr
    assert "line 3: published" in result.stderr
    assert "Traceback" not in result.output


def test_kb_extract_bad_published_is_a_usage_error(run_kb):
    result = run_kb("extract", "--published", "2026-02-30", input="text")
    assert result.exit_code == 2
    assert "is not a date" in result.output
    assert "Traceback" not in result.output


def test_kb_extract_missing_file_is_a_usage_error(run_kb, tmp_path):
    result = run_kb("extract", str(tmp_path / "missing.txt"))
    assert result.exit_code == 2
    assert "no file named" in result.output and "--text" in result.output
