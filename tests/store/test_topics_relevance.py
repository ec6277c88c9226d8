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


def test_an_article_about_a_subject_is_on_topic_without_a_second_term():
    """A deal between OpenAI and another company is about OpenAI even when Microsoft is not named:
    the headline names the subject and the body repeats it."""
    matchers = compile_topics()
    text = ("Northwind Cloud will put $20 billion into OpenAI over three years. OpenAI agreed to run part "
            "of its training on Northwind's chips, and the two companies will sell OpenAI's agents together.")
    assert match_topics(matchers, "Northwind Cloud invests $20 billion in OpenAI", text) == ["microsoft-openai"]
    # Named in passing (not in the headline), or in the headline but never again: not about it.
    aside = ("Northwind Cloud will put $20 billion into Acme Labs, a rival of OpenAI. Acme Labs agreed to run "
             "its training on Northwind's chips.")
    assert match_topics(matchers, "Northwind Cloud invests $20 billion in Acme Labs", aside) == []
    assert match_topics(matchers, "Is Acme Labs the next OpenAI?", aside.replace("OpenAI", "the leader")) == []
    # Microsoft is not a subject of its own: a Microsoft earnings story is not this topic.
    earnings = "Microsoft said revenue rose 12 percent. Microsoft shares gained after Microsoft raised its forecast."
    assert match_topics(matchers, "Microsoft beats forecasts", earnings) == []
