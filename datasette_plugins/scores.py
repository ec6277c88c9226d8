"""/-/scores: how importance and confidence are computed, in plain words with the current weights
(kb/ledger/score_guide.py; docs/scores.md is the same text)."""

from __future__ import annotations

from datasette import hookimpl

from datasette_plugins.responses import html_response, json_response, wants_json
from datasette_plugins.score_words import default_weights
from kb.ledger.score_guide import score_guide


async def scores_view(datasette, request):
    """Serve the guide as HTML or JSON."""
    weights = default_weights()
    sections = score_guide(weights)
    if wants_json(request):
        return json_response({"ok": True, "formula_version": weights["formula_version"],
                              "sections": sections})
    return await html_response(datasette, request, "kb_scores.html", {"sections": sections})


@hookimpl
def register_routes():
    return [(r"^/-/scores(?P<format>\.json)?$", scores_view)]
