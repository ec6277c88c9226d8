"""Which exceptions are the request's fault: a 400 (naming the parameter when known) or a 503, not a 500.

Datasette 0.65's table pages raise a plain 500 for a `_sort` by an unknown column, `_sort` with
`_sort_desc`, a `_where` holding several statements and a `__gt`/`__lt` filter value of non-ASCII
digits ("²"); a query stopped by the server's limits (sql_limits.py) fails the same way.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from datasette.database import QueryInterrupted
from datasette.views.base import DatasetteError

from datasette_plugins.params import shown
from datasette_plugins.sql_limits import MAX_VALUE_BYTES, ResultTooLarge, megabytes

BUSY_MESSAGE = ("this page took longer than the SQL time limit: narrow it with filters "
                "(a story, an entity, a type or a date range) or try again in a minute")


@dataclass
class Refusal:
    status: int
    message: str
    parameter: str | None = None


def sort_refusal(exception: DatasetteError, args) -> Refusal | None:
    message = str(exception.message)
    if message == "Cannot use _sort and _sort_desc at the same time":
        return Refusal(400, "_sort: give _sort or _sort_desc, not both", "_sort")
    if message.startswith("Cannot sort table by "):
        column = message.removeprefix("Cannot sort table by ")
        name = "_sort" if args.get("_sort") == column else "_sort_desc"
        return Refusal(400, f"{name}: this table cannot be sorted by {shown(column)}", name)
    return None


def digits_refusal(args) -> Refusal | None:
    """The filter whose value int() refused although str.isdigit() accepted it."""
    for name in args.keys():
        for value in args.getlist(name):
            if value.isdigit() and not value.isascii():
                return Refusal(400, f"{name}: expected a number in ASCII digits, got {shown(value)}", name)
    return None


def classify(exception: BaseException, request) -> Refusal | None:
    """The answer to give for `exception`, or None to leave it to Datasette (a 500)."""
    args = request.args
    if isinstance(exception, QueryInterrupted):
        return Refusal(503, BUSY_MESSAGE) if request.path.startswith("/-/") else None
    if isinstance(exception, ResultTooLarge):
        return Refusal(400, str(exception))
    if isinstance(exception, sqlite3.DataError):
        return Refusal(400, f"{exception}: no value may be longer than {megabytes(MAX_VALUE_BYTES)}")
    if isinstance(exception, MemoryError):
        return Refusal(503, "this query needs more memory than the server gives one request: ask for less")
    if (isinstance(exception, sqlite3.ProgrammingError) and "one statement at a time" in str(exception)
            and "_where" in args):
        return Refusal(400, "_where: give one SQL condition, not several statements", "_where")
    if isinstance(exception, DatasetteError) and exception.status == 500:
        return sort_refusal(exception, args)
    if isinstance(exception, ValueError) and "invalid literal for int()" in str(exception):
        return digits_refusal(args)
    return None
