"""A story card as text for a terminal or as Markdown (`kb stories show --format text|markdown`)."""

from __future__ import annotations

import textwrap
from typing import Any

FIELD_LABELS = {
    "released": "Released",
    "maker": "Maker",
    "platforms": "Platforms",
    "price": "Price",
    "predecessor": "Predecessor",
    "positioning": "Positioning",
    "parties": "Parties",
    "amount": "Amount",
    "date": "Date",
    "terms": "Terms",
    "court": "Court",
    "claims": "Claims",
    "rulings": "Rulings",
    "next_date": "Next date",
}


def _cites(sources: list[dict[str, Any]]) -> str:
    return " ".join(dict.fromkeys(s["label"] for s in sources))


def _value(name: str, field: Any) -> str:
    """A fact-sheet field as one line: its value (or values) with the reports they came from."""
    if field is None or field == []:
        return ""
    if isinstance(field, list):
        return "; ".join(filter(None, (_value(name, f) for f in field)))
    value = field.get("display") or field["value"]
    if isinstance(value, list):
        value = ", ".join(value)
    if name == "positioning":
        value = f"\u201c{value}\u201d \u2014 {field['by']}, {field['source']}, {field['date']}"
    elif name == "maker" and field.get("group"):
        value = f"{value} ({field['group']})"
    return f"{value} {_cites(field['sources'])}".strip()


def card_lines(card: dict[str, Any], markdown: bool = False) -> list[str]:
    """The card's sections in order, as lines (Markdown headings and bullets when asked)."""
    h1, h2, bullet = ("# ", "## ", "- ") if markdown else ("", "", "  - ")
    lines = [f"{h1}{card['heading']}"]
    if not markdown:
        lines.append("=" * min(len(card["heading"]), 88))
    lines += [
        "",
        f"Importance: {card['importance_pct']} · Confidence: {card['confidence_pct']} · "
        f"Mentions: {card['mentions']} · Updated: {card['updated_display']} · "
        f"Status: {card['status']}",
    ]
    prose = card.get("prose")
    if card["summary"]["text"]:
        lines += ["", card["summary"]["text"]]
    if prose:
        lines += ["", f"Model-written by {prose['model']}: {prose['summary']}"]

    def section(title: str, body: list[str]) -> None:
        if body:
            lines.extend(["", f"{h2}{title}", *body])

    overview = card["overview"]["text"]
    section(
        "Overview",
        [overview]
        + ([f"Model-written by {prose['model']}: {prose['overview']}"] if prose and prose["overview"] else [])
        if overview
        else [],
    )
    for sheet in card["fact_sheets"]:
        body = [
            f"{bullet}{FIELD_LABELS.get(name, name)}: {text}"
            for name, field in sheet["fields"].items()
            if (text := _value(name, field))
        ]
        section(f"Fact sheet: {sheet['name']}", body)
    section(
        "Strategic Context",
        [f"{bullet}{i['text']} {_cites(i['sources'])}" for i in card["strategic_context"]],
    )
    section(
        "Competitive Implications",
        [
            f"{bullet}{i['party']}: {i['text']} {_cites(i['sources'][:1])}"
            for i in card["competitive_implications"]
        ],
    )
    section(
        "Legal & Licensing Watch",
        [
            f"{bullet}{(i['date_display'] + ': ') if i.get('date_display') else ''}{i['text']} "
            f"{_cites(i['sources'][:1])}"
            for i in card["legal_watch"]
        ],
    )
    section(
        "Key Facts",
        [
            f"{bullet}{f['date_display']}: {f['text']} ({', '.join(f['types'])}) {_cites(f['sources'][:2])}"
            for f in card["key_facts"]
        ],
    )
    timeline = []
    for event in card["timeline"]:
        timeline.append(
            f"{bullet}#{event['event_id']} {event['date_display']}: {event['summary'] or ''} "
            f"({event['type']}, {event['status']})"
        )
        timeline += [
            f"{'  ' if markdown else '      '}- {r['source'] or 'unknown source'}: "
            f"{r['title'] or r['url']} <{r['url']}>"
            f"{'' if r['independent'] else ', copy of article ' + str(r['copy_of'])}"
            for r in event["reports"]
        ]
    section("Timeline", timeline)
    section(
        "What Changed",
        [f"{bullet}{c['at'][:10]} ({c['batch'].lower()}): {c['text']}" for c in card["changes"]],
    )
    section(
        "Sources",
        [
            f"{bullet}{s['source'] or 'unknown source'}, {s['date'] or 'undated'}: {s['title']} "
            f"<{s['url']}>{'' if s['independent'] else ' (copy)'}"
            for s in card["sources"]
        ],
    )
    return lines


def render_card(card: dict[str, Any], width: int = 88) -> str:
    """The card as plain text for a terminal, wrapped at `width`."""
    out = []
    for line in card_lines(card):
        indent = "    " if line.startswith("  - ") else ""
        out.append(
            textwrap.fill(
                line, width, subsequent_indent=indent, break_long_words=False, break_on_hyphens=False
            )
            if line
            else ""
        )
    return "\n".join(out)


def render_markdown(card: dict[str, Any]) -> str:
    """The card as Markdown, one paragraph or bullet a line."""
    return "\n".join(card_lines(card, markdown=True)) + "\n"
