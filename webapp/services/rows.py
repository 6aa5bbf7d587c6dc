"""Write one row into each of several tables with as few round trips as the database allows.

On PostgreSQL the rows go in one statement (the first ones as data-modifying ``WITH``
clauses, whose foreign keys are checked when the statement ends); SQLite has no such clauses
and gets one INSERT per row. A new response from a phone writes three rows (the response, its
revision 1, the audit event): on PostgreSQL each INSERT was a round trip (issue 12).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from ..extensions import db


def insert_each(rows: list[tuple[sa.Table, dict[str, Any]]]) -> None:
    """Insert each ``(table, values)`` row in the current transaction, in this order where
    the database runs them one by one."""
    if len(rows) == 1 or db.session.get_bind().dialect.name != "postgresql":
        for table, values in rows:
            db.session.execute(_insert(table), values)
        return
    shape = tuple((table, tuple(values)) for table, values in rows)
    params = {
        _name(i, key): value
        for i, (_table, values) in enumerate(rows)
        for key, value in values.items()
    }
    db.session.execute(_together(shape), params)


@lru_cache(maxsize=64)
def _insert(table: sa.Table) -> sa.Insert:
    return sa.insert(table)


def _name(index: int, key: str) -> str:
    return f"row{index}_{key}"


def _values(table: sa.Table, index: int, keys: tuple[str, ...]) -> dict[str, sa.BindParameter]:
    return {key: sa.bindparam(_name(index, key), type_=table.c[key].type) for key in keys}


@lru_cache(maxsize=64)
def _together(shape: tuple[tuple[sa.Table, tuple[str, ...]], ...]) -> sa.Insert:
    """One statement for rows of this shape (tables and columns), built once per process."""
    *before, (last, last_keys) = shape
    clauses = [
        sa.insert(table).values(_values(table, i, keys)).cte(f"row{i}")
        for i, (table, keys) in enumerate(before)
    ]
    statement = sa.insert(last).values(_values(last, len(before), last_keys)).add_cte(*clauses)
    # A column left out whose model has a default would get a parameter of its own name, the
    # same in each table: its value could go to the wrong row. Every row names every column.
    given = {_name(i, key) for i, (_table, keys) in enumerate(shape) for key in keys}
    stray = sorted(set(statement.compile(dialect=postgresql.dialect()).params) - given)
    if stray:
        raise ValueError(f"insert_each needs a value for these columns: {', '.join(stray)}")
    return statement
