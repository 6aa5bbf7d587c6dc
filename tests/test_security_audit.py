"""The audit trail is append-only in the database: the application cannot change or delete it."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DatabaseError

from webapp.extensions import db
from webapp.models import AuditEvent


def _events(app) -> list[tuple[str, str]]:
    with app.app_context():
        rows = db.session.scalars(sa.select(AuditEvent).order_by(AuditEvent.id))
        return [(e.actor, e.action) for e in rows]


def test_audit_rows_cannot_be_updated_or_deleted(app, world, as_actor):
    as_actor(app, "c1")  # records staff.login
    before = _events(app)
    assert (f"staff:{world.c1}", "staff.login") in before
    attempts = [
        sa.update(AuditEvent).values(action="nothing happened"),
        sa.delete(AuditEvent),
    ]
    with app.app_context():
        for statement in attempts:
            with pytest.raises(DatabaseError, match="append-only"):
                db.session.execute(statement)
                db.session.flush()
            db.session.rollback()
        event = db.session.scalars(sa.select(AuditEvent)).first()
        event.target = "changed through the ORM"
        with pytest.raises(DatabaseError, match="append-only"):
            db.session.commit()
        db.session.rollback()
        if db.engine.dialect.name == "postgresql":
            with pytest.raises(DatabaseError, match="append-only"):
                db.session.execute(sa.text("TRUNCATE audit_event"))
            db.session.rollback()
    assert _events(app) == before


def test_new_events_can_still_be_added(app, world, as_actor):
    before = len(_events(app))
    as_actor(app, "c1")
    as_actor(app, "c2")
    assert len(_events(app)) == before + 2
