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
from sqlalchemy.dialects import postgresql, sqlite

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


def insert_each_if(
    allowed: sa.Select, rows: list[tuple[sa.Table, dict[str, Any]]], params: dict[str, Any]
) -> bool:
    """Insert the rows as ``insert_each`` does, but only if ``allowed`` (a SELECT run with
    ``params``) finds a row and the first row's keys are free; return whether they were.

    On PostgreSQL that is one statement: the first row is inserted from ``allowed`` (ON
    CONFLICT DO NOTHING) and each other row from what that insert returns. SQLite gets the
    same conditional INSERT for the first row, then the others if it went in. ``allowed``
    must be a statement built once (the statement built from it is kept per process).
    """
    postgres = db.session.get_bind().dialect.name == "postgresql"
    shape = tuple((table, tuple(values)) for table, values in rows)
    values = {
        _name(i, key): value
        for i, (_table, row) in enumerate(rows[: None if postgres else 1])
        for key, value in row.items()
    }
    statement = _together_if(allowed, shape, postgres)
    # An INSERT's count of rows is kept only when asked for (SQLAlchemy's preserve_rowcount).
    done = db.session.execute(
        statement, {**params, **values}, execution_options={"preserve_rowcount": True}
    )
    inserted = done.rowcount == 1
    if inserted and not postgres:
        for table, row in rows[1:]:
            db.session.execute(_insert(table), row)
    return inserted


@lru_cache(maxsize=16)
def _together_if(
    allowed: sa.Select, shape: tuple[tuple[sa.Table, tuple[str, ...]], ...], postgres: bool
) -> sa.Insert:
    """insert_each_if's statement for ``allowed`` and rows of this shape, built once."""

    def selected(index: int, source: sa.FromClause) -> sa.Select:
        table, keys = shape[index]
        # A parameter in a SELECT list has no type on PostgreSQL (a NULL would be text): each
        # is cast to its column's. SQLite's CAST would change a value by its type name's
        # affinity (JSON text to a number): there the type only says how to bind it.
        typed = sa.cast if postgres else sa.type_coerce
        params = _values(table, index, keys)
        found = sa.select(*(typed(params[key], table.c[key].type).label(key) for key in keys))
        # SQLite reads "ON CONFLICT" after a FROM as a join's ON, unless a WHERE comes first.
        return found.select_from(source).where(sa.literal_column("1") == 1)

    (first, first_keys), *rest = shape
    dialect_insert = postgresql.insert if postgres else sqlite.insert
    head = (
        dialect_insert(first)
        .from_select(list(first_keys), selected(0, allowed.subquery("allowed")))
        .on_conflict_do_nothing()
    )
    if not postgres or not rest:
        return head
    inserted = head.returning(first.c[first_keys[0]]).cte("row0")
    clauses = [inserted]
    for index in range(1, len(shape) - 1):
        table, keys = shape[index]
        clauses.append(sa.insert(table).from_select(list(keys), selected(index, inserted))
                       .cte(f"row{index}"))  # fmt: skip
    last, last_keys = shape[-1]
    return (
        sa.insert(last)
        .from_select(list(last_keys), selected(len(shape) - 1, inserted))
        .add_cte(*clauses)
    )


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
