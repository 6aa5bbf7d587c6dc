"""services/rows.py: rows of several tables in one statement on PostgreSQL, one by one on
SQLite; a row that leaves out a column with a default is refused before anything is sent."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from webapp.extensions import db
from webapp.models import AuditEvent, Municipality
from webapp.models.types import utcnow
from webapp.services import rows
from webapp.services.audit import event


def test_a_row_must_name_every_column_with_a_default():
    # Municipality's require_totp and created_at have defaults: left out, each would get a
    # parameter of its own name, which a default of another table's row could take.
    shape = (
        (Municipality.__table__, ("name", "county")),
        (AuditEvent.__table__, ("actor", "action")),
    )
    with pytest.raises(ValueError, match="needs a value for these columns: .*created_at"):
        rows._together(shape)


def test_rows_of_several_tables_are_all_written(app):
    with app.app_context():
        municipality = {"id": 9001, "name": "Testby", "county": "Testfylke",
                        "require_totp": False, "created_at": utcnow()}  # fmt: skip
        audit_row = event(None, "test.rows", "municipality:9001", 9001)
        rows.insert_each(
            [(Municipality.__table__, municipality), (AuditEvent.__table__, audit_row)]
        )
        db.session.commit()
        assert db.session.get(Municipality, 9001).name == "Testby"
        stored = db.session.scalars(
            sa.select(AuditEvent).where(AuditEvent.action == "test.rows")
        ).one()
        assert (stored.target, stored.municipality_id) == ("municipality:9001", 9001)
