"""Charts drawn as inline SVG on the server: events per month by type, each story's activity."""

from __future__ import annotations

import calendar
import time
from collections import defaultdict

from datasette import hookimpl

from datasette_plugins.formatting import month_label
from datasette_plugins.params import (
    EVENT_TYPES,
    BadParameter,
    parse_date,
    period_end_exclusive,
    period_start,
    single,
)
from datasette_plugins.responses import (
    error_response,
    html_response,
    json_response,
    kb_database,
    plugin_setting,
    wants_json,
)
from datasette_plugins.story_queries import story_counts

TYPE_COLORS = {"release": "#2d5bd1", "investment": "#7a3ec8", "partnership": "#1d8a8a",
               "competition": "#c43d3d", "personnel": "#a0701a", "legal": "#5a5a5a",
               "regulatory": "#3c6e3c", "corporate": "#355c7d", "statement": "#b3477d",
               "pricing": "#d9622b"}
STORIES_CHARTED = 12
MIN_SLOTS = 12  # a chart of fewer months keeps bars a month wide, not the whole width
OUTLIER_SHARE = 0.03  # by default, months before (after) the first (last) 3% of events are left out
CACHE_SECONDS = 60.0
_counts_cache: dict[tuple, tuple[float, dict]] = {}


def month_range(first: str, last: str) -> list[str]:
    """Every YYYY-MM from first to last inclusive."""
    year, month = int(first[:4]), int(first[5:7])
    months = []
    while f"{year:04d}-{month:02d}" <= last:
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def main_window(counts: dict[str, dict[str, int]]) -> tuple[str, str] | None:
    """The months where the events sit: from the month before which fewer than 3% of them fall
    to the month after which fewer than 3% fall (a recalled 2014 fact does not stretch the axis)."""
    if not counts:
        return None
    months = sorted(counts)
    totals = [sum(counts[m].values()) for m in months]
    allowed = sum(totals) * OUTLIER_SHARE
    start, end, before, after = 0, len(months) - 1, 0, 0
    while start < end and before + totals[start] <= allowed:
        before += totals[start]
        start += 1
    while end > start and after + totals[end] <= allowed:
        after += totals[end]
        end -= 1
    return months[start], months[end]


def axis_label(month: str, first: bool, span: int) -> str:
    """'2025' at a year's start (or 'Jan 2025' on a short axis), 'Apr' for a quarter of a short axis."""
    name = calendar.month_abbr[int(month[5:7])]
    if span > 36:
        return month[:4]
    return f"{name} {month[:4]}" if first or month.endswith("-01") else name


def stacked_chart(counts: dict[str, dict[str, int]], width: int = 900, height: int = 260) -> dict:
    """Geometry of a stacked bar chart: one bar per month, one segment per event type."""
    months = month_range(min(counts), max(counts)) if counts else []
    top = max((sum(c.values()) for c in counts.values()), default=0)
    left, bottom = 40, 24
    plot_w, plot_h = width - left - 8, height - bottom - 8
    step = plot_w / max(len(months), MIN_SLOTS)
    bars = []
    for i, month in enumerate(months):
        y = 8 + plot_h
        for etype in EVENT_TYPES:
            n = counts.get(month, {}).get(etype, 0)
            if not n:
                continue
            h = plot_h * n / top
            y -= h
            bars.append({"x": round(left + i * step, 2), "y": round(y, 2), "w": round(max(step - 1, 1), 2),
                         "h": round(h, 2), "color": TYPE_COLORS[etype],
                         "title": f"{month_label(month)}: {n} {etype}"})
    labels = [{"x": round(left + i * step, 2), "text": axis_label(m, i == 0, len(months))}
              for i, m in enumerate(months) if m.endswith("-01") or i == 0
              or (len(months) <= 36 and m[5:7] in ("04", "07", "10"))]
    return {"width": width, "height": height, "bars": bars, "labels": labels, "top": top,
            "left": left, "baseline": 8 + plot_h}


def activity_chart(counts: dict[str, int], width: int = 320, height: int = 60) -> dict:
    """Geometry of a small bar chart of one story's events per month."""
    months = month_range(min(counts), max(counts)) if counts else []
    top = max(counts.values(), default=0) or 1
    step = width / max(len(months), MIN_SLOTS)
    bars = []
    for i, month in enumerate(months):
        n = counts.get(month, 0)
        if n:
            h = (height - 4) * n / top
            bars.append({"x": round(i * step, 2), "y": round(height - h, 2),
                         "w": round(max(step - 0.5, 0.5), 2), "h": round(h, 2),
                         "title": f"{month_label(month)}: {n} event{'s' if n != 1 else ''}"})
    return {"width": width, "height": height, "bars": bars, "top": top,
            "first": month_label(months[0]) if months else "",
            "last": month_label(months[-1]) if months else ""}


