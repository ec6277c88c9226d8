"""The gazetteer file and the three entity components on spacy.blank("en")."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import spacy
from hypothesis import given, settings
from hypothesis import strategies as st

from kb.core.errors import ConfigError
from kb.nlp.gazetteer import (
    ENTITY_TYPES,
    AliasMatcher,
    default_gazetteer_path,
    load_gazetteer,
    normalize_form,
    parse_gazetteer_lines,
)

ROOT = Path(__file__).resolve().parents[2]
REAL_GAZETTEER = ROOT / "data" / "gazetteer.jsonl"

SMALL_ENTRIES = [
    {"name": "Microsoft", "type": "ORG", "aliases": ["Microsoft Corp."], "topic_weight": 1.0},
    {"name": "Microsoft AI", "type": "ORG", "aliases": [], "topic_weight": 1.0},
    {"name": "OpenAI", "type": "ORG", "aliases": ["OpenAI Group PBC"], "topic_weight": 1.0},
    {"name": "MAI-Image-2", "type": "PRODUCT", "aliases": [], "topic_weight": 1.0},
    {"name": "MAI-Image-2-Efficient", "type": "PRODUCT", "aliases": [], "topic_weight": 1.0},
    {"name": "Nvidia", "type": "ORG", "aliases": [], "topic_weight": 0.7},
    {"name": "H100", "type": "PRODUCT", "aliases": [], "topic_weight": 0.7},
    {"name": "GPT-4", "type": "PRODUCT", "aliases": [], "topic_weight": 0.8},
    {"name": "Adam D'Angelo", "type": "PERSON", "aliases": ["D'Angelo"], "topic_weight": 0.4},
    {"name": "Mustafa Suleyman", "type": "PERSON", "aliases": ["Suleyman"], "topic_weight": 1.0},
]

# Every name listed under "People and organisations worth having in the gazetteer" in the
# project's facts sheet must resolve through the real gazetteer.
REQUIRED_NAMES = [
    "Microsoft", "Microsoft AI", "Azure", "Microsoft Foundry", "Azure AI Foundry", "Copilot", "Bing",
    "OpenAI", "OpenAI Group PBC", "OpenAI Foundation", "ChatGPT", "GPT-4", "GPT-4o", "GPT-5",
    "DALL-E", "Sora", "MAI-Voice-1", "MAI-1-preview", "MAI-Image-1", "MAI-Image-2",
    "MAI-Image-2-Efficient", "Amazon", "Amazon Web Services", "Amazon Bedrock", "Google",
    "Google DeepMind", "Gemini", "Anthropic", "Claude", "Meta", "Llama", "Nvidia", "H100",
    "CoreWeave", "Oracle", "SoftBank", "MGX", "Stargate", "Inflection AI", "xAI", "Apple",
    "Adobe", "Stability AI", "Midjourney", "The New York Times", "CNBC", "Reuters", "Bloomberg",
    "The Information", "The Verge", "TechCrunch", "SiliconANGLE", "FTC",
    "UK Competition and Markets Authority", "European Commission", "US Department of Justice",
    "Satya Nadella", "Mustafa Suleyman", "Karén Simonyan", "Kevin Scott", "Brad Smith", "Amy Hood",
    "Sam Altman", "Greg Brockman", "Mira Murati", "Ilya Sutskever", "Bret Taylor", "Sarah Friar",
    "Denise Dresser", "Fidji Simo", "Elon Musk", "Andy Jassy", "Matt Garman", "Jensen Huang",
    "Masayoshi Son", "Larry Ellison",
]


def write_jsonl(path: Path, entries: list[dict]) -> Path:
    path.write_text("".join(json.dumps(e, ensure_ascii=False) + "\n" for e in entries), encoding="utf-8")
    return path


@pytest.fixture
def small_gazetteer(tmp_path: Path) -> Path:
    return write_jsonl(tmp_path / "gazetteer.jsonl", SMALL_ENTRIES)


@pytest.fixture
def nlp(small_gazetteer: Path):
    import kb.nlp.gazetteer  # noqa: F401  (registers the factories)

    pipeline = spacy.blank("en")
    pipeline.add_pipe("sentencizer")
    pipeline.add_pipe("kb_gazetteer", config={"path": str(small_gazetteer)})
    pipeline.add_pipe("kb_quantities")
    pipeline.add_pipe("kb_candidates")
    return pipeline


def ents(doc) -> list[tuple[str, str, str]]:
    return [(e.text, e.label_, e.kb_id_) for e in doc.ents]


def known(doc) -> list[tuple[str, str]]:
    return [(e.text, e.kb_id_) for e in doc.ents if e.kb_id_]


def candidates(doc) -> list[tuple[str, str]]:
    return [(e.text, e.label_) for e in doc.ents if e._.candidate]


# --- the gazetteer file -------------------------------------------------------------------


def test_real_gazetteer_is_large_valid_and_unique():
    entries = load_gazetteer(REAL_GAZETTEER)
    assert len(entries) >= 150
    names = [e.name for e in entries]
    assert len(names) == len(set(names))
    owners: dict[str, set[str]] = {}
    for entry in entries:
        assert entry.type in ENTITY_TYPES
        assert 0 <= entry.topic_weight <= 1
        assert entry.description, f"{entry.name} has no description"
        for form in entry.surface_forms:
            owners.setdefault(normalize_form(form), set()).add(entry.name)
    for form, group in owners.items():
        if len(group) > 1:
            shared = [e for e in entries if e.name in group and form in map(normalize_form, e.shared_aliases)]
            assert len(shared) == len(group), f"alias {form!r} is used by {sorted(group)}"


def test_real_gazetteer_knows_the_facts_sheet_names():
    matcher = AliasMatcher(load_gazetteer(REAL_GAZETTEER))
    missing = [name for name in REQUIRED_NAMES if matcher.resolve(name) is None]
    assert missing == []
    assert matcher.resolve("OpenAI Group PBC").name == "OpenAI"
    assert matcher.resolve("Azure AI Foundry").name == "Microsoft Foundry"


def test_topic_weights_rank_the_topic_above_outlets():
    by_name = {e.name: e for e in load_gazetteer(REAL_GAZETTEER)}
    for core in ("Microsoft", "OpenAI", "MAI-Image-2-Efficient"):
        assert by_name[core].topic_weight >= 0.9
    assert by_name["Reuters"].topic_weight <= 0.2


def test_default_path_follows_env(monkeypatch, small_gazetteer: Path):
    monkeypatch.setenv("KB_GAZETTEER", str(small_gazetteer))
    assert default_gazetteer_path() == small_gazetteer


def test_bad_json_names_the_line(tmp_path: Path):
    path = tmp_path / "bad.jsonl"
    path.write_text('{"name": "Microsoft", "type": "ORG"}\n{"name": "OpenAI", "type": \n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"bad.jsonl line 2: invalid JSON"):
        load_gazetteer(path)


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('{"type": "ORG"}', "'name' must be a non-empty string"),
        ('{"name": "Acme", "type": "COMPANY"}', "'type' of 'Acme' must be one of"),
        ('{"name": "Acme", "type": "ORG", "aliases": "Acme Inc"}', "'aliases' of 'Acme' must be a list"),
        ('{"name": "Acme", "type": "ORG", "topic_weight": 3}', "'topic_weight' of 'Acme'"),
        ('{"name": "Acme", "type": "ORG", "wikidata": "acme"}', "'wikidata' of 'Acme'"),
        ('{"name": "Acme", "type": "ORG", "color": "red"}', "unknown keys"),
        ('["Acme"]', "expected a JSON object"),
    ],
)
def test_invalid_entries_get_clear_errors(line: str, message: str):
    with pytest.raises(ConfigError, match=message):
        parse_gazetteer_lines([line], "g.jsonl")


def test_missing_file_is_a_config_error(tmp_path: Path):
    with pytest.raises(ConfigError, match="not found"):
        load_gazetteer(tmp_path / "nope.jsonl")


def test_duplicate_names_and_aliases_are_refused():
    acme = '{"name": "Acme", "type": "ORG", "aliases": ["ACME"]}'
    with pytest.raises(ConfigError, match="duplicate entity name 'Acme'"):
        parse_gazetteer_lines([acme, acme], "g.jsonl")
    other = '{"name": "Acme Labs", "type": "ORG", "aliases": ["ACME"]}'
    with pytest.raises(ConfigError, match="alias 'ACME' belongs to 'Acme', 'Acme Labs'"):
        parse_gazetteer_lines([acme, other], "g.jsonl")


def test_shared_alias_resolves_to_the_more_central_entity():
    lines = [
        '{"name": "Dario Amodei", "type": "PERSON", "aliases": ["Amodei"], "shared_aliases": ["Amodei"], "topic_weight": 0.6}',
        '{"name": "Daniela Amodei", "type": "PERSON", "aliases": ["Amodei"], "shared_aliases": ["Amodei"], "topic_weight": 0.4}',
    ]
    matcher = AliasMatcher(parse_gazetteer_lines(lines, "g.jsonl"))
    found = [(s, e, entry.name) for s, e, entry in matcher.find("Amodei spoke.")]
    assert found == [(0, 6, "Dario Amodei")]


# --- kb_gazetteer ---------------------------------------------------------------------------


def test_longest_match_wins_for_hyphenated_names(nlp):
    text = "MAI-Image-2-Efficient is cheaper than MAI-Image-2."
    doc = nlp(text)
    assert known(doc) == [("MAI-Image-2-Efficient", "MAI-Image-2-Efficient"), ("MAI-Image-2", "MAI-Image-2")]
    first = doc.ents[0]
    assert (first.start_char, first.end_char) == (0, len("MAI-Image-2-Efficient"))


def test_known_name_does_not_match_inside_a_longer_unknown_one(nlp):
    doc = nlp("Rumours point to MAI-Image-2-Pro and GPT-4o next year.")
    assert known(doc) == []
    assert ("MAI-Image-2-Pro", "PRODUCT") in candidates(doc)


def test_possessives_are_left_out_of_the_span(nlp):
    text = "Microsoft's stake and OpenAI’s board met Suleyman's team."
    doc = nlp(text)
    assert known(doc) == [("Microsoft", "Microsoft"), ("OpenAI", "OpenAI"), ("Suleyman", "Mustafa Suleyman")]
    assert doc.ents[1].start_char == text.index("OpenAI")


def test_corporate_forms_resolve_to_the_canonical_entity(nlp):
    doc = nlp("OpenAI Group PBC and Microsoft Corp. signed it.")
    assert ents(doc) == [("OpenAI Group PBC", "ORG", "OpenAI"), ("Microsoft Corp.", "ORG", "Microsoft")]


def test_microsoft_ai_is_not_microsoft(nlp):
    doc = nlp("Microsoft AI released a model, Microsoft said.")
    assert known(doc) == [("Microsoft AI", "Microsoft AI"), ("Microsoft", "Microsoft")]


def test_hyphen_compounds(nlp):
    doc = nlp("The Microsoft-OpenAI deal helped OpenAI-backed startups.")
    assert known(doc) == [("Microsoft", "Microsoft"), ("OpenAI", "OpenAI"), ("OpenAI", "OpenAI")]


def test_matching_is_case_sensitive_but_accepts_typographic_variants(nlp):
    doc = nlp("openai and MICROSOFT are not names here, but Adam D’Angelo and Microsoft\u00a0AI are.")
    assert known(doc) == [("Adam D’Angelo", "Adam D'Angelo"), ("Microsoft\u00a0AI", "Microsoft AI")]


def test_initialize_with_a_path_replaces_the_entries(nlp, tmp_path: Path):
    path = write_jsonl(tmp_path / "other.jsonl", [{"name": "Acme Rockets", "type": "ORG"}])
    nlp.get_pipe("kb_gazetteer").initialize(path=path)
    assert known(nlp("Acme Rockets and Microsoft.")) == [("Acme Rockets", "Acme Rockets")]


_FILLER = st.sampled_from(["the", "deal", "said", ",", ".", "new", "model", "in", "2026", "-", "'s", "X"])
_NAMES = st.sampled_from([f for e in SMALL_ENTRIES for f in [e["name"], *e["aliases"]]])


@settings(max_examples=60, deadline=None)
@given(st.lists(st.one_of(_FILLER, _NAMES), min_size=1, max_size=25), st.sampled_from([" ", "", "-"]))
def test_matches_are_whole_known_names(parts: list[str], glue: str):
    matcher = AliasMatcher(parse_gazetteer_lines([json.dumps(e) for e in SMALL_ENTRIES], "g.jsonl"))
    text = glue.join(parts)
    last_end = 0
    for start, end, entry in matcher.find(text):
        assert start >= last_end
        last_end = end
        assert normalize_form(text[start:end]) in entry.surface_forms
        assert start == 0 or not text[start - 1].isalnum()
        assert end == len(text) or not text[end].isalnum()


# --- kb_candidates --------------------------------------------------------------------------


def test_title_before_a_name_makes_a_person_candidate(nlp):
    doc = nlp("An internal memo from OpenAI's new chief revenue officer, Denise Dresser, says otherwise.")
    assert candidates(doc) == [("Denise Dresser", "PERSON")]
    span = next(e for e in doc.ents if e._.candidate)
    assert span.kb_id_ == ""


def test_capitalised_title_is_not_part_of_the_candidate(nlp):
    doc = nlp("Chief Revenue Officer Denise Dresser wrote the memo.")
    assert candidates(doc) == [("Denise Dresser", "PERSON")]


def test_appositive_title_and_company_suffix(nlp):
    doc = nlp("Paula Quist, the chief executive of Norbit Labs, said the deal closed.")
    assert candidates(doc) == [("Paula Quist", "PERSON"), ("Norbit Labs", "ORG")]


def test_speech_and_organisation_cues(nlp):
    doc = nlp('"It is early," said Tomas Reyna of Halden Group. Its AI startup rival Zentrix grew.')
    assert candidates(doc) == [("Tomas Reyna", "PERSON"), ("Halden Group", "ORG"), ("Zentrix", "ORG")]


def test_no_candidates_for_dates_and_sentence_initial_words(nlp):
    text = ("The company said on Tuesday that in March it would ship. Analysts expect more. "
            "Tuesday was busy. On Monday, March 2, Microsoft AI spoke. Shares rose.")
    doc = nlp(text)
    assert candidates(doc) == []


def test_candidates_do_not_overlap_known_names_or_timexes(nlp):
    text = "Mustafa Suleyman met Jane Roe and Lena Vogt at Microsoft AI."
    doc = nlp.make_doc(text)
    timex_start = text.index("Lena Vogt")
    doc.spans["timex"] = [doc.char_span(timex_start, timex_start + len("Lena Vogt"))]
    for name in ("sentencizer", "kb_gazetteer", "kb_quantities", "kb_candidates"):
        doc = nlp.get_pipe(name)(doc)
    assert candidates(doc) == [("Jane Roe", "PERSON")]
    assert known(doc) == [("Mustafa Suleyman", "Mustafa Suleyman"), ("Microsoft AI", "Microsoft AI")]


def test_title_case_headline_gives_no_generic_candidates(nlp):
    doc = nlp("Microsoft Ships Cheaper Image Model As Rivalry Heats Up\nThe model is out.")
    assert candidates(doc) == []


def test_a_name_gets_one_label_per_text(nlp):
    doc = nlp("Orla Brennick said the plan works. Later, Orla Brennick and Vance Holt left.")
    labels = {label for text, label in candidates(doc) if text == "Orla Brennick"}
    assert labels == {"PERSON"}


# --- kb_quantities --------------------------------------------------------------------------


def _span(doc, label: str):
    return [e for e in doc.ents if e.label_ == label]


def test_money_with_a_per_unit_and_exact_offsets(nlp):
    text = "It costs $19.50 per million output tokens in Foundry."
    money = _span(nlp(text), "MONEY")
    assert [(m.text, m.start_char) for m in money] == [("$19.50 per million output tokens", text.index("$"))]
    assert money[0]._.value == {"amount": 19.5, "unit": "USD", "per": "million output tokens", "mod": None}
    assert money[0].kb_id_ == ""


def test_a_currency_symbol_run_into_a_word_is_not_money(nlp):
    """Found by the property test: "$0A" used to raise inside the quantities component."""
    doc = nlp("Codes like $0A and $20B7 are not amounts, but $20 is.")
    assert [m.text for m in _span(doc, "MONEY")] == ["$20"]


def test_money_scales_and_approximations(nlp):
    doc = nlp("A stake of about $135 billion, $10bn more, and up to 5 million euros.")
    values = [(m.text, m._.value["amount"], m._.value["unit"], m._.value["mod"]) for m in _span(doc, "MONEY")]
    assert values == [
        ("about $135 billion", 1.35e11, "USD", "APPROX"),
        ("$10bn", 1e10, "USD", None),
        ("up to 5 million euros", 5e6, "EUR", "EQUAL_OR_LESS"),
    ]


def test_percentages(nlp):
    doc = nlp("Microsoft holds about 27% now; it held 27 percent, up 2 percentage points.")
    values = [(p.text, p._.value["amount"], p._.value["unit"]) for p in _span(doc, "PERCENT")]
    assert values == [
        ("about 27%", 27.0, "percent"),
        ("27 percent", 27.0, "percent"),
        ("2 percentage points", 2.0, "percentage point"),
    ]


def test_quantity_next_to_known_names_keeps_only_the_number(nlp):
    text = "MAI-1-preview was trained on 15,000 Nvidia H100 GPUs and needs 2 gigawatts."
    doc = nlp(text)
    quantities = [(q.text, q.start_char, q._.value["amount"], q._.value["unit"]) for q in _span(doc, "QUANTITY")]
    assert quantities == [("15,000", text.index("15,000"), 15000.0, "GPUs"), ("2 gigawatts", text.index("2 g"), 2.0, "gigawatts")]
    assert known(doc) == [("Nvidia", "Nvidia"), ("H100", "H100")]


def test_numbers_inside_names_and_years_are_not_quantities(nlp):
    doc = nlp("GPT-4 had 100 users in 2025 and H100 chips.")
    assert [(q.text) for q in _span(doc, "QUANTITY")] == ["100 users"]
    assert known(doc) == [("GPT-4", "GPT-4"), ("H100", "H100")]


def test_entity_spans_never_overlap(nlp):
    text = ("Microsoft AI CEO Mustafa Suleyman said on Tuesday that about 15,000 H100 GPUs cost "
            "roughly $1 billion, or 27% of the budget, according to Jane Roe of Acme Labs.")
    doc = nlp(text)
    taken: set[int] = set()
    for e in doc.ents:
        chars = set(range(e.start_char, e.end_char))
        assert not chars & taken
        taken |= chars
    assert {e.label_ for e in doc.ents} >= {"ORG", "PERSON", "MONEY", "PERCENT", "QUANTITY"}


def test_short_forms_resolve_only_after_the_full_name(tmp_path: Path):
    import kb.nlp.gazetteer  # noqa: F401

    path = write_jsonl(tmp_path / "g.jsonl", [
        {"name": "The New York Times", "type": "ORG", "short_forms": ["Times"], "topic_weight": 0.5},
        {"name": "Financial Times", "type": "ORG", "short_forms": ["Times"], "topic_weight": 0.1},
        {"name": "Tim Cook", "type": "PERSON"},
    ])
    nlp = spacy.blank("en")
    nlp.add_pipe("kb_gazetteer", config={"path": str(path)})
    doc = nlp("Times change. The New York Times sued, the Times said. Tim Cook agreed and Cook's team "
              "waited. The Financial Times wrote that the Times would wait.")
    assert known(doc) == [
        ("The New York Times", "The New York Times"), ("Times", "The New York Times"),
        ("Tim Cook", "Tim Cook"), ("Cook", "Tim Cook"),
        ("Financial Times", "Financial Times"), ("Times", "Financial Times"),
    ]


def test_money_in_words(nlp):
    doc = nlp("A billion dollars was the start; billions of dollars followed, and above $4 trillion.")
    values = [(m.text, m._.value["amount"], m._.value["mod"]) for m in _span(doc, "MONEY")]
    assert values == [
        ("A billion dollars", 1e9, None),
        ("billions of dollars", None, "APPROX"),
        ("above $4 trillion", 4e12, "MORE_THAN"),
    ]
