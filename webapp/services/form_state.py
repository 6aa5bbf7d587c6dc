"""What the staff forms that change a stored row have in common.

The programme (participants.py), a plan step and the guidance offer (plan.py) and a review
(reviews.py): a form carries the state it was opened on (``seen``, made by ``state_of`` or
``reviews.review_state``), and a save is checked against the row as stored, with the row
held (``hold``) from the check to the commit, so that of two saves at the same moment the
second is checked against what the first stored, never against what both read before.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date

import sqlalchemy as sa

from ..extensions import db


def state_of(*values: object) -> str:
    """Return a short fingerprint of the values a form shows: the ``seen`` it carries.

    Only the form's own values count, so a change elsewhere in the row (another form of the
    same page, a notice sent) never makes it outdated.
    """
    text = json.dumps(
        [v.isoformat() if isinstance(v, date) else v for v in values], ensure_ascii=False
    )
    return hashlib.sha256(text.encode()).hexdigest()[:20]


def hold(instance: object, column: sa.Column) -> None:
    """Hold the instance's row until the transaction ends, and read it again as stored.

    A write that changes nothing (``column`` set to itself) takes the row: PostgreSQL's row
    lock, SQLite's single writer. Another writer doing the same waits here until this
    transaction commits, then reads what it stored; a check of ``seen`` after this call is
    never passed by two writers on the same state. The same on both databases, without a
    ``SELECT … FOR UPDATE`` that SQLite lacks.
    """
    db.session.flush()  # the caller's changes so far are kept, not expired with the rest
    state = sa.inspect(instance)
    [key] = state.mapper.primary_key
    db.session.execute(
        sa.update(state.mapper.local_table)
        .where(key == state.identity[0])
        .values({column.name: column})
    )
    db.session.expire(instance)
