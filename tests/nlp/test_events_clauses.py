"""Facts, not sentences: which clauses make events, which are context, and recaps."""

from __future__ import annotations

import pytest

from kb.core.errors import ConfigError
from kb.nlp.events.clauses import compile_rules, load_rules
from kb.nlp.pipeline import analyze


def facts(text: str, published: str = "2026-04-15") -> list[tuple]:
    """(type, agents, date, recap) of each event."""
    return [(e["type"], sorted(n for n, r in e["roles"].items() if r == "agent"), e["date"], e["recap"])
            for e in analyze(text, published)["events"]]


def context_kinds(text: str, published: str = "2026-04-15") -> list[tuple[str, str]]:
    return [(c["kind"], c["type"]) for c in analyze(text, published)["context"]]


@pytest.mark.parametrize(("text", "kind"), [
    ("Will Microsoft release a frontier model of its own before OpenAI goes public?", "question"),
    ("If Microsoft launches its own frontier model, the partnership with OpenAI may never be the same.",
     "conditional"),
    ("When Microsoft can generate images at $19.50 per million output tokens, rivals will have to "
     "cut their prices.", "conditional"),
    ("In my view, the launch of MAI-Image-1 is the clearest sign yet that Microsoft wants independence.",
     "opinion"),
    ("Critics argue that the new agreement lets OpenAI compete with Microsoft for enterprise customers.",
     "opinion"),
    ("Microsoft plans to release a frontier model of its own next year.", "plan"),
    ("Microsoft often partners with startups in exchange for cloud credits.", "generic"),
    ("For years, Microsoft's clout in artificial intelligence has hinged on its alliance with OpenAI.",
     "background"),
    ("Should the talks collapse, OpenAI could sue Microsoft for anticompetitive behavior.", "legal_forward"),
])
def test_clauses_that_state_no_fact_make_no_event_but_are_context(text, kind):
    result = analyze(text, "2025-10-14")
    assert result["events"] == []
    assert kind in [c["kind"] for c in result["context"]], result["context"]
    clause = result["context"][0]
    assert clause["sentence"] == text and text[clause["start"]:clause["end"]] == text
    assert clause["entities"], clause


def test_a_complaints_quote_about_money_is_legal_not_investment():
    text = ("Eight newspapers sued Microsoft and OpenAI on Tuesday, saying in their complaint that the "
            "companies invested billions in tools that copy their journalism.")
    assert [e[0] for e in facts(text, "2024-04-30")] == ["legal"]
    assert ("allegation", "investment") in context_kinds(text, "2024-04-30")
    quoted = '"Defendants poured billions of dollars into stolen work," the complaint says.'
    assert [e[0] for e in facts(quoted)] == ["legal"]


def test_a_sourced_rumour_and_a_denial_stay_events():
    rumour = analyze("Amazon is in talks to invest more than $10 billion in OpenAI, according to "
                     "people familiar with the matter.", "2025-12-01")["events"]
    assert [(e["type"], e["hedged"]) for e in rumour] == [("investment", True)]
    denial = analyze("Microsoft says it has no plans to make MAI-Image-2 the default image model in "
                     "Bing Image Creator this month.", "2026-04-20")["events"]
    assert [(e["type"], e["denial"]) for e in denial] == [("release", True)]


@pytest.mark.parametrize(("text", "published", "expected"), [
    ("The $1 billion Microsoft poured into OpenAI in 2019 gave it an exclusive license to the lab's models.",
     "2023-01-23", ("investment", ["Microsoft"], "2019", True)),
    ("Last year's recapitalization turned OpenAI's for-profit arm into a public benefit corporation.",
     "2026-02-10", ("corporate", [], "2025", True)),
    ("MAI-Image-1, released in October, reached the top ten of a popular image leaderboard.",
     "2026-04-15", ("release", [], "2025-10", True)),
    ("Microsoft, which invested $10 billion in OpenAI in January 2023, has also backed Mistral.",
     "2024-03-20", ("investment", ["Microsoft"], "2023-01", True)),
    # "since" keeps a date from dating its clause, not from naming the recalled fact.
    ("Since last year's recapitalization, OpenAI has been selling through AWS and Bedrock.",
     "2026-04-02", ("corporate", [], "2025", True)),
])
def test_a_recap_is_a_mention_of_the_earlier_fact_with_its_own_date(text, published, expected):
    assert facts(text, published) == [expected]


def test_a_recap_without_a_date_of_its_own_makes_no_event():
    for text in ("Microsoft's earlier investment in OpenAI has become one of its best bets.",
                 "Microsoft, which has invested $13 billion in OpenAI, was told about the move."):
        result = analyze(text, "2025-11-20")
        assert result["events"] == [], text
        assert [c["kind"] for c in result["context"]] == ["background"]


def test_news_of_the_day_is_no_recap():
    assert facts("Microsoft released MAI-Image-2-Efficient on Tuesday.") == [
        ("release", ["Microsoft"], "2026-04-14", False)]


