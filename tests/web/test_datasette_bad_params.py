"""Odd numbers, far dates and Datasette's own bad table parameters get a 400 naming the parameter."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize("path, parameter", [
    ("/kb/events?_sort=nonexistent", "_sort"),
    ("/kb/events?_sort_desc=nonexistent", "_sort_desc"),
    ("/kb/timeline?_sort=nonexistent", "_sort"),
    ("/kb/events?_sort=id&_sort_desc=id", "_sort"),
    ("/kb/events?_where=1;%20select%201", "_where"),
    ("/kb/events?id__gt=%C2%B2", "id__gt"),
])
async def test_datasette_table_pages_answer_bad_parameters_with_400(kb_datasette, path, parameter):
    response = await kb_datasette.client.get(path)
    assert response.status_code == 400, path
    assert "text/html" in response.headers["content-type"]
    assert f"{parameter}:" in response.text
    table, query = path.split("?")
    as_json = await kb_datasette.client.get(f"{table}.json?{query}")
    assert as_json.status_code == 400
    assert as_json.json()["ok"] is False and as_json.json()["parameter"] == parameter


async def test_table_pages_keep_their_normal_behaviour(kb_datasette):
    for path in ("/kb/events?_sort=importance",
                 "/kb/events?_sort_desc=sort_date&_where=importance%20%3E%200.5", "/kb/events?id__gt=10",
                 "/kb/events.json?_where=type%20%3D%20%27release%27"):
        response = await kb_datasette.client.get(path)
        assert response.status_code == 200, path
    invalid = await kb_datasette.client.get("/kb/events.json?_where=nonexistent%20%3D%201")
    assert invalid.status_code == 400 and "no such column" in invalid.json()["error"]


LONG_NUMBER = "1" * 5000


@pytest.mark.parametrize("path, parameter", [
    ("/-/timeline?story=%C2%B2", "story"), ("/-/timeline?entity=%C2%B2", "entity"),
    ("/-/timeline?story=%D9%A2", "story"), ("/-/timeline?from=%D9%A2%D9%A0%D9%A2%D9%A4", "from"),
    ("/-/timeline?to=9999-12-31", "to"), ("/-/timeline?to=9999", "to"), ("/-/timeline?from=0999", "from"),
    ("/-/charts?to=9999-12-31", "to"), ("/-/charts?to=9999-12", "to"),
    (f"/-/timeline?size={LONG_NUMBER}", "size"), (f"/-/timeline?story={LONG_NUMBER}", "story"),
    ("/-/timeline?size=%C2%B2", "size"), ("/-/timeline?next=2024-01-01,%C2%B2", "next"),
])
async def test_odd_numbers_and_far_dates_get_400_naming_the_parameter(kb_datasette, path, parameter):
    response = await kb_datasette.client.get(path)
    assert response.status_code == 400, path
    assert f"{parameter}:" in response.text
    page, _, query = path.partition("?")
    as_json = await kb_datasette.client.get(f"{page}.json?{query}")
    assert as_json.status_code == 400 and as_json.json()["parameter"] == parameter


@pytest.mark.parametrize("story", ["%C2%B2", LONG_NUMBER, "%D9%A2"])
async def test_story_feed_with_odd_story_number_is_a_400(kb_datasette, story):
    response = await kb_datasette.client.get(f"/kb/story_feed.atom?story={story}")
    assert response.status_code == 400
    assert "story:" in response.text