async def monthly_type_counts(db, date_from: str | None, date_to: str | None) -> dict[str, dict[str, int]]:
    """Events per month and type (superseded ones left out), between optional YYYY-MM-DD bounds.

    All events are counted from the covering (type, sort_date) index and the few superseded
    ones subtracted, which avoids reading a million rows; results are kept CACHE_SECONDS.
    """
    newest, superseded = (await db.execute(
        "SELECT (SELECT max(id) FROM events), "
        "(SELECT count(*) FROM events WHERE status = 'superseded')")).rows[0]
    key = (db.name, date_from, date_to, newest, superseded)
    cached = _counts_cache.get(key)
    if cached and time.monotonic() - cached[0] < CACHE_SECONDS:
        return cached[1]
    where, params = ["sort_date IS NOT NULL"], []
    if date_from:
        where.append("sort_date >= ?")
        params.append(date_from)
    if date_to:
        where.append("sort_date < ?")
        params.append(date_to)
    counts: dict[str, dict[str, int]] = defaultdict(dict)
    condition = " AND ".join(where)
    for etype, month, n in (await db.execute(
            f"SELECT type, substr(sort_date, 1, 7) AS month, count(*) FROM events WHERE {condition} "
            "GROUP BY type, month", params)).rows:
        counts[month][etype] = n
    for etype, month, n in (await db.execute(
            f"SELECT type, substr(sort_date, 1, 7) AS month, count(*) FROM events "
            f"WHERE status = 'superseded' AND {condition.replace('sort_date', '+sort_date')} "
            "GROUP BY type, month", params)).rows:
        left = counts[month].get(etype, 0) - n
        if left > 0:
            counts[month][etype] = left
        else:
            counts[month].pop(etype, None)
    result = {m: c for m, c in counts.items() if c}
    _counts_cache.clear()
    _counts_cache[key] = (time.monotonic(), result)
    return result


async def story_activity(db, limit: int) -> list[dict]:
    """The most important stories with their events per month (counts shared with story pages)."""
    stories = [dict(r) for r in (await db.execute(
        "SELECT id, title, importance, updated_at, mentions FROM stories WHERE status != 'merged' "
        "ORDER BY importance DESC LIMIT ?", [limit])).rows]
    for story in stories:
        _, _, by_month = await story_counts(db, story, {})
        story["months"] = {m: sum(c.values()) for m, c in sorted(by_month.items())}
        story["chart"] = activity_chart(story["months"])
    return stories


async def charts_view(datasette, request):
    """Serve the charts page (or its data as JSON)."""
    db = kb_database(datasette)
    try:
        date_from = parse_date(single(request.args, "from"), "from")
        date_to = parse_date(single(request.args, "to"), "to")
    except BadParameter as exc:
        return await error_response(datasette, request, 400, str(exc), exc.parameter)
    counts = await monthly_type_counts(db, period_start(date_from) if date_from else None,
                                       period_end_exclusive(date_to) if date_to else None)
    charted, left_out, window = counts, 0, None
    if not date_from and not date_to and (window := main_window(counts)):
        charted = {m: c for m, c in counts.items() if window[0] <= m <= window[1]}
        left_out = sum(sum(c.values()) for m, c in counts.items() if m not in charted)
    stories = await story_activity(db, plugin_setting(datasette, "stories_charted", STORIES_CHARTED))
    if wants_json(request):
        return json_response({"ok": True, "events_per_month_by_type": counts,
                              "story_activity": [{"id": s["id"], "title": s["title"], "months": s["months"]}
                                                 for s in stories]})
    return await html_response(datasette, request, "kb_charts.html", {
        "chart": stacked_chart(charted), "stories": stories, "type_colors": TYPE_COLORS,
        "left_out": left_out, "all_from": min(counts) if counts else None,
        "all_to": max(counts) if counts else None,
        "date_from": date_from, "date_to": date_to,
    })


@hookimpl
def register_routes():
    return [(r"^/-/charts(?P<format>\.json)?$", charts_view)]
