"""A partnership pair's coverage divides into lines by theme and era ([[pair_lines]] in
data/storylines.toml): the board, the early investments, the renegotiation and the compute deals
are separate storylines, titled by what their own events are about; an event reported only as a
recap goes with its article's line and pulls none of the article's other events into its own."""

from __future__ import annotations

import pytest

from kb.jobs.integrate import integrate_articles
from kb.stories.themes import EventFacts, own_key
from kb.stories.titles import headline
from tests.ledger.ledger_data import Corpus

PAIR = "pair|Microsoft|OpenAI"


def event(type_: str, sentence: str, day: str, *entities: tuple[str, str, str], recap: bool = False) -> EventFacts:
    return EventFacts(1, type_, sentence, 1, list(entities), recap=recap, date=day)


BOTH = (("Microsoft", "ORG", "agent"), ("OpenAI", "ORG", "agent"))


def test_the_pair_divides_by_theme_and_era():
    board = event("personnel", "OpenAI's board ousted its chief executive; Microsoft offered him a job.",
                  "2023-11-17", *BOTH)
    seat = event("corporate", "Microsoft gave up its observer seat on the OpenAI board.", "2024-07-09", *BOTH)
    early = event("investment", "Microsoft put $1 billion into OpenAI.", "2019-07-22", *BOTH)
    later = event("partnership", "Microsoft and OpenAI agreed that Azure keeps the API.", "2025-10-28", *BOTH)
    recapitalised = event("corporate", "OpenAI finished its recapitalization with Microsoft's blessing.",
                          "2025-10-28", *BOTH)
    compute = event("partnership", "OpenAI and Oracle signed a cloud deal, Microsoft said.", "2025-07-01",
                    *BOTH, ("Oracle", "ORG", "agent"))
    keys = [own_key(e) for e in (board, seat, early, later, recapitalised, compute)]
    assert keys == [f"{PAIR}|board", f"{PAIR}|board", f"{PAIR}|investment", f"{PAIR}|terms",
                    f"{PAIR}|restructuring", "deal|OpenAI|compute"]
    # The restructuring words mark the renegotiation's era only: a 2019 mention of a non-profit is
    # one of the early deals.
    nonprofit = event("partnership", "Microsoft backed OpenAI's non-profit mission.", "2019-07-22", *BOTH)
    assert own_key(nonprofit) == f"{PAIR}|investment"
    # A partner merely mentioned beside a new agreement does not make it a compute deal.
    mentioned = event("partnership", "Microsoft and OpenAI signed terms; Oracle was not part of them.",
                      "2025-10-28", *BOTH, ("Oracle", "ORG", "partner"))
    assert own_key(mentioned) == f"{PAIR}|terms"
    # Reported only as background: no line of its own.
    assert own_key(event("investment", "Microsoft put $1 billion into OpenAI.", "2019-07-22", *BOTH,
                         recap=True)) is None


def test_pair_line_titles_name_the_lines_theme():
    events = [{"type": "investment", "sentence": "Microsoft gave up its board seat.",
               "sort_date": "2023-11-21"}]
    assert headline(f"{PAIR}|board", events, []) == "Microsoft and OpenAI – board and leadership (2023)"
    assert headline(f"{PAIR}|restructuring", events, []).startswith(
        "Microsoft and OpenAI – partnership renegotiation and restructuring")


