"""TimeML conventions of the TIMEX3 tagger (TimeBank, AQUAINT, TempEval-3) and the TimeML scorer.

Every sentence here was written for these tests; no corpus text is used.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from kb.jobs.temporal_eval import (
    GoldDoc,
    TimeMLFormatError,
    evaluate_timexes,
    load_timeml_corpus,
    parse_timeml,
)
from kb.nlp.temporal.tagger import Timex, tag_timexes

WED = dt.date(2026, 4, 15)  # a Wednesday in ISO week 16
NOV = dt.date(1989, 11, 2)  # a Thursday, in the fourth quarter

# (sentence, published, expected extent, type, value)
CONVENTIONS = [
    # "now" is always PRESENT_REF, the aspectual one too
    ("Prices are high now.", WED, "now", "DATE", "PRESENT_REF"),
    ("The startup now employs 300 people.", WED, "now", "DATE", "PRESENT_REF"),
    ("Rates must fall right now, he said.", WED, "right now", "DATE", "PRESENT_REF"),
    # durations, vague ones included
    ("He served eight years in prison.", WED, "eight years", "DURATION", "P8Y"),
    ("It took days to restore the service.", WED, "days", "DURATION", "PXD"),
    ("The board learned of the plan minutes before the vote.", WED, "minutes", "DURATION", "PTXM"),
    # decades and centuries are counted in years
    ("The feud lasted two decades.", WED, "two decades", "DURATION", "P20Y"),
    ("The bridge stood for a century.", WED, "a century", "DURATION", "P100Y"),
    ("It was a decade-long fight.", WED, "a decade-long", "DURATION", "P10Y"),
    # fiscal periods take plain calendar values
    ("Profit rose this fiscal year.", WED, "this fiscal year", "DATE", "2026"),
    ("Profit fell last fiscal year.", WED, "last fiscal year", "DATE", "2025"),
    ("Spending rose in fiscal 2024.", WED, "fiscal 2024", "DATE", "2024"),
    ("Results for the fiscal second quarter beat forecasts.", WED, "the fiscal second quarter", "DATE",
     "2026-Q2"),
    # "the past year", "the last week": the period before this one, a DATE
    ("Sales rose in the last week.", WED, "the last week", "DATE", "2026-W15"),
    ("Sales rose in the past year.", WED, "the past year", "DATE", "2025"),
    ("Sales rose over the past year.", WED, "the past year", "DURATION", "P1Y"),
    ("Fines grew over the last decade.", WED, "the last decade", "DURATION", "P10Y"),
    ("Fines grew in the last decade.", WED, "the last decade", "DATE", "201"),
    ("A deal may come in the next month.", WED, "the next month", "DATE", "2026-05"),
    ("It depends on what ships in the next year or two.", WED, "the next year", "DATE", "FUTURE_REF"),
    # "recent years", "the past few months" are vague durations; "the last few", "coming" point at
    # the past or future
    ("Prices climbed in recent years.", WED, "recent years", "DURATION", "PXY"),
    ("Prices climbed over the past few months.", WED, "the past few months", "DURATION", "PXM"),
    ("Prices climbed over the last few months.", WED, "the last few months", "DATE", "PAST_REF"),
    # "the year": the publication year, or a year-long span when it ends on a date
    ("Sales for the full year rose 13%.", NOV, "the full year", "DATE", "1989"),
    ("Net income for the year ended June 30 fell.", NOV, "the year", "DURATION", "P1Y"),
    ("A ruling is due in the coming weeks.", WED, "the coming weeks", "DATE", "FUTURE_REF"),
    ("Hiring will continue over the next few years.", WED, "the next few years", "DURATION", "PXY"),
    # an earnings report: "the quarter", "a year ago" and "year-ago" are quarters
    ("Net income rose in the quarter.", NOV, "the quarter", "DATE", "1989-Q3"),
    ("Net income rose in the latest quarter.", NOV, "the latest quarter", "DATE", "1989-Q3"),
    ("Net income in the third quarter rose to $5 million from $3 million a year ago.", NOV, "a year ago",
     "DATE", "1988-Q3"),
    ("Net income in the third quarter rose from the year-ago quarter.", NOV, "the year-ago quarter",
     "DATE", "1988-Q3"),
    # a date without a year stays near publication unless a close tense cue says otherwise
    ("The reduced dividend is payable Dec. 15 to holders of record.", NOV, "Dec. 15", "DATE", "1989-12-15"),
    ("The offer was extended to Nov. 20, the company said.", NOV, "Nov. 20", "DATE", "1989-11-20"),
    ("It raised $40 billion in the spring.", dt.date(2025, 12, 30), "the spring", "DATE", "2025-SP"),
    ("Talks broke down in January.", dt.date(2025, 10, 28), "January", "DATE", "2025-01"),
    # a month or day with "last year", decades in words, the near future
    ("Exports fell in January last year.", WED, "January last year", "DATE", "2025-01"),
    ("The deal closed on December 23 last year.", WED, "December 23 last year", "DATE", "2025-12-23"),
    ("The deal closes on June 3.", WED, "June 3", "DATE", "2026-06-03"),
    ("It was the music of the nineties.", WED, "the nineties", "DATE", "199"),
    ("Rates will rise in the near future.", WED, "the near future", "DATE", "FUTURE_REF"),
    # years in words, as broadcast transcripts write them
    ("He left office in nineteen ninety-six.", WED, "nineteen ninety-six", "DATE", "1996"),
    ("Prices fell in January nineteen ninety-seven.", WED, "January nineteen ninety-seven", "DATE", "1997-01"),
    ("The promise was to halve it by the year two thousand.", WED, "the year two thousand", "DATE", "2000"),
    # a rate is a SET, even before its noun
    ("The app has 700 million weekly users.", WED, "weekly", "SET", "P1W"),
    ("Interest is paid quarterly to holders.", WED, "quarterly", "SET", "P1Q"),
    # "in eight months" is a length of time, in a future clause too
    ("The plant will be built in eight months.", WED, "eight months", "DURATION", "P8M"),
    ("Three product launches in six weeks set the pace.", WED, "six weeks", "DURATION", "P6W"),
    # halves: "2 1/2 years" is P2Y6M
    ("The trial lasted 2 1/2 years.", WED, "2 1/2 years", "DURATION", "P2Y6M"),
    ("The meeting ran 3 1/2 hours.", WED, "3 1/2 hours", "DURATION", "PT3H30M"),
    # "almost four years ago" is a date, like "four years ago"
    ("The bank opened its first branch almost four years ago.", WED, "four years ago", "DATE", "2022"),
    # a tense cue is a word of time: "next to the station" points nowhere, "since" points back
    ("A fire broke out in a warehouse next to the station on Tuesday.", WED, "Tuesday", "DATE",
     "2026-04-14"),
    ("A fire broke out in a warehouse next to the station on Friday.", WED, "Friday", "DATE",
     "2026-04-10"),
    ("Police have been looking for him since the Oct. 9 fire.", WED, "Oct. 9", "DATE", "2025-10-09"),
    # results of the quarter under way are this quarter's; of another, the last one completed
    ("It gave no estimate of the storm's effect on fourth-quarter results.", NOV, "fourth-quarter", "DATE",
     "1989-Q4"),
    ("Third-quarter results beat forecasts.", NOV, "Third-quarter", "DATE", "1989-Q3"),
    # a quarter named with its year in front is one expression
    ("In the 1988 second quarter, the mill lost money.", NOV, "the 1988 second quarter", "DATE", "1988-Q2"),
    ("Profit in this year's third quarter doubled.", NOV, "this year's third quarter", "DATE", "1989-Q3"),
    ("Profit in the year-ago third quarter was flat.", NOV, "the year-ago third quarter", "DATE", "1988-Q3"),
    ("Net rose 8%. For the quarter a year ago, the bank lost money.", NOV, "the quarter a year ago", "DATE",
     "1988-Q3"),
    # a year after "pre-" or "post-" is that year
    ("The post-1959 laws split many families.", WED, "1959", "DATE", "1959"),
    # "the week of March 6" is that week
    ("The trial may open the week of March 6.", dt.date(2026, 2, 20), "the week of March 6", "DATE",
     "2026-W10"),
    # "over the weekend" opening a clause takes the tense after the comma; with no cue, a Monday
    # article means the weekend just gone
    ("Over the weekend, the union voted to strike.", dt.date(2026, 4, 13), "the weekend", "DATE", "2026-W15-WE"),
    ("Talks over the weekend focus on the merger.", dt.date(2026, 4, 13), "the weekend", "DATE", "2026-W15-WE"),
    # a clock time with its day after an aside in brackets: the time on that day
    ("The plant shut at 6:15 a.m. (1015 GMT) Monday, staff said.", WED, "6:15 a.m.", "TIME", "2026-04-13T06:15"),
    # compound number words; a number after a thousands comma is no count of years
    ("Thirty-five years of army rule ended in a vote.", WED, "Thirty-five years", "DURATION", "P35Y"),
    ("Rain fell over the last twenty four hours.", WED, "the last twenty four hours", "DURATION", "PT24H"),
    ("The mill was built seventy years ago.", WED, "seventy years ago", "DATE", "1956"),
    ("The valley has a 4,000 year history of farming.", WED, "4,000 year", "DURATION", "P4000Y"),
    ("The chief expects a year of slow growth.", WED, "a year", "DURATION", "P1Y"),
    # a future seen from the past ("had been due to") is gone by
    ("The offer had been due to expire Friday.", WED, "Friday", "DATE", "2026-04-10"),
    # "by February" and "effective Feb. 1" point ahead, whatever the tense of the clause
    ("The lender agreed to cut its debt by February.", NOV, "February", "DATE", "1990-02"),
    ("The board named two new directors, effective Feb. 1.", NOV, "Feb. 1", "DATE", "1990-02-01"),
    # "two weeks from now" is a date, and its "now" no second timex
    ("The plant opens two weeks from now.", WED, "two weeks", "DATE", "2026-W18"),
    # "scheduled" and "postponed until" point ahead
    ("The mayor has scheduled a briefing Friday.", WED, "Friday", "DATE", "2026-04-17"),
    ("The vote was postponed until Monday.", WED, "Monday", "DATE", "2026-04-20"),
    # a month after "in" is a date even before a capitalised name
    ("In November Jane Roe took over the lab.", WED, "November", "DATE", "2025-11"),
]

# Sentences TimeML leaves untagged.
NOT_TIMEXES = [
    "Mr. Smith, 52 years old, will retire.",
    "The 64-year-old founder will retire.",
    "The board declared a quarterly dividend.",
    "About three-quarters of the shares were tendered.",
    "They ruled the region for hundreds of years.",
    # TimeML leaves "soon" and "immediately" untagged
    "The company will soon release the app.",
    "The change takes effect immediately.",
    "Sales fell from $450 million the year before.",
    "About two thousand people came, and nineteen ninety dollars was raised.",
    "Revenue grew 8% annually through the decade's end.",
    "Crowds filled the square for the May Day parade.",
    # a bare plural unit after "after", "by", "only", or before "apart", is no span TimeML tags
    "Talks resumed after weeks of silence.",
    "The two fires broke out minutes apart.",
    "The dispute predates the merger by decades.",
    # a title in quotes
    'The minister spoke on the talk show "This Week" about the budget.',
    # a rate after a count: "600 seats a week"
    "The new ferry adds 600 seats a week.",
    "The plant hired 2,500 a month.",
]


@pytest.mark.parametrize(("sentence", "published", "extent", "type_", "value"), CONVENTIONS,
                         ids=[c[2] + " / " + c[0][:30] for c in CONVENTIONS])
def test_timeml_convention(sentence, published, extent, type_, value):
    found = {t.text: t for t in tag_timexes(sentence, published)}
    assert extent in found, f"{extent!r} not found; got {sorted(found)}"
    assert (found[extent].type, found[extent].value) == (type_, value)


@pytest.mark.parametrize("sentence", NOT_TIMEXES)
def test_not_a_timex_in_timeml(sentence):
    assert tag_timexes(sentence, WED) == []


def test_year_ago_after_a_quarter_does_not_become_the_anchor():
    text = ("Net income in the third quarter rose from a year ago. "
            "Revenue in the latest quarter also rose.")
    values = {t.text: t.value for t in tag_timexes(text, NOV)}
    assert values["a year ago"] == "1988-Q3"
    assert values["the latest quarter"] == "1989-Q3"


# --- the TimeML scorer ---------------------------------------------------------------------

PUBLISHED_TML = """<?xml version="1.0" ?>
<TimeML>
<DOCID>TEST1</DOCID>
<DCT><TIMEX3 tid="t0" type="DATE" value="2026-04-15" functionInDocument="CREATION_TIME">20260415</TIMEX3></DCT>
<TITLE>A test &amp; its title</TITLE>
<TEXT>
The firm <EVENT eid="e1" class="OCCURRENCE">said</EVENT> <TIMEX3 tid="t1" type="DATE" value="2026-04-14">Tuesday</TIMEX3> \
that sales rose &amp; fell over <TIMEX3 tid="t2" type="DURATION" value="P3Y">three years</TIMEX3>. \
Prices are high <TIMEX3 tid="t3" type="DATE" value="PRESENT_REF">now</TIMEX3>.<TIMEX3 tid="t4" type="DATE" value="2026"/>
</TEXT>
</TimeML>
"""


def test_published_timeml_is_read_with_its_dct_and_without_other_tags():
    text, published, gold = parse_timeml(PUBLISHED_TML, "test.tml")
    assert published == WED
    assert "<" not in text and "sales rose & fell" in text
    assert [(g.text, g.type, g.value) for g in gold] == [
        ("Tuesday", "DATE", "2026-04-14"), ("three years", "DURATION", "P3Y"), ("now", "DATE", "PRESENT_REF")]
    assert all(text[g.start:g.end] == g.text for g in gold)


def test_published_timeml_with_a_nested_timex_is_refused():
    bad = PUBLISHED_TML.replace('<TIMEX3 tid="t3" type="DATE" value="PRESENT_REF">now',
                                '<TIMEX3 tid="t3" type="DATE" value="PRESENT_REF"><TIMEX3 tid="t9" type="DATE">now')
    with pytest.raises(TimeMLFormatError, match="nested"):
        parse_timeml(bad, "bad.tml")


def _write_corpus(root: Path) -> Path:
    (root / "news").mkdir(parents=True)
    (root / "news" / "a.tml").write_text(PUBLISHED_TML, encoding="utf-8")
    other = PUBLISHED_TML.replace("three years", "three yrs").replace("TEST1", "TEST2")
    (root / "wire").mkdir()
    (root / "wire" / "b.tml").write_text(other, encoding="utf-8")
    (root / "wire" / "._b.tml").write_bytes(b"\x00\x05resource fork")
    return root


def test_corpus_scores_per_folder_and_overall(tmp_path):
    docs = load_timeml_corpus(_write_corpus(tmp_path))
    assert sorted((d.name, d.split) for d in docs) == [("a", "news"), ("b", "wire")]
    report = evaluate_timexes(docs)
    # "three yrs" is not found in b: 3 of 3 gold in a, 2 of 3 in b
    assert report["news"]["relaxed_recall"] == 100.0
    assert report["wire"]["gold"] == 3 and report["wire"]["relaxed_recall"] == pytest.approx(66.67)
    assert report["all"]["documents"] == 2 and report["all"]["value_f1"] > 0


def test_value_f1_counts_overlapping_spans_with_equal_values():
    text, published, gold = parse_timeml(PUBLISHED_TML, "test.tml")
    doc = GoldDoc("d", "x", text, published, gold)

    def shifted(text: str, published: dt.date | None) -> list[Timex]:
        # extents one character short still overlap; one value wrong
        return [Timex(g.start, g.end - 1, g.text[:-1], g.type, "XXXX" if g.text == "now" else g.value)
                for g in gold]

    scores = evaluate_timexes([doc], tagger=shifted)["x"]
    assert scores["relaxed_f1"] == 100.0
    assert scores["strict_f1"] == 0.0
    assert scores["value_f1"] == pytest.approx(66.67)


def test_kb_eval_timeml_prints_the_scores(run_kb, tmp_path):
    result = run_kb("eval", "--timeml", str(_write_corpus(tmp_path)), "--errors")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert "2 documents" in lines[0]
    assert any(line.split()[0] == "news" and "value P" in line for line in lines)
    assert any(line.split()[0] == "all" for line in lines)
    assert "b: missed 'three yrs' DURATION P3Y" in result.output


def test_kb_eval_timeml_without_tml_files_says_so(run_kb, tmp_path):
    result = run_kb("eval", "--timeml", str(tmp_path))
    assert result.exit_code != 0
    assert "no .tml files" in result.output
    assert "Traceback" not in result.output


def test_timeml_check_prints_each_corpus_and_halves_one(tmp_path, capsys):
    from bench.timeml_check import main

    root = _write_corpus(tmp_path)
    for n in range(3):  # wire gets four documents, split into fixed halves of two
        (root / "wire" / f"c{n}.tml").write_text(PUBLISHED_TML.replace("TEST1", f"C{n}"), encoding="utf-8")
    assert main([str(root), "--halves", "wire", "--errors", "wire-dev"]) == 0
    out = capsys.readouterr().out
    rows = {line.split()[0]: line.split() for line in out.splitlines() if line and line[0] != " "}
    assert rows["news"][1:4] == ["1", "3", "3"]  # documents, gold, predicted
    assert rows["wire-dev"][1] == "2" and rows["wire-test"][1] == "2"
    assert rows["all"][1] == "5"


def test_timeml_check_refuses_the_platinum_test_set(tmp_path, capsys):
    from bench.timeml_check import main

    held_out = tmp_path / "te3-platinum"
    held_out.mkdir()
    (held_out / "a.tml").write_text(PUBLISHED_TML, encoding="utf-8")
    assert main([str(held_out)]) == 2
    assert "held out" in capsys.readouterr().err
