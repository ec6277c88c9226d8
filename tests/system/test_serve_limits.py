"""A real `kb serve` caps SQLite's heap: a query asking for hundreds of MB gets a 503 and the server
lives on."""

from __future__ import annotations

from pathlib import Path

from bench.bench_serve_memory import PAD_19MB, KbServer, columns, memory_kb, sql_path


def test_kb_serve_refuses_a_query_that_needs_too_much_memory(generated_kb: Path):
    with KbServer(generated_kb) as server:
        status, _ = server.get(sql_path(f"select {columns(PAD_19MB, 20)}"))  # 380 MB in one row
        assert status == 503
        assert memory_kb(server.pid, "VmHWM") < 700 * 1024
        assert server.get("/{db}/stories")[0] == 200
        assert server.get(sql_path("select count(*) from events"))[0] == 200
