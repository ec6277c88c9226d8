"""One request cannot make the server build huge values or results, nor leak a pointer (sql_limits.py)."""

from __future__ import annotations

from urllib.parse import quote

import pytest


@pytest.mark.parametrize("sql", [
    "select length(randomblob(30000000))",
    "select zeroblob(30000000) as z",
    "select length(replace(hex(zeroblob(15000000)), '0', 'xx'))",
    "with recursive c(x) as (select 1 union all select x + 1 from c limit 200000) "
    "select length(group_concat(printf('%.200c', 'x'))) from c",
])
async def test_a_query_cannot_build_a_huge_value(kb_datasette, sql):
    response = await kb_datasette.client.get("/kb.json?sql=" + quote(sql))
    assert response.status_code == 400
    assert "too big" in response.json()["error"]


async def test_printf_padding_past_the_limit_gives_null(kb_datasette):
    sql = "select length(printf('%.*c', 30000000, 'x')) as n, length(printf('%.*c', 1000, 'x')) as m"
    response = await kb_datasette.client.get("/kb.json?sql=" + quote(sql) + "&_shape=array")
    assert response.status_code == 200
    assert response.json() == [{"n": None, "m": 1000}]


async def test_a_query_cannot_return_a_huge_result(kb_datasette):
    sql = ("with recursive c(x) as (select 1 union all select x + 1 from c limit 1000) "
           "select x, printf('%.*c', 40000, 'x') as padding from c")
    response = await kb_datasette.client.get("/kb.json?sql=" + quote(sql) + "&_size=max")
    assert response.status_code == 400
    assert "MB" in response.json()["error"]
    csv = await kb_datasette.client.get("/kb.csv?sql=" + quote(sql) + "&_stream=on")
    assert len(csv.content) < 1_000_000  # Datasette answers a failed CSV query with an empty 200


async def test_ordinary_large_pages_still_work(kb_datasette):
    for path in ("/kb/articles.json?_size=max", "/kb/events.json?_size=max", "/kb/articles.csv?_stream=on",
                 "/kb/events.csv?_stream=on&_size=max"):
        response = await kb_datasette.client.get(path)
        assert response.status_code == 200, path


@pytest.mark.parametrize("sql", ["select hex(fts3_tokenizer('simple'))",
                                 "select hex(fts3_tokenizer('porter'))",
                                 "select fts3_tokenizer('simple', x'0000000000000000')"])
async def test_fts3_tokenizer_leaks_no_pointer(kb_datasette, sql):
    response = await kb_datasette.client.get("/kb.json?sql=" + quote(sql))
    assert response.status_code == 400
    assert response.json()["rows"] == []


async def test_result_budget_counts_what_json_escaping_makes_of_control_characters(kb_datasette):
    sql = "select printf('%.*c', 6000000, char(1)) as c"  # 6 MB of text, 36 MB of JSON
    response = await kb_datasette.client.get("/kb.json?sql=" + quote(sql))
    assert response.status_code == 400
    assert "MB" in response.json()["error"]
    plain = await kb_datasette.client.get("/kb.json?sql=" + quote("select printf('%.*c', 6000000, 'x') as c"))
    assert plain.status_code == 200


async def test_a_table_page_filter_building_a_huge_value_is_a_400(kb_datasette):
    where = quote("length(randomblob(30000000)) > 0")
    response = await kb_datasette.client.get("/kb/events.json?_where=" + where)
    assert response.status_code == 400
    assert "too big" in response.json()["error"]
