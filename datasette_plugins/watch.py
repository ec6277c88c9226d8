"""/-/watch (and .json): what is contested. Rumored facts not yet confirmed, denials, and facts
whose sources disagree on the date or the amount, each naming who said what and when
(watch_queries.py)."""

from __future__ import annotations

from datasette import hookimpl

from datasette_plugins.event_queries import event_json
from datasette_plugins.responses import html_response, json_response, kb_database, wants_json
from datasette_plugins.watch_queries import watch_list

SECTIONS = (
    ("rumored", "Rumored, not confirmed", "Facts only reported as rumors, hedged or from unnamed sources."),
    ("denied", "Denied", "Facts denied by a company or a report, or reported and then denied by someone."),
    ("dates", "Sources disagree on the date", "The fact keeps one date; other sources give another."),
    ("amounts", "Sources disagree on the amount", "Independent reports name amounts that do not match."),
)
REPORT_KEYS = ("article_id", "title", "url", "published_at", "source", "first_party", "stance",
               "attributed_to", "sentence")


def entry_json(entry: dict) -> dict:
    return {"event": event_json(entry["event"]),
            "reports": [{**{k: r.get(k) for k in REPORT_KEYS}, "amounts": r.get("amounts", [])}
                        for r in entry["reports"]],
            "date_conflicts": [{"at": c["at"], "source": c["source"], "says": c["says"],
                                "article_id": c["article_id"]} for c in entry["conflicts"]]}


async def watch_view(datasette, request):
    """Serve the watch page as HTML or JSON."""
    lists = await watch_list(kb_database(datasette))
    if wants_json(request):
        return json_response({"ok": True, **{key: [entry_json(e) for e in lists[key]]
                                             for key, _, _ in SECTIONS}})
    return await html_response(datasette, request, "kb_watch.html", {
        "sections": [{"key": key, "title": title, "lede": lede, "entries": lists[key]}
                     for key, title, lede in SECTIONS]})


@hookimpl
def register_routes():
    return [(r"^/-/watch(?P<format>\.json)?$", watch_view)]
