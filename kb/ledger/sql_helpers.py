"""Helpers for the ledger's and stories' batched queries: ids in chunks for IN (...), rows as dicts."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

CHUNK = 500  # ids per IN (...) query


def chunks(ids: list[int], size: int = CHUNK) -> Iterator[list[int]]:
    for i in range(0, len(ids), size):
        yield ids[i:i + size]


def marks(values: list[Any]) -> str:
    return ",".join("?" * len(values)) or "NULL"


def rows_as_dicts(cursor) -> list[dict[str, Any]]:
    names = [c[0] for c in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
