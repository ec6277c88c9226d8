"""Tables written as text with pipes ("| Feature | Model A | Model B | | Price | $33 | $19.50 |"),
flattened into one paragraph by a page or kept as one line per row, turned into one line per cell
that names its row and its column: "Model A – Price: $33." Read as a paragraph, the table ties
every value to the wrong name; read cell by cell, a price sits in the sentence of its product."""

from __future__ import annotations

import re

ROW_BREAK = re.compile(r"\|\s+\|")  # where one row ends and the next begins in a flattened table
RULE_CELL = re.compile(r"^:?-{2,}:?$")  # a Markdown header rule: | --- | :---: |
MIN_COLUMNS = 2
MAX_CELLS = 120  # larger tables are data dumps, left as they are
SENTENCE_END = (".", "!", "?")


def _cells(row: str) -> list[str]:
    return [" ".join(c.split()) for c in row.strip().strip("|").split("|")]


def table_rows(line: str) -> list[list[str]] | None:
    """The rows of a line that is a pipe table (flattened or one row), [] for a header rule
    (| --- | --- |), or None."""
    stripped = line.strip()
    if not (stripped.startswith("|") and stripped.endswith("|") and stripped.count("|") >= 3):
        return None
    rows = [_cells(r) for r in ROW_BREAK.split(stripped.strip("|"))]
    rows = [r for r in rows if not all(RULE_CELL.match(c) or not c for c in r)]
    if not rows:
        return []  # a header rule alone
    if len({len(r) for r in rows}) != 1 or len(rows[0]) < MIN_COLUMNS:
        return None
    return rows


def _cell_line(column: str, row: str, value: str) -> str:
    label = " – ".join(part for part in (column, row) if part)
    value = value if value.endswith(SENTENCE_END) else value + "."
    return f"{label}: {value}" if label else value


def cell_lines(rows: list[list[str]]) -> list[str]:
    """One line per filled cell of a table whose first row heads its columns and first column
    heads its rows."""
    header, body = rows[0], rows[1:]
    lines = []
    for column in range(1, len(header)):
        for row in body:
            if row[column]:
                lines.append(_cell_line(header[column], row[0], row[column]))
    return lines


def unflatten_tables(text: str) -> str:
    """The text with each pipe table (a run of table lines of the same width) written as one
    line per cell; other lines unchanged."""
    lines = text.split("\n")
    out: list[str] = []
    index = 0
    while index < len(lines):
        rows = table_rows(lines[index])
        if not rows:
            out.append(lines[index])
            index += 1
            continue
        end = index + 1
        while end < len(lines):  # a table kept as one line per row
            more = table_rows(lines[end])
            if more is None or (more and len(more[0]) != len(rows[0])):
                break
            rows += more
            end += 1
        if len(rows) < 2 or len(rows) * len(rows[0]) > MAX_CELLS:
            out.extend(lines[index:end])
        else:
            out.extend(cell_lines(rows))
        index = end
    return "\n".join(out)
