"""The gold passages: loading, matching events to facts, and the `kb eval` line."""

from __future__ import annotations

import json
import re

import pytest

from kb.core.errors import ConfigError
from kb.jobs.passage_eval import load_passages, same_date, score_passages

PASSAGES = '''
[[passages]]
id = "news"
split = "dev"
published = "2026-04-15"
text = "Microsoft released MAI-Image-2-Efficient on Tuesday."
events = [{ type = "release", agent = "Microsoft", date = "2026-04-14" }]

[[passages]]
id = "plan"
split = "test"
published = "2026-04-15"
text = "Microsoft plans to release a frontier model of its own next year."
events = []

[[passages]]
id = "recap"
split = "test"
published = "2023-01-23"
text = "The $1 billion Microsoft poured into OpenAI in 2019 gave it an exclusive license."
events = [{ type = "investment", agent = ["Amazon", "Microsoft"], date = "2019", recap = true }]

[[passages]]
id = "wrong-agent"
split = "dev"
published = "2026-04-15"
text = "Microsoft released MAI-Image-2-Efficient on Tuesday."
events = [{ type = "release", agent = "Google" }]
'''


def test_scores_per_split_with_the_misses_named(tmp_path):
    path = tmp_path / "passages.toml"
    path.write_text(PASSAGES)
    report = score_passages(path)
    assert report["passages"] == 4
    assert (report["all"]["gold"], report["all"]["predicted"], report["all"]["correct"]) == (3, 3, 2)
    assert report["test"]["precision"] == report["test"]["recall"] == 100.0
    assert report["dev"]["correct"] == 1
    assert report["errors"] == [{"id": "wrong-agent", "split": "dev",
                                 "missed": ["release agent=Google date=None"],
                                 "extra": ["release agent=Microsoft date=2026-04-14"]}]


def test_dates_match_within_the_gold_span():
    assert same_date("2019", "2019-07-22") and same_date("2026-03", "2026-W11")
    assert not same_date("2019-07", "2019") and not same_date("2026-04-14", "2026-04-15")
    assert same_date("none", None) and not same_date("none", "2026") and same_date(None, "2026")


@pytest.mark.parametrize(("body", "message"), [
    ("", "no [[passages]]"),
    ('[[passages]]\nid = "x"\npublished = "2026-04-15"\ntext = "t"\nsplit = "train"\n', "split"),
    ('[[passages]]\nid = "x"\npublished = "2026-04-15"\ntext = "t"\nevents = [{ type = "merger" }]\n',
     "unknown event type"),
    ('[[passages]]\nid = "x"\npublished = "April"\ntext = "t"\n', "passage 1"),
])
def test_a_bad_passages_file_is_a_config_error(tmp_path, body, message):
    path = tmp_path / "passages.toml"
    path.write_text(body)
    with pytest.raises(ConfigError, match=re.escape(message)):
        load_passages(path)


def test_the_shipped_passages_are_many_and_split(run_kb):
    passages = load_passages()
    assert len(passages) >= 80
    assert 0.25 <= sum(p.split == "test" for p in passages) / len(passages) <= 0.4
    report = json.loads(run_kb("eval", "--json").stdout)
    assert report["passages"]["all"]["precision"] >= 85 and report["passages"]["all"]["recall"] >= 85
    assert "passages (test)" in run_kb("eval").stdout
