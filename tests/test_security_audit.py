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


def test_each_event_stored_is_logged_once(app, world, as_actor, caplog):
    """The log is the audit trail's second copy (for a log server): one line per event, with
    who, what and which record, never the details (an export's filter) or answers."""
    caplog.set_level("INFO", logger="webapp.services.audit")
    as_actor(app, "c1")  # records staff.login
    lines = [r.getMessage() for r in caplog.records if r.name == "webapp.services.audit"]
    assert lines.count(f"audit staff:{world.c1} staff.login ") == 1, lines
    phone = as_actor(app, "p1")
    caplog.clear()
    rid = "0b9d2c1e-6a4f-4e8b-9c3d-2f1a0e5b7c64"
    sent = {"questionnaire": "kartlegging", "version": 1, "status": "draft", "answers": {}}
    assert phone.put(f"/api/v1/responses/{rid}", json=sent).status_code == 201
    assert phone.put(f"/api/v1/responses/{rid}", json=sent).status_code == 200  # a replay
    lines = [r.getMessage() for r in caplog.records if r.name == "webapp.services.audit"]
    assert lines == [f"audit participant:{world.p1} response.start.phone response:{rid}"]
    assert (f"participant:{world.p1}", "response.start.phone") in _events(app)