def pair_corpus(db) -> dict[str, int]:
    c = Corpus(db)
    c.source("Cloudline Daily", 0.8)
    c.source("Northbeam Review", 0.75)
    both = [("Microsoft", "agent"), ("OpenAI", "agent")]
    m: dict[str, int] = {}
    for n, source in enumerate(("Cloudline Daily", "Northbeam Review")):
        a = c.article(source, "2019-07-22T09:00:00Z", f"invest-{n}")
        m[f"invest{n}"] = c.mention(a, "investment", "Microsoft and OpenAI said Microsoft will invest $1 billion in "
                                    "OpenAI.", both, "2019-07-22")
        a = c.article(source, "2023-11-20T09:00:00Z", f"board-{n}")
        m[f"board{n}"] = c.mention(a, "personnel", "OpenAI's board ousted Sam Altman and Microsoft hired him.",
                                   both, "2023-11-20")
    a = c.article("Cloudline Daily", "2025-10-28T09:00:00Z", "recap")
    m["restructure0"] = c.mention(a, "corporate", "Microsoft and OpenAI signed a new agreement as OpenAI "
                                  "completed its recapitalization.", both, "2025-10-28")
    # Background: a January 2023 deal, told only as a recap (a fact no other article reports).
    m["recap"] = c.mention(a, "investment", "Microsoft invested $10 billion in OpenAI in January 2023.",
                           both, "2023-01-23")
    m["aside"] = c.mention(a, "statement", "The companies called it the next chapter.", [], "2025-10-28")
    a = c.article("Northbeam Review", "2025-10-29T09:00:00Z", "restructure")
    m["restructure1"] = c.mention(a, "corporate", "OpenAI became a public benefit corporation, Microsoft and "
                                  "OpenAI said.", both, "2025-10-28")
    db.execute("UPDATE event_mentions SET recap = 1 WHERE id = ?", [m["recap"]])
    db.conn.commit()
    return m


def story_of_mention(db, mention_id: int) -> tuple[int, str] | None:
    row = db.execute("""SELECT s.id, s.title FROM event_mentions em JOIN story_events se ON se.event_id = em.event_id
                        JOIN stories s ON s.id = se.story_id WHERE em.id = ?""", [mention_id]).fetchone()
    return tuple(row) if row else None


@pytest.mark.parametrize("order", ["together", "reverse"])
def test_board_investments_and_renegotiation_are_separate_lines(db, order):
    m = pair_corpus(db)
    articles = [r[0] for r in db.execute("SELECT id FROM articles ORDER BY id")]
    if order == "together":
        integrate_articles(db, articles)
    else:
        for article in reversed(articles):
            integrate_articles(db, [article])
    invest, board, renegotiation = (story_of_mention(db, m[k]) for k in ("invest0", "board0", "restructure0"))
    assert None not in (invest, board, renegotiation)
    assert len({invest[0], board[0], renegotiation[0]}) == 3
    assert story_of_mention(db, m["invest1"]) == invest and story_of_mention(db, m["board1"]) == board
    assert story_of_mention(db, m["restructure1"])[0] == renegotiation[0]
    assert invest[1] == "Microsoft and OpenAI – partnership terms and investment (2019)"
    assert board[1] == "Microsoft and OpenAI – board and leadership (2023)"
    assert renegotiation[1].startswith("Microsoft and OpenAI – partnership renegotiation and restructuring")
    # The recap of the 2023 deal and the article's aside go with the renegotiation: the recap does
    # not pull the article into the investments' line.
    assert story_of_mention(db, m["recap"])[0] == renegotiation[0]
    assert story_of_mention(db, m["aside"])[0] == renegotiation[0]


def test_an_era_is_one_pairs_and_a_deal_no_line_fits_is_the_pairs():
    from kb.core.config import read_toml
    from kb.stories.themes import STORYLINES_PATH, parse_rules

    data = read_toml(STORYLINES_PATH)
    for line in data["pair_lines"]:
        if "parties" in line:
            line["parties"] = ["Amazon", "Anthropic"]  # the eras of another pair
    rules = parse_rules(data, "test")
    deal = event("partnership", "Microsoft and OpenAI agreed that Azure keeps the API.", "2025-10-28", *BOTH)
    assert own_key(deal, rules=rules) == PAIR
    assert own_key(deal) == f"{PAIR}|terms"
    # Lines of words are any pair's.
    board = event("personnel", "OpenAI's board ousted its chief executive.", "2023-11-17", *BOTH)
    assert own_key(board, rules=rules) == f"{PAIR}|board"
