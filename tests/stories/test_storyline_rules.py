"""Storyline rules on single events: a line per court case, and title years from the line's own facts."""

from __future__ import annotations

from kb.stories.themes import EventFacts, own_key
from kb.stories.titles import headline, years_label


def legal(sentence: str, *entities: tuple[str, str, str]) -> EventFacts:
    return EventFacts(1, "legal", sentence, 1, list(entities))


def test_each_court_case_is_its_own_line():
    musk = legal("Elon Musk sued OpenAI and Microsoft.", ("Elon Musk", "PERSON", "agent"),
                 ("OpenAI", "ORG", "object"), ("Microsoft", "ORG", "object"))
    nyt = legal("The New York Times sued OpenAI and Microsoft for copyright infringement.",
                ("The New York Times", "ORG", "agent"), ("OpenAI", "ORG", "object"),
                ("Microsoft", "ORG", "object"))
    unnamed = legal("The newspaper says the models infringe its copyright.", ("OpenAI", "ORG", "object"))
    unknown = legal("The Authors Guild sued OpenAI.", ("The Authors Guild", "ORG", "agent"),
                    ("OpenAI", "ORG", "object"))
    keys = [own_key(e) for e in (musk, nyt, unnamed, unknown)]
    assert keys == ["case|Musk v. OpenAI", "case|New York Times v. Microsoft", "claim|copyright",
                    "case|The Authors Guild"]
    assert headline(keys[0], [{"sentence": musk.sentence, "sort_date": "2024-03-01"}], []) == \
        "Elon Musk – Musk v. OpenAI lawsuit (2024)"


def test_title_years_come_from_the_lines_own_facts():
    events = [{"sort_date": "2015-12-11", "recap": False},  # an outlier: the founding, years before
              {"sort_date": "2019-07-22", "recap": True},   # reported only as a recap
              *({"sort_date": f"202{y}-05-01", "recap": False} for y in (3, 4, 4, 5, 5))]
    assert years_label(events) == "2023–2025"
    assert years_label([{"sort_date": "2019-07-22", "recap": True}]) == "2019"
    assert years_label([{"sort_date": "2019-07-22"}, {"sort_date": "2025-01-01"}]) == "2019–2025"
