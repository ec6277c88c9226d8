"""When an event happened: the timex governing a trigger, and where an event's date comes from."""

from __future__ import annotations

import re
from typing import Any

from kb.dates.spans import PRECISION_RANK
from kb.nlp.events.context import BLOCKED, INHERIT, OWN, SAME_DAY
from kb.nlp.events.lexicon import EventLexicon
from kb.nlp.events.sentence_parts import (
    DETERMINERS,
    PERFECT_AUX,
    WORD,
    Attribution,
    Trigger,
    words_before,
)

MODALS = frozenset({"to", "will", "would", "could", "may", "might", "should", "can", "must", "shall"})
PRESENT_BE = frozenset({"is", "are", "'s", "’s", "'re"})
BE_ADVERBS = frozenset({"also", "now", "officially", "already", "currently"})
# A timex after one of these words bounds a period ("rights through 2032"), it does not date the event.
PERIOD_BOUND_WORDS = frozenset({"through", "until", "till", "to", "since", "into", "thru"})
# A duration after one of these words is the period an activity filled ("over the past year").
PERIOD_WORDS = frozenset({"over", "for", "during", "within", "throughout", "in"})
# The precisions a date value is told apart by when choosing the event's date, scored larger
# for more precise: kb.dates.spans.PRECISION_RANK reversed (day 4, week 3, month 2, year 1).
_SCORED = sorted(("day", "week", "month", "year"), key=PRECISION_RANK.__getitem__)
PRECISION_SCORE = {precision: len(_SCORED) - i for i, precision in enumerate(_SCORED)}
NOW_WORDS = re.compile(r"\b(?:today|now|this morning|tonight)\b", re.IGNORECASE)
CLAUSE_END = re.compile(r"[,;:.!?—]")
# A duration before one of these words measures from another event ("three days after the board
# fired its chief"), up to the next punctuation.
ANCHOR = re.compile(r"\s+(?:after|following)\b", re.IGNORECASE)
CLAUSE_BREAK_ANY = re.compile(r"[,;:—–]")
# Where a new clause begins after a trigger: a semicolon or dash, or a comma before a participle or a
# clause opener ("..., closing a dispute over the future"), not a comma of a list ("Acme, Zeta and ...").
CLAUSE_BREAK = re.compile(r"[;—–]|,\s+(?:[a-z]+ing|which|who|whose|while|whereas|but|after|before|since|"
                          r"when|although|though)\b")
RELATIVE_OPEN = re.compile(r",\s+(?:who|which|whose)\b[^,;:.!?—]*$", re.IGNORECASE)


def timex_precision_rank(value: str) -> int:
    """A larger number for a more precise date value (day > week > month > year)."""
    if len(value) >= 10 and value[4] == "-" and value[7:8] == "-":
        return PRECISION_SCORE["day"]
    if "-W" in value:
        return PRECISION_SCORE["week"]
    if len(value) == 7 and value[4] == "-" and value[5:].isdigit():
        return PRECISION_SCORE["month"]
    return 0 if len(value) < 4 else PRECISION_SCORE["year"]


def in_other_clause(text: str, trigger: Trigger, tx: Any, subordinators: frozenset[str]) -> bool:
    """Whether a timex after the trigger sits in a clause of its own ("the memorandum they
    announced in September", "a right it kept when ... in January")."""
    if tx.start <= trigger.end:
        return False
    words = [w.lower() for w in WORD.findall(text[trigger.end : tx.start])]
    # The word right before the date is a preposition ("before the end of April"), not a clause.
    return any(w in subordinators for w in words[:-1])


def opens_relative_after(text: str, trigger: Trigger, tx: Any) -> bool:
    """Whether the trigger sits in a ", which/who ..." clause opened after a timex before it
    ("Monday's vote pleased Acme, which is expanding ..."): the timex dates the
    main clause, not the relative one."""
    if tx.end > trigger.start:
        return False
    return RELATIVE_OPEN.search(text[tx.end : trigger.start]) is not None


def in_closed_relative(text: str, trigger: Trigger, tx: Any) -> bool:
    """Whether a timex before the trigger sits in a relative clause closed before it ("Emmett
    Shear, who was briefly named interim CEO earlier this month, is an adviser once more"): it
    dates what the clause tells, not the trigger."""
    if tx.end > trigger.start or "," not in text[tx.end : trigger.start]:
        return False
    return RELATIVE_OPEN.search(text, max(0, tx.start - 200), tx.start) is not None


def in_relative_clause(text: str, s_start: int, s_end: int, trigger: Trigger) -> bool:
    """Whether a trigger sits in a relative clause closed later in its sentence ("Shear, who was
    briefly named interim CEO earlier this month, is an adviser once more"): background to the
    main clause's news."""
    if RELATIVE_OPEN.search(text, max(s_start, trigger.start - 200), trigger.start) is None:
        return False
    return "," in text[trigger.end : s_end]


def choose_timex(text: str, timexes: list[Any], trigger: Trigger,
                 attribution: Attribution | None, subordinators: frozenset[str] = frozenset()) -> Any | None:
    """The timex governing the trigger: the nearest DATE/TIME (a more precise one a few words
    further wins), avoiding the attribution clause, period bounds ("through 2032") and dates
    of a later subordinate clause."""
    best, best_key = None, None
    for tx in timexes:
        if tx.type not in ("DATE", "TIME") or not tx.value:
            continue
        if not (tx.value[:1].isdigit() or tx.value == "PRESENT_REF"):
            continue
        before = words_before(text, tx.start, 1, 0)
        if before and before[-1] in PERIOD_BOUND_WORDS:
            continue
        if (in_other_clause(text, trigger, tx, subordinators) or in_closed_relative(text, trigger, tx)
                or opens_relative_after(text, trigger, tx)):
            continue
        distance = max(tx.start - trigger.end, trigger.start - tx.end, 0)
        in_attribution = attribution is not None and attribution.start <= tx.start < attribution.end
        key = (in_attribution, distance - 20 * timex_precision_rank(tx.value))
        if best_key is None or key < best_key:
            best, best_key = tx, key
    return best


