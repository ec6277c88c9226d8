"""Turn stored values into what a reader sees: precisions, bar widths, safe links, month names.

Dates are labelled by kb.dates.labels.format_date and percentages by kb.core.formats.percent.
"""

from __future__ import annotations

import calendar
import re
from urllib.parse import urlsplit

from kb.core.formats import percent
from kb.dates.timex import timex_precision


def precision_of(value: str | None, stored: str | None = None) -> str:
    """The precision of a date value: day, month, quarter, season, year (the stored one wins)."""
    if stored:
        return stored
    if not value:
        return "none"
    try:
        return str(timex_precision(value))
    except (ValueError, TypeError):
        return "unknown"


# A date's precision as a reader says it (the stored word stays in JSON as `precision`).
PRECISION_WORDS = {"day": "exact date", "month": "month only", "quarter": "quarter only",
                   "season": "season only", "year": "year only", "none": "date unknown",
                   "unknown": "date unclear"}


def precision_words(precision: str | None) -> str:
    """'exact date' for day, 'month only' for month, 'date unknown' for none."""
    return PRECISION_WORDS.get(precision or "none", f"{precision} only")


def percent_number(value: float | None) -> int:
    """A 0–1 score as a whole number 0–100 (0 when unknown), for bar widths."""
    if value is None:
        return 0
    return max(0, min(100, round(float(value) * 100)))


def score_labels(row: dict) -> dict:
    """A story's or event's importance and confidence as percentages and as bar widths."""
    return {
        "importance_pct": percent(row.get("importance")),
        "confidence_pct": percent(row.get("confidence")),
        "importance_bar": percent_number(row.get("importance")),
        "confidence_bar": percent_number(row.get("confidence")),
    }


def safe_url(url: str | None) -> str | None:
    """The URL when it is an absolute http(s) URL with a host, else None (never linked)."""
    if not url or not isinstance(url, str):
        return None
    url = url.strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    if any(ch in url for ch in "\"'<>\\ \t\r\n"):
        return None
    return url


def month_key(sort_date: str | None) -> str:
    """The YYYY-MM a sort date falls in ('' when undated)."""
    return (sort_date or "")[:7]


MONTH_KEY_PATTERN = re.compile(r"^[0-9]{4}-(0[1-9]|1[0-2])$")


def month_label(key: str) -> str:
    """'2024-07' as 'July 2024' (ASCII digits only: a stored '²' is not a month)."""
    if MONTH_KEY_PATTERN.match(key):
        return f"{calendar.month_name[int(key[5:])]} {key[:4]}"
    return "Undated"


def highlight_segments(text: str, spans: list[dict]) -> list[dict]:
    """Split `text` into plain and highlighted pieces; overlapping spans keep the first one.

    Each span has start, end, kind ('entity' or 'date') and title; pieces are rendered by
    the template with autoescaping, so no markup is built here.
    """
    pieces: list[dict] = []
    position = 0
    for span in sorted(spans, key=lambda s: (s["start"], -s["end"])):
        start, end = int(span["start"]), int(span["end"])
        if start < position or end <= start or end > len(text):
            continue
        if start > position:
            pieces.append({"text": text[position:start], "kind": None})
        pieces.append({"text": text[start:end], "kind": span["kind"], "title": span.get("title"),
                       "href": span.get("href")})
        position = end
    if position < len(text):
        pieces.append({"text": text[position:], "kind": None})
    return pieces
