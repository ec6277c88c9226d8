"""Which articles are on topic: the regulators' reviews of Microsoft's Inflection hires are."""

from __future__ import annotations

from kb.store.topics import compile_topics, match_topics


def test_a_review_of_microsofts_inflection_hires_is_on_topic():
    matchers = compile_topics()
    text = ("The Competition and Markets Authority opened an inquiry on Tuesday into Microsoft's hiring of "
            "former employees of Inflection AI.")
    assert match_topics(matchers, "Regulator opens inquiry into Inflection hires", text) == ["microsoft-openai"]
    # One tracked name alone is still not enough.
    assert match_topics(matchers, "Quarterly results", "Microsoft reported higher cloud revenue.") == []