def reports_same_day(text: str, s_start: int, s_end: int, trigger: Trigger,
                     present_words: frozenset[str] = frozenset()) -> bool:
    """Whether the sentence reports a same-day event: present (perfect) tense, "today"/"now",
    or a term of the day ("the new CEO")."""
    prev = words_before(text, trigger.start, 3, s_start)
    form = trigger.defn.form
    if NOW_WORDS.search(text, s_start, s_end) or trigger.defn.same_day:
        return True
    if form == "s":
        return True
    if form in ("ed", "en"):
        return any(w in PERFECT_AUX for w in prev[-2:]) and "had" not in prev
    if form == "ing":
        # "is joining", "is also joining", "are now rolling out"
        return bool(prev) and (prev[-1] in PRESENT_BE or (prev[-1] in BE_ADVERBS and prev[-2:-1] != []
                                                           and prev[-2] in PRESENT_BE))
    if form == "base":
        return bool(prev) and prev[-1] not in MODALS and prev[-1] not in DETERMINERS
    if prev and prev[-1] in PRESENT_BE | {"now"}:
        return True
    if form == "term" and any(w in PRESENT_BE for w in prev[-3:]) and not MODALS & set(prev[-3:]):
        return True  # "Emmett Shear is the current interim CEO"
    if any(w in present_words for w in prev):  # "costs $19.50 per million tokens"
        return True
    return trigger.text.lower().startswith(("is ", "are ", "goes ", "now "))


def date_kind(text: str, s_start: int, s_end: int, trigger: Trigger, timexes: list[Any],
              timex: Any | None, hedged: bool, lexicon: EventLexicon) -> str:
    """Where the event's date comes from: its own timex, the story's day (present tense, "now"),
    the context (past or future without a date), or nowhere (hedged or background)."""
    if timex is not None and timex.value != "PRESENT_REF":
        return OWN
    if timex is not None or NOW_WORDS.search(text, s_start, s_end):
        return SAME_DAY
    if hedged or is_background(text, s_start, trigger, timexes, lexicon):
        return BLOCKED
    present = lexicon.context.present_words
    return SAME_DAY if reports_same_day(text, s_start, s_end, trigger, present) else INHERIT


def background_clause(text: str, s_start: int, trigger: Trigger, lexicon: EventLexicon) -> bool:
    """Whether the trigger's clause tells background: "already", "still", "had" around the
    trigger, or a past trigger inside a ", which ..." clause."""
    clause_start = max(s_start, text.rfind(",", s_start, trigger.start) + 1)
    stop = CLAUSE_END.search(text, trigger.end, min(len(text), trigger.end + 80))
    clause_end = stop.start() if stop else min(len(text), trigger.end + 80)
    before = " ".join(words_before(text, trigger.start, 6, clause_start))
    # The words after the trigger up to the next clause ("to return as CEO that they had talked"
    # tells nothing of the return's tense).
    following = [w.lower() for w in WORD.findall(text[trigger.end : clause_end])]
    cut = next((i for i, w in enumerate(following) if w in lexicon.context.subordinators), len(following))
    after = " ".join(following[:cut])
    cues = lexicon.context.background
    if cues is not None and (cues.search(before) or cues.search(after)):
        return True
    opener = WORD.findall(text[clause_start : trigger.start])
    if clause_start > s_start and opener and opener[0].lower() in ("which", "who", "whose"):
        prev = words_before(text, trigger.start, 2, clause_start)
        if trigger.defn.form == "ing" and prev and prev[-1] in PRESENT_BE:
            return True  # "Acme, which is expanding ...": what the company is doing, not news
        return trigger.defn.form in ("ed", "en") or any(w in PERFECT_AUX | {"had"} for w in prev)
    return False


def is_background(text: str, s_start: int, trigger: Trigger, timexes: list[Any],
                  lexicon: EventLexicon) -> bool:
    """Background, not news: a background clause, or a trigger's clause dated by a period ("over
    the past year") or by a vague reference ("recently"); a period or reference after the trigger
    and a clause break belongs to another clause."""
    if background_clause(text, s_start, trigger, lexicon):
        return True
    for tx in timexes:
        if tx.start > trigger.end and CLAUSE_BREAK.search(text, trigger.end, tx.start):
            continue  # another clause's period ("..., closing a dispute over the future of the lab")
        if tx.type in ("DURATION", "SET"):
            before = words_before(text, tx.start, 1, s_start)
            if tx.text.lower().startswith("the ") or (before and before[-1] in PERIOD_WORDS):
                return True
        elif (tx.type in ("DATE", "TIME") and tx.value and not tx.value[:1].isdigit()
              and tx.value != "PRESENT_REF"):
            return True
    return False


def anchored_earlier(text: str, s_start: int, trigger: Trigger, timexes: list[Any]) -> bool:
    """Whether the trigger tells the earlier event another one is dated from: it follows "three
    days after", "months after", "weeks following" in its clause ("The offer arrived three days
    after the board fired its chief"). The duration dates the news of the main clause, not this
    event."""
    for tx in timexes:
        if tx.type != "DURATION" or tx.end > trigger.start:
            continue
        opener = ANCHOR.match(text, tx.end)
        if opener and not CLAUSE_BREAK_ANY.search(text, opener.end(), trigger.start):
            return True
    return False