@pytest.mark.parametrize(("text", "published", "expected"), [
    ("Microsoft gave up its observer seat on OpenAI's board on Tuesday.", "2024-07-10",
     ("corporate", ["Microsoft"], "2024-07-09", False)),
    ("Microsoft quit its observer seat on the board on Tuesday.", "2024-07-10",
     ("corporate", ["Microsoft"], "2024-07-09", False)),
    ("MAI-Image-2-Efficient costs $19.50 per million output tokens in Microsoft Foundry.", "2026-04-15",
     ("pricing", [], "2026-04-15", False)),
    ("A jury in San Francisco found on Friday that OpenAI did not breach its charitable trust.",
     "2026-02-14", ("legal", [], "2026-02-13", False)),
    ("The court ruled on Wednesday that training on lawfully bought books was fair use.", "2025-06-26",
     ("legal", [], "2025-06-25", False)),
    ("OpenAI's open-weight models arrived on Amazon Bedrock on Tuesday.", "2025-08-06",
     ("release", ["OpenAI"], "2025-08-05", False)),
    ("Mustafa Suleyman, the new CEO of Microsoft AI, told employees the group would build products.",
     "2024-03-20", ("personnel", ["Mustafa Suleyman"], "2024-03-20", False)),
])
def test_facts_the_sentence_rules_missed(text, published, expected):
    assert expected in facts(text, published)


def test_a_title_without_news_is_no_hire():
    assert facts("Satya Nadella, Microsoft's chief executive, spoke at the event in London.") == []


def test_rules_file_errors_are_config_errors(tmp_path):
    bad = tmp_path / "rules.toml"
    bad.write_text("[kinds.plan]\nbefroe = ['plans to']\n")
    with pytest.raises(ConfigError, match="unknown keys"):
        load_rules(bad)
    bad.write_text("[kinds.plan]\nonly_types = ['merger']\n")
    with pytest.raises(ConfigError, match="unknown event types"):
        load_rules(bad)
    bad.write_text("[kinds.plan\n")
    with pytest.raises(ConfigError, match="invalid TOML"):
        load_rules(bad)
    assert compile_rules({}).kinds == ()


def test_only_a_participle_right_after_a_name_recalls_an_earlier_fact():
    # "Microsoft, its largest backer, took part": the subject's apposition, then the news.
    assert facts("OpenAI raised $6.6 billion on Wednesday. Microsoft, its largest backer, took part in "
                 "the round.", "2024-10-02")[1] == ("investment", ["Microsoft"], "2024-10-02", False)


@pytest.mark.parametrize("text", [
    "Now, OpenAI, a long-term partner and beneficiary of Microsoft's reported $13 billion investment, joins that roster.",
    "OpenAI's outlook has been intertwined with Microsoft since the software giant invested $13 billion into OpenAI.",
])
def test_a_possessive_amount_or_a_since_clause_recalls_an_earlier_fact(text):
    result = analyze(text, "2024-08-02")
    assert result["events"] == []
    assert ("background", "investment") in [(c["kind"], c["type"]) for c in result["context"]]


@pytest.mark.parametrize(("text", "kind"), [
    ("Microsoft said OpenAI has agreed to purchase an incremental $250 billion of Azure services.", "partnership"),
    ("OpenAI contracted CoreWeave in May 2025 for a $4 billion top-up to its cloud commitment.", "partnership"),
    ("The Competition and Markets Authority issued an invitation to comment on the partnership.", "regulatory"),
    ("Emmett Shear is the current interim CEO of OpenAI.", "personnel"),
])
def test_news_triggers_of_real_prose_make_dated_events(text, kind):
    events = analyze(text, "2025-10-28")["events"]
    assert [e["type"] for e in events] == [kind] and events[0]["date"], events


@pytest.mark.parametrize(("text", "news", "published"), [
    ("This comes two days after OpenAI fired Sam Altman as chief executive.",
     "OpenAI fired Sam Altman as chief executive on Friday.", "2023-11-20"),
    ("The board exit comes after sharper questions from antitrust regulators about Microsoft's stake "
     "in OpenAI.", "Antitrust regulators ask sharper questions about Microsoft's stake in OpenAI.", "2024-07-10"),
])
def test_what_the_news_comes_after_is_an_earlier_fact_not_news_of_the_day(text, news, published):
    result = analyze(text, published)
    assert result["events"] == [], result["events"]
    assert [c["kind"] for c in result["context"]] == ["background"]
    assert analyze(news, published)["events"]  # the same fact told as news makes an event


def test_a_fact_told_after_another_is_still_news():
    # "after" alone opens no recap: only the "comes after" form names what the news follows.
    assert facts("OpenAI fired Sam Altman on Friday after a review by its board.", "2023-11-20") == [
        ("personnel", ["OpenAI"], "2023-11-17", False)]
